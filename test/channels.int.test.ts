/**
 * The channel API over a listening app with a real knowledge base: an owner registers a channel, its backend posts
 * its users' messages with the channel token and gets answers, a repeated message id is answered once, the hand-over
 * and the agent's reply reach the backend as signed webhooks (retried after a 500) and on the channel's live stream,
 * a resolved conversation is followed by a new one, and the KPI report counts the channel.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOwnerConsole } from '../cli/owner-console.ts';
import { createAccounts } from '../src/accounts/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { verifySignature } from '../src/events/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { openSse } from './support/sse-client.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let base: string;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
let failNext = 1;
const staff: Record<string, string> = {};

beforeAll(async () => {
  fixture = await createChatFixture();
  receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      // The first delivery fails with a 500: it must be retried, not lost.
      const status = failNext > 0 ? 500 : 200;
      if (failNext > 0) failNext -= 1;
      received.push({ headers: request.headers, body, status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/kefu-events`;
  const config = loadConfig({
    env: { KEFU_DATA_DIR: fixture.dataDir, KEFU_WEBHOOK_RETRY_MS: '100', KEFU_WEBHOOK_MAX_ATTEMPTS: '4', KEFU_WEBHOOK_TIMEOUT_MS: '2000', KEFU_LIVE_HEARTBEAT_MS: '1000' },
    dotenvDir: null,
    cwd: fixture.dataDir,
  });
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  const owner = createOwnerConsole({ config, records, store: fixture.store, embedder: fixture.embedder, answerService: fixture.answerService });
  app = await buildApp({ config, answerService: fixture.answerService, records, logger: false, documents: fixture.documents, owner });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const accounts = createAccounts({ records, settings: config.accounts });
  for (const role of ['agent', 'owner', 'admin'] as const) staff[role] = (await accounts.addUser({ name: `the-${role}`, role, displayName: role === 'agent' ? 'Alice' : role })).token;
});

afterAll(async () => {
  await app?.close();
  await records?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await fixture?.close();
});

async function call(method: string, url: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const errorCode = (json: Record<string, unknown>) => (json.error as { code?: string } | undefined)?.code;

async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('channel API', () => {
  let channelToken = '';
  let webhookSecret = '';

  it('lets owners and admins register a channel (token and webhook secret shown once), and nobody else', async () => {
    expect((await call('POST', '/api/admin/channels', { body: { name: 'ios-app', kind: 'app' } })).status).toBe(401);
    const byAgent = await call('POST', '/api/admin/channels', { token: staff.agent, body: { name: 'ios-app', kind: 'app' } });
    expect([byAgent.status, errorCode(byAgent.json)]).toEqual([403, 'AUTH_FORBIDDEN']);
    const created = await call('POST', '/api/admin/channels', { token: staff.owner, body: { name: 'ios-app', kind: 'app', webhookUrl: receiverUrl } });
    expect(created.status).toBe(201);
    channelToken = String(created.json.token);
    webhookSecret = String(created.json.webhookSecret);
    expect(channelToken).toMatch(/^kfc_/);
    expect(created.json.channel).toMatchObject({ name: 'ios-app', kind: 'app', webhookUrl: receiverUrl, disabled: false });
    const again = await call('POST', '/api/admin/channels', { token: staff.admin, body: { name: 'ios-app', kind: 'app' } });
    expect([again.status, errorCode(again.json)]).toEqual([409, 'CHANNEL_EXISTS']);
    for (const body of [{ name: 'wechat', kind: 'app' }, { name: 'web', kind: 'app' }, { name: 'shop-bot', kind: 'chat', webhookUrl: 'ftp://example.com/x' }]) {
      const refused = await call('POST', '/api/admin/channels', { token: staff.admin, body });
      expect([refused.status, errorCode(refused.json)], JSON.stringify(body)).toEqual([400, 'CHANNEL_INVALID']);
    }
    const listed = await call('GET', '/api/admin/channels', { token: staff.admin });
    expect(JSON.stringify(listed.json)).not.toContain(channelToken);
    expect(JSON.stringify(listed.json)).not.toContain(webhookSecret);
  });

  it('answers a channel user with the channel token only, one conversation per user, counted under the channel', async () => {
    const missing = await call('POST', '/api/channels/messages', { body: { externalUserId: 'u-1', text: 'How long do refunds take?' } });
    expect([missing.status, errorCode(missing.json)]).toEqual([401, 'CHANNEL_TOKEN_INVALID']);
    const staffToken = await call('POST', '/api/channels/messages', { token: staff.admin, body: { externalUserId: 'u-1', text: 'How long do refunds take?' } });
    expect(staffToken.status).toBe(401);

    const first = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-1', text: 'How long do refunds take?' } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ externalUserId: 'u-1', routed: false, state: 'bot' });
    const answer = first.json.answer as { text: string; citations: Array<{ docPath: string }> };
    expect(answer.text).toMatch(/5 business days/);
    expect(answer.citations.map((citation) => citation.docPath)).toContain('returns-policy.md');
    const second = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-1', text: 'Do you ship to Canada?' } });
    expect(second.json.conversationId).toBe(first.json.conversationId);
    const other = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-2', text: 'Do you ship to Canada?' } });
    expect(other.json.conversationId).not.toBe(first.json.conversationId);

    const conversation = await records.getConversation(String(first.json.conversationId));
    expect(conversation).toMatchObject({ channel: 'ios-app', hasToken: false });
    // No customer token opens a channel's conversation.
    const customerRoute = await fetch(`${base}/api/conversations/${String(first.json.conversationId)}`, { headers: { 'x-conversation-token': channelToken } });
    expect(customerRoute.status).toBe(403);
    const empty = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-1', text: '' } });
    expect(empty.status).toBe(400);

    const report = await call('GET', '/api/admin/report?since=1d&format=json', { token: staff.owner });
    const byChannel = report.json.byChannel as Array<{ key: string; conversations: number }>;
    expect(byChannel.find((row) => row.key === 'ios-app')?.conversations).toBe(2);
  });

  it('answers a repeated message id once: the repeat gets the same answer, nothing is stored twice', async () => {
    const body = { externalUserId: 'u-3', text: 'How do I reset my password?', messageId: 'app-msg-1' };
    const [a, b] = await Promise.all([call('POST', '/api/channels/messages', { token: channelToken, body }), call('POST', '/api/channels/messages', { token: channelToken, body })]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const answerA = a.json.answer as { messageId: string };
    const answerB = b.json.answer as { messageId: string };
    expect(answerA.messageId).toBe(answerB.messageId);
    expect([a.json.duplicate, b.json.duplicate].filter(Boolean)).toHaveLength(1);
    const later = await call('POST', '/api/channels/messages', { token: channelToken, body });
    expect(later.json).toMatchObject({ duplicate: true, conversationId: a.json.conversationId });
    const messages = await records.listMessages(String(a.json.conversationId));
    expect(messages.filter((message) => message.role === 'user')).toHaveLength(1);
    expect(messages.filter((message) => message.role === 'assistant')).toHaveLength(1);
  });

  it('sends the hand-over notice and the agent\'s reply by signed webhook (retried after a 500) and on the live stream; resolved → a new conversation', async () => {
    const stream = await openSse(`${base}/api/channels/events`, { authorization: `Bearer ${channelToken}` });
    try {
      const handed = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-4', text: 'I want to talk to a human' } });
      expect(handed.json.handoff).toMatchObject({ ticket: { reason: 'customer-request' } });
      expect(handed.json.state).toBe('waiting');
      const conversationId = String(handed.json.conversationId);

      const routed = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-4', text: 'My order 1234 never arrived' } });
      expect(routed.json).toMatchObject({ routed: true, conversationId, state: 'waiting' });

      const reply = await call('POST', `/api/agent/conversations/${conversationId}/messages`, { token: staff.agent, body: { text: 'Hello, Alice here. Let me check order 1234.' } });
      expect(reply.status).toBe(201);

      const agentEvent = await stream.next((event) => event.event === 'message.created' && (event.data.message as { role?: string }).role === 'agent');
      expect(agentEvent.data).toMatchObject({ channel: 'ios-app', externalUserId: 'u-4', conversationId, message: { text: 'Hello, Alice here. Let me check order 1234.', authorName: 'Alice' } });
      await stream.next((event) => event.event === 'conversation.state' && (event.data.state as { to?: string }).to === 'agent');

      const delivered = await until(() => {
        const bodies = received.filter((entry) => entry.status === 200).map((entry) => ({ entry, body: JSON.parse(entry.body) as { type: string; message?: { role: string; text: string } } }));
        return bodies.find(({ body }) => body.message?.role === 'agent') ?? undefined;
      }, 'the agent reply webhook');
      expect(verifySignature({ secret: webhookSecret, body: delivered.entry.body, header: delivered.entry.headers['x-kefu-signature'] as string })).toBe(true);
      expect(verifySignature({ secret: 'another-secret-entirely', body: delivered.entry.body, header: delivered.entry.headers['x-kefu-signature'] as string })).toBe(false);
      expect(delivered.entry.headers['x-kefu-event']).toBe('message.created');
      const bodies = received.map((entry) => JSON.parse(entry.body) as { type: string; externalUserId: string; message?: { role: string; text: string } });
      // The hand-over notice (a system message) is delivered too; the answer given in the reply is not.
      expect(bodies.some((body) => body.externalUserId === 'u-4' && body.message?.role === 'system' && /KF-/.test(body.message.text))).toBe(true);
      expect(bodies.some((body) => body.message && body.message.role !== 'agent' && body.message.role !== 'system')).toBe(false);
      // The first attempt got a 500 and was retried with the same delivery id.
      const first = received[0];
      expect(first?.status).toBe(500);
      const attempts = await until(() => {
        const statuses = received.filter((entry) => entry.headers['x-kefu-delivery'] === first?.headers['x-kefu-delivery']).map((entry) => entry.status);
        return statuses.includes(200) ? statuses : undefined;
      }, 'the retry of the first delivery');
      expect(attempts).toEqual([500, 200]);
      const log = await call('GET', '/api/admin/channels/ios-app/deliveries', { token: staff.admin });
      expect((log.json.deliveries as Array<{ status: string }>).every((delivery) => delivery.status === 'delivered' || delivery.status === 'pending')).toBe(true);

      expect((await call('POST', `/api/agent/conversations/${conversationId}/resolve`, { token: staff.agent })).status).toBe(200);
      const next = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-4', text: 'Do you ship to Canada?' } });
      expect(next.json.conversationId).not.toBe(conversationId);
      expect(next.json.routed).toBe(false);
    } finally {
      stream.close();
    }
  });

  it('refuses a disabled channel and an old token after a reset', async () => {
    const disabled = await call('PATCH', '/api/admin/channels/ios-app', { token: staff.admin, body: { disabled: true } });
    expect(disabled.json).toMatchObject({ disabled: true });
    const refused = await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-1', text: 'Hello?' } });
    expect([refused.status, errorCode(refused.json)]).toEqual([401, 'CHANNEL_TOKEN_INVALID']);
    await call('PATCH', '/api/admin/channels/ios-app', { token: staff.admin, body: { disabled: false } });
    const reset = await call('POST', '/api/admin/channels/ios-app/reset', { token: staff.owner });
    expect((await call('POST', '/api/channels/messages', { token: channelToken, body: { externalUserId: 'u-1', text: 'Hello?' } })).status).toBe(401);
    expect((await call('POST', '/api/channels/messages', { token: String(reset.json.token), body: { externalUserId: 'u-1', text: 'How long do refunds take?' } })).status).toBe(200);
    expect((await call('PATCH', '/api/admin/channels/no-such-channel', { token: staff.admin, body: { disabled: true } })).status).toBe(404);
  });
});
