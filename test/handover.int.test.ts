/**
 * The hand-over over real HTTP: a listening app over the real answer service and a real small index, customers and
 * agents as HTTP clients (live updates over SSE), including the bad inputs of the issue.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { openSse, type SseStream } from './support/sse-client.ts';

let fixture: ChatFixture;
let recordsDir: string;
let records: RecordsStore;
let app: KefuApp;
let base: string;
const tokens: Record<string, string> = {};
const streams: SseStream[] = [];

interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  headers: Headers;
}

async function call(method: string, url: string, options: { body?: unknown; headers?: Record<string, string>; as?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.as) headers.authorization = `Bearer ${tokens[options.as] ?? ''}`;
  const response = await fetch(`${base}${url}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Reply['body']) : {}, headers: response.headers };
}

/** A customer: starts a conversation with a question and keeps its token. */
async function startConversation(question = 'How long do refunds take?'): Promise<{ id: string; token: string; answer: Reply }> {
  const answer = await call('POST', '/api/chat', { body: { question, channel: 'web' } });
  expect(answer.status).toBe(200);
  return { id: String(answer.body.conversationId), token: String(answer.body.conversationToken), answer };
}

const asCustomer = (token: string) => ({ 'x-conversation-token': token });

async function stream(url: string, headers: Record<string, string>): Promise<SseStream> {
  const opened = await openSse(`${base}${url}`, headers);
  streams.push(opened);
  return opened;
}

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '100000' });
  recordsDir = await mkdtemp(path.join(tmpdir(), 'kefu-handover-'));
  records = openSqliteRecords({ path: path.join(recordsDir, 'kefu.db') });
  const config = loadConfig({
    env: { KEFU_DATA_DIR: fixture.dataDir, KEFU_LOG_LEVEL: 'warn', KEFU_RATE_LIMIT_PER_MINUTE: '100000', KEFU_HANDOVER_AFTER_REFUSALS: '2', KEFU_LIVE_HEARTBEAT_MS: '1000' },
    dotenvDir: null,
    cwd: fixture.dataDir,
  });
  app = await buildApp({ config, answerService: fixture.answerService, records, logger: false, documents: fixture.documents, documentReader: fixture.documentReader });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const accounts = createAccounts({ records, settings: config.accounts });
  for (const [name, role] of [['alice', 'agent'], ['bob', 'agent'], ['olga', 'owner'], ['root', 'admin']] as const) {
    tokens[name] = (await accounts.addUser({ name, role, displayName: name === 'alice' ? 'Alice' : undefined })).token;
  }
});

afterAll(async () => {
  for (const opened of streams) opened.close();
  await app?.close();
  await records?.close();
  await fixture?.close();
  if (recordsDir) await rm(recordsDir, { recursive: true, force: true });
});

describe('customer access by conversation token', () => {
  it('returns a token with a new conversation and opens the conversation only with it', async () => {
    const { id, token, answer } = await startConversation();
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(answer.body.state).toBe('bot');
    expect((await call('GET', `/api/conversations/${id}`)).body.error?.code).toBe('CONVERSATION_TOKEN_REQUIRED');
    expect((await call('GET', `/api/conversations/${id}`)).status).toBe(401);
    const wrong = await call('GET', `/api/conversations/${id}`, { headers: asCustomer('x'.repeat(32)) });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error?.code).toBe('CONVERSATION_TOKEN_INVALID');
    // Another conversation's token does not open this one.
    const other = await startConversation('How do I reset my password?');
    expect((await call('GET', `/api/conversations/${id}`, { headers: asCustomer(other.token) })).status).toBe(403);
    const read = await call('GET', `/api/conversations/${id}`, { headers: asCustomer(token) });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, state: 'bot', agentName: null, ticket: null });

    // Continuing, rating and asking for a person need the token too.
    expect((await call('POST', '/api/chat', { body: { question: 'And for damaged items?', conversationId: id } })).status).toBe(401);
    expect((await call('POST', '/api/chat', { body: { question: 'And for damaged items?', conversationId: id }, headers: asCustomer(other.token) })).status).toBe(403);
    const followUp = await call('POST', '/api/chat', { body: { question: 'And for damaged items?', conversationId: id }, headers: asCustomer(token) });
    expect(followUp.status).toBe(200);
    expect(followUp.body.conversationToken).toBeUndefined();
    const messageId = String(answer.body.messageId);
    expect((await call('POST', '/api/feedback', { body: { messageId, rating: 'up' } })).status).toBe(401);
    expect((await call('POST', '/api/feedback', { body: { messageId, rating: 'up' }, headers: asCustomer(other.token) })).status).toBe(403);
    expect((await call('POST', '/api/feedback', { body: { messageId, rating: 'up' }, headers: asCustomer(token) })).status).toBe(201);
    expect((await call('POST', '/api/handoff', { body: { conversationId: id } })).status).toBe(401);
    expect((await call('GET', '/api/conversations/no-such-conversation', { headers: asCustomer(token) })).status).toBe(404);
  });
});

