/**
 * Webhooks from the running app: a hand-over reaches a healthy receiver signed, while a receiver that hangs and one
 * that answers 500 do not hold up the customer or the agent, and every attempt is in the admins' delivery log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { verifySignature } from '../src/events/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';

const SECRET = 'a-long-shared-secret-for-tests';

interface Receiver {
  url: string;
  received: Array<{ headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

async function receiver(behaviour: 'ok' | 'hang' | 'error'): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      if (behaviour === 'hang') hanging.push(response);
      else response.writeHead(behaviour === 'ok' ? 200 : 500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/kefu`,
    received,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let healthy: Receiver;
let hanging: Receiver;
let failing: Receiver;
let adminToken: string;

beforeAll(async () => {
  fixture = await createChatFixture();
  [healthy, hanging, failing] = await Promise.all([receiver('ok'), receiver('hang'), receiver('error')]);
  const config = loadConfig({
    env: {
      KEFU_DATA_DIR: fixture.dataDir,
      KEFU_WEBHOOK_URLS: [healthy.url, hanging.url, failing.url].join(','),
      KEFU_WEBHOOK_SECRET: SECRET,
      KEFU_WEBHOOK_TIMEOUT_MS: '1500',
      KEFU_WEBHOOK_MAX_ATTEMPTS: '2',
      KEFU_WEBHOOK_RETRY_MS: '100',
    },
    dotenvDir: null,
    cwd: fixture.dataDir,
  });
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  app = await buildApp({ config, answerService: fixture.answerService, records, logger: false });
  await app.ready();
  adminToken = (await createAccounts({ records, settings: config.accounts }).addUser({ name: 'root', role: 'admin' })).token;
});

afterAll(async () => {
  await app?.close();
  await records?.close();
  await Promise.all([healthy?.close(), hanging?.close(), failing?.close()]);
  await fixture?.close();
});

describe('webhooks from the app', () => {
  it('signs ticket.created for the healthy receiver while a hanging and a failing one hold nothing up, and logs every attempt', async () => {
    const started = (await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'I want to speak to a human' } })).json();
    expect(started.handoff.ticket.number).toMatch(/^KF-/);
    // The hanging receiver now holds a request open; the customer carries on regardless.
    await expect.poll(() => hanging.received.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const next = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'Are you there?', conversationId: started.conversationId }, headers: { 'x-conversation-token': started.conversationToken } });
    expect(next.json()).toMatchObject({ routed: true });
    expect(hanging.received.every((request) => request.headers['x-kefu-event'] === 'ticket.created')).toBe(true);

    await expect.poll(() => healthy.received.map((request) => request.headers['x-kefu-event']), { timeout: 15_000 }).toEqual(['ticket.created', 'message.created']);
    for (const request of healthy.received) expect(verifySignature({ secret: SECRET, body: request.body, header: String(request.headers['x-kefu-signature']) })).toBe(true);
    expect(JSON.parse(healthy.received[1]?.body ?? '{}')).toMatchObject({ type: 'message.created', message: { text: 'Are you there?' }, conversation: { id: started.conversationId, state: 'waiting' } });

    // The admins see every delivery: delivered, timed out, answered 500, each with its attempts.
    const log = async () => (await app.inject({ method: 'GET', url: '/api/admin/webhooks', headers: { authorization: `Bearer ${adminToken}` } })).json() as { urls: string[]; deliveries: Array<{ url: string; status: string; attempts: number; lastError?: string; lastStatusCode?: number; eventType: string }> };
    await expect.poll(async () => (await log()).deliveries.filter((delivery) => delivery.status === 'failed').length, { timeout: 20_000 }).toBe(4);
    const { urls, deliveries } = await log();
    expect(urls).toEqual([healthy.url, hanging.url, failing.url]);
    expect(deliveries.filter((delivery) => delivery.url === healthy.url).every((delivery) => delivery.status === 'delivered' && delivery.lastStatusCode === 200)).toBe(true);
    expect(deliveries.find((delivery) => delivery.url === hanging.url)).toMatchObject({ status: 'failed', attempts: 2, lastError: 'no answer within 1500 ms' });
    expect(deliveries.find((delivery) => delivery.url === failing.url)).toMatchObject({ status: 'failed', attempts: 2, lastStatusCode: 500, lastError: 'the receiver answered HTTP 500' });
    expect(failing.received).toHaveLength(4);
    // A failed delivery can be sent again from the log.
    const failed = deliveries.find((delivery) => delivery.url === failing.url && delivery.eventType === 'ticket.created') as unknown as { id: string };
    const retried = await app.inject({ method: 'POST', url: `/api/admin/webhooks/deliveries/${failed.id}/retry`, headers: { authorization: `Bearer ${adminToken}` } });
    expect(retried.json()).toMatchObject({ delivery: { status: 'pending' } });
    await expect.poll(() => failing.received.length, { timeout: 15_000 }).toBe(5);
  });
});