describe('hand-over, live', () => {
  it('goes from kefu to people and back: the agent sees the customer live, the customer sees the agent live, and kefu answers after resolution', async () => {
    const { id, token } = await startConversation('How long does express shipping take?');
    const agentStream = await stream('/api/agent/events', { authorization: `Bearer ${tokens.alice}` });
    await agentStream.next((event) => event.event === 'ready');

    // Typed in Chinese: the ticket opens at once, nobody has to press a button.
    const asked = await call('POST', '/api/chat', { body: { question: '我要转人工', conversationId: id }, headers: asCustomer(token) });
    expect(asked.body).toMatchObject({ outcome: 'handoff', state: 'waiting', handoff: { ticket: { reason: 'customer-request' } } });
    const handedOver = await agentStream.next((event) => event.event === 'event' && event.data.conversationId === id && event.data.type === 'ticket-opened');
    expect(Number(handedOver.id)).toBeGreaterThan(0);

    const queue = await call('GET', '/api/agent/conversations?status=waiting', { as: 'alice' });
    expect(queue.status).toBe(200);
    const item = (queue.body.items as Array<Record<string, unknown>>).find((entry) => entry.id === id);
    expect(item).toMatchObject({ state: 'waiting', channel: 'web', ticket: { reason: 'customer-request', assignee: null }, sla: { targetMinutes: 5, status: 'ok' } });

    // The customer wrote Chinese last, so notices are in Chinese. The customer's live stream, from what they last read.
    const transcript = await call('GET', `/api/conversations/${id}`, { headers: asCustomer(token) });
    const customerStream = await stream(`/api/conversations/${id}/events`, { ...asCustomer(token), 'last-event-id': String(transcript.body.lastEventSeq) });
    expect((await customerStream.next((event) => event.event === 'ready')).data).toMatchObject({ state: 'waiting' });

    // While people have it, kefu does not answer: the message goes to them (and the agent sees it live).
    const routed = await call('POST', '/api/chat', { body: { question: 'Hello? <script>alert(1)</script>', conversationId: id }, headers: asCustomer(token) });
    expect(routed.body).toMatchObject({ routed: true, state: 'waiting' });
    const seen = await agentStream.next((event) => event.event === 'event' && (event.data.message as { text?: string } | undefined)?.text === 'Hello? <script>alert(1)</script>');
    expect(seen.data).toMatchObject({ type: 'message-added', data: { role: 'user', toPeople: true } });
    expect((await call('POST', `/api/conversations/${id}/typing`, { headers: asCustomer(token) })).status).toBe(204);
    await agentStream.next((event) => event.event === 'typing' && event.data.conversationId === id && event.data.who === 'customer');

    // The agent replies; the customer sees it live, with who wrote it.
    const sent = performance.now();
    const reply = await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'Hi, Alice here. <b>Not bold</b>' }, as: 'alice' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ message: { role: 'agent', authorName: 'Alice', text: 'Hi, Alice here. <b>Not bold</b>' }, ticket: { assignee: { name: 'Alice' } } });
    const live = await customerStream.next((event) => event.event === 'message' && (event.data.message as { role?: string }).role === 'agent');
    console.log(`agent reply reached the customer's stream in ${(live.at - sent).toFixed(0)} ms (not asserted)`);
    expect(live.data.message).toMatchObject({ authorName: 'Alice', text: 'Hi, Alice here. <b>Not bold</b>' });
    await customerStream.next((event) => event.event === 'message' && (event.data.message as { text?: string }).text === 'Alice 已接入，正在为您服务。');
    expect((await customerStream.next((event) => event.event === 'state' && event.data.state === 'agent')).data.agentName).toBe('Alice');

    // An internal note never reaches the customer.
    expect((await call('POST', `/api/agent/conversations/${id}/notes`, { body: { text: 'VIP customer, refund approved' }, as: 'alice' })).status).toBe(201);
    await agentStream.next((event) => event.event === 'event' && (event.data.message as { role?: string } | undefined)?.role === 'note');

    // The customer answers; the agent sees it.
    await call('POST', '/api/chat', { body: { question: 'Thanks, my order is 1234', conversationId: id }, headers: asCustomer(token) });
    await agentStream.next((event) => event.event === 'event' && (event.data.message as { text?: string } | undefined)?.text === 'Thanks, my order is 1234');

    // Resolve: the customer is told, may rate once, and the next question goes to kefu.
    expect((await call('POST', `/api/agent/conversations/${id}/resolve`, { as: 'alice' })).body).toMatchObject({ ticket: { status: 'closed', resolution: 'resolved' } });
    expect((await customerStream.next((event) => event.event === 'state' && event.data.state === 'resolved')).data.canRate).toBe(true);
    const late = await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'one more thing' }, as: 'alice' });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('CONVERSATION_RESOLVED');
    expect((await call('POST', `/api/conversations/${id}/rating`, { body: { score: 4 }, headers: asCustomer(token) })).status).toBe(200);
    expect((await call('POST', `/api/conversations/${id}/rating`, { body: { score: 5 }, headers: asCustomer(token) })).body.error?.code).toBe('RATING_NOT_EXPECTED');
    expect((await call('POST', `/api/conversations/${id}/rating`, { body: { score: 6 }, headers: asCustomer(token) })).status).toBe(400);
    const next = await call('POST', '/api/chat', { body: { question: 'How long do refunds take?', conversationId: id }, headers: asCustomer(token) });
    expect(next.body).toMatchObject({ outcome: 'answered', state: 'bot' });
    expect(String(next.body.answer)).toMatch(/5 business days/);

    // The customer's view never held the note; the agent's does, with kefu's passages.
    const customerView = await call('GET', `/api/conversations/${id}`, { headers: asCustomer(token) });
    const customerTexts = (customerView.body.messages as Array<{ text: string; role: string }>).map((message) => message.text);
    expect(customerTexts).not.toContain('VIP customer, refund approved');
    const agentView = await call('GET', `/api/agent/conversations/${id}`, { as: 'alice' });
    const agentMessages = agentView.body.messages as Array<{ role: string; text: string; retrieved: unknown[]; confidence?: number; citations: unknown[] }>;
    expect(agentMessages.map((message) => message.role)).toContain('note');
    const firstAnswer = agentMessages.find((message) => message.role === 'assistant');
    expect(firstAnswer?.retrieved.length).toBeGreaterThan(0);
    expect(firstAnswer?.retrieved[0]).toMatchObject({ chunkId: expect.any(String), title: expect.any(String), score: expect.any(Number), text: expect.any(String) });
    expect(firstAnswer?.confidence).toEqual(expect.any(Number));

    // Reconnecting with Last-Event-ID replays what was missed.
    customerStream.close();
    const replayed = await stream(`/api/conversations/${id}/events`, { ...asCustomer(token), 'last-event-id': String(transcript.body.lastEventSeq) });
    await replayed.next((event) => event.event === 'message' && (event.data.message as { text?: string }).text === 'Hi, Alice here. <b>Not bold</b>');
    expect(replayed.events.some((event) => (event.data.message as { role?: string } | undefined)?.role === 'note')).toBe(false);
  });

  it('lets exactly one of two agents replying at once answer, names who has it, and lets the other take over visibly', async () => {
    const { id, token } = await startConversation();
    await call('POST', '/api/handoff', { body: { conversationId: id }, headers: asCustomer(token) });
    const [first, second] = await Promise.all([
      call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'Alice answering' }, as: 'alice' }),
      call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'Bob answering' }, as: 'bob' }),
    ]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([201, 409]);
    const refused = first.status === 409 ? first : second;
    expect(refused.body.error).toMatchObject({ code: 'CONVERSATION_ASSIGNED', message: expect.stringMatching(/(Alice|Bob) has it/) });
    const loser = refused === first ? 'alice' : 'bob';
    const taken = await call('POST', `/api/agent/conversations/${id}/assign`, { body: {}, as: loser });
    expect(taken.status).toBe(200);
    expect((taken.body.ticket as { assignee: { name: string } }).assignee.name).toBe(loser === 'alice' ? 'Alice' : 'Bob');
    expect((await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'I have it now' }, as: loser })).status).toBe(201);
    const customer = await call('GET', `/api/conversations/${id}`, { headers: asCustomer(token) });
    const notices = (customer.body.messages as Array<{ role: string; text: string }>).filter((message) => message.role === 'system').map((message) => message.text);
    expect(notices.filter((text) => text.startsWith('You are now chatting with'))).toHaveLength(2);
    // Assigning to a colleague by id, and to someone who cannot answer.
    const agents = (await call('GET', '/api/agent/agents', { as: 'alice' })).body.agents as Array<{ id: string; name: string }>;
    expect(agents.map((agent) => agent.name).sort()).toEqual(['Alice', 'Bob', 'Olga']);
    const olga = agents.find((agent) => agent.name === 'Olga');
    expect((await call('POST', `/api/agent/conversations/${id}/assign`, { body: { agentId: olga?.id }, as: 'alice' })).status).toBe(200);
    const admin = (await call('GET', '/api/admin/users', { as: 'root' })).body.users as Array<{ id: string; role: string }>;
    expect((await call('POST', `/api/agent/conversations/${id}/assign`, { body: { agentId: admin.find((user) => user.role === 'admin')?.id }, as: 'alice' })).body.error?.code).toBe('USER_INVALID');
  });

  it('refuses replies to unknown or bot conversations, empty replies and replies over 10,000 characters, and keeps markup as text', async () => {
    const { id, token } = await startConversation();
    expect((await call('POST', '/api/agent/conversations/no-such-id/messages', { body: { text: 'hi' }, as: 'alice' })).status).toBe(404);
    const bot = await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'hi' }, as: 'alice' });
    expect(bot.status).toBe(409);
    expect(bot.body.error?.code).toBe('CONVERSATION_NOT_WITH_PEOPLE');
    await call('POST', '/api/handoff', { body: { conversationId: id, reason: 'negative-feedback' }, headers: asCustomer(token) });
    expect((await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: '   ' }, as: 'alice' })).body.error?.code).toBe('MESSAGE_EMPTY');
    const tooLong = await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'x'.repeat(10_001) }, as: 'alice' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error?.message).toContain('10000');
    const long = '长'.repeat(10_000);
    expect((await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: long }, as: 'alice' })).status).toBe(201);
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: hostile }, as: 'alice' });
    const read = await call('GET', `/api/conversations/${id}`, { headers: asCustomer(token) });
    const texts = (read.body.messages as Array<{ text: string }>).map((message) => message.text);
    expect(texts).toContain(long);
    expect(texts).toContain(hostile);
  });

  it('takes a customer message while no agent is signed in, and says so', async () => {
    const { id, token } = await startConversation();
    // Nobody has a workspace open in this test (the earlier streams are closed).
    for (const opened of streams) opened.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const handed = await call('POST', '/api/handoff', { body: { conversationId: id }, headers: asCustomer(token) });
    expect(handed.status).toBe(201);
    expect(handed.body).toMatchObject({ agentsOnline: 0, message: expect.stringContaining('No one from our team is online right now') });
    const message = await call('POST', '/api/chat', { body: { question: 'I will wait', conversationId: id }, headers: asCustomer(token) });
    expect(message.body).toMatchObject({ routed: true });
    const queue = await call('GET', '/api/agent/conversations?status=waiting', { as: 'olga' });
    expect((queue.body.items as Array<{ id: string; unanswered: number }>).find((item) => item.id === id)?.unanswered).toBe(1);
  });

  it('hands over by itself after two refusals in a row', async () => {
    const { id, token, answer } = await startConversation('What is the airspeed velocity of an unladen swallow?');
    expect(answer.body.outcome).toBe('refused');
    const second = await call('POST', '/api/chat', { body: { question: 'Do you sell quantum teleporters for cats?', conversationId: id }, headers: asCustomer(token) });
    expect(second.body).toMatchObject({ outcome: 'refused', state: 'waiting', handoff: { ticket: { reason: 'no-answer' } } });
  });

  it('hands back to kefu', async () => {
    const { id, token } = await startConversation();
    await call('POST', '/api/handoff', { body: { conversationId: id }, headers: asCustomer(token) });
    await call('POST', `/api/agent/conversations/${id}/messages`, { body: { text: 'kefu can take it from here' }, as: 'bob' });
    expect((await call('POST', `/api/agent/conversations/${id}/hand-back`, { as: 'bob' })).body).toMatchObject({ ticket: { resolution: 'handed-back' } });
    const next = await call('POST', '/api/chat', { body: { question: 'How do I reset my password?', conversationId: id }, headers: asCustomer(token) });
    expect(next.body).toMatchObject({ outcome: 'faq', state: 'bot' });
  });
});

describe('workspace sign-in', () => {
  it('signs in into an HttpOnly SameSite session cookie and asks for the CSRF token on changes', async () => {
    const signed = await call('POST', '/api/session', { body: { name: 'alice', token: tokens.alice } });
    expect(signed.status).toBe(200);
    const cookie = signed.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^kefu_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const session = cookie.split(';')[0] ?? '';
    const csrf = String(signed.body.csrfToken);
    expect((await call('GET', '/api/session', { headers: { cookie: session } })).body).toMatchObject({ user: { name: 'alice' }, csrfToken: csrf, capabilities: ['conversations'] });
    expect((await call('GET', '/api/agent/conversations?status=open', { headers: { cookie: session } })).status).toBe(200);
    const { id, token } = await startConversation();
    await call('POST', '/api/handoff', { body: { conversationId: id }, headers: asCustomer(token) });
    const forged = await call('POST', `/api/agent/conversations/${id}/notes`, { body: { text: 'forged' }, headers: { cookie: session } });
    expect(forged.status).toBe(403);
    expect(forged.body.error?.code).toBe('CSRF_INVALID');
    expect((await call('POST', `/api/agent/conversations/${id}/notes`, { body: { text: 'real' }, headers: { cookie: session, 'x-csrf-token': csrf } })).status).toBe(201);
    expect((await call('DELETE', '/api/session', { headers: { cookie: session, 'x-csrf-token': csrf } })).status).toBe(204);
    expect((await call('GET', '/api/session', { headers: { cookie: session } })).status).toBe(401);
  });

  it('refuses wrong, disabled and reused tokens, and locks a name after repeated failures (50 wrong sign-ins)', async () => {
    const admin = { as: 'root' };
    const created = await call('POST', '/api/admin/users', { body: { name: 'carol', role: 'agent' }, ...admin });
    expect(created.status).toBe(201);
    const carol = String(created.body.token);
    expect((await call('GET', '/api/agent/conversations', { headers: { authorization: `Bearer ${carol}` } })).status).toBe(200);
    expect((await call('GET', '/api/agent/conversations', { headers: { authorization: `Bearer ${carol}x` } })).body.error?.code).toBe('AUTH_INVALID');
    // Reset: the old token is dead (reused → 401), the new one works.
    const reset = await call('POST', '/api/admin/users/carol/reset', admin);
    expect((await call('GET', '/api/agent/conversations', { headers: { authorization: `Bearer ${carol}` } })).status).toBe(401);
    const fresh = String(reset.body.token);
    expect((await call('GET', '/api/agent/conversations', { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(200);
    // Disabled: the token and the session stop working at once.
    const signed = await call('POST', '/api/session', { body: { name: 'carol', token: fresh } });
    const session = (signed.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    await call('POST', '/api/admin/users/carol/disable', admin);
    expect((await call('GET', '/api/agent/conversations', { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(401);
    expect((await call('GET', '/api/session', { headers: { cookie: session } })).status).toBe(401);
    expect((await call('POST', '/api/session', { body: { name: 'carol', token: fresh } })).body.error?.code).toBe('AUTH_INVALID');
    expect((await call('POST', '/api/admin/users/root/disable', admin)).body.error?.code).toBe('USER_INVALID');

    // 50 wrong sign-ins for one name: 4 refusals, then locked (with Retry-After), even for the right token.
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let index = 0; index < 50; index += 1) {
      const attempt = await call('POST', '/api/session', { body: { name: 'bob', token: `kefu_0123456789abcdef_wrong-${index}-aaaaaaaaaaaaaaaaaa` }, headers: { 'x-forwarded-for': `10.9.${index}.1` } });
      statuses.push(attempt.status);
      retryAfter = attempt.headers.get('retry-after') ?? retryAfter;
    }
    // (The per-client sign-in rate limit also applies: 30 a minute from one address.)
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4).every((status) => status === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await call('POST', '/api/session', { body: { name: 'bob', token: tokens.bob } })).status).toBe(429);
    // Bob's bearer token still works: the lock-out is about signing in with a guessed token.
    expect((await call('GET', '/api/agent/conversations', { as: 'bob' })).status).toBe(200);
  });
});
