/** Webhooks against real local receivers: signature, retries with back-off, a dead and a slow receiver. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeOnEachEngine, type RecordsEngine } from '../../test/support/records-engines.ts';
import type { RecordsStore } from '../records/types.ts';
import { createMemoryBus } from './bus.ts';
import { createWebhookWorker, signPayload, verifySignature } from './webhooks.ts';

const SECRET = 'test-secret-0123456789';
const quiet = { info: () => undefined, warn: () => undefined };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A receiver that answers each request with the next status in `statuses` (the last one repeats), or hangs. */
async function receiver(statuses: Array<number | 'hang'>): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      if (status === 'hang') hanging.push(response);
      else response.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** A port nothing listens on. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/gone`;
}

async function handOverOnce(records: RecordsStore): Promise<string> {
  const conversation = await records.createConversation({ channel: 'web' });
  await records.openTicket({ conversationId: conversation.id, reason: 'customer-request', note: 'hi' });
  return conversation.id;
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('webhook signatures', () => {
  it('verifies its own signature and rejects a changed body, another secret or an old timestamp', () => {
    const now = 1_767_600_000;
    const header = signPayload({ secret: SECRET, body: '{"a":1}', timestamp: now });
    expect(header).toMatch(/^t=1767600000,v1=[0-9a-f]{64}$/);
    expect(verifySignature({ secret: SECRET, body: '{"a":1}', header, now })).toBe(true);
    expect(verifySignature({ secret: SECRET, body: '{"a":2}', header, now })).toBe(false);
    expect(verifySignature({ secret: 'another-secret-0000', body: '{"a":1}', header, now })).toBe(false);
    expect(verifySignature({ secret: SECRET, body: '{"a":1}', header, now: now + 301 })).toBe(false);
    expect(verifySignature({ secret: SECRET, body: '{"a":1}', header: undefined, now })).toBe(false);
  });
});

// The outbox (claims with a lease, one delivery per event and receiver) runs on every records engine.
let engine: RecordsEngine;
describeOnEachEngine({ title: 'webhooks', started: (candidate) => (engine = candidate), suite: defineWorkerSuite });

function defineWorkerSuite(): void {
  describe('webhook worker', () => {
    it('sends ticket.created signed, retries a receiver that answers 500, and logs every attempt', async () => {
      const records = await engine.open();
      const bus = createMemoryBus();
      const hook = await receiver([500, 500, 204]);
      const worker = createWebhookWorker({ records, bus, log: quiet, settings: { urls: [hook.url], secret: SECRET, timeoutMs: 2000, maxAttempts: 5, retryMs: 50 } });
      await worker.start();
      cleanups.push(() => worker.stop().then(() => records.close()));
      const conversationId = await handOverOnce(records);
      await worker.flush();
      await until(async () => (await records.listDeliveries())[0]?.status === 'delivered');

      expect(hook.received).toHaveLength(3);
      for (const request of hook.received) {
        expect(request.headers['x-kefu-event']).toBe('ticket.created');
        expect(verifySignature({ secret: SECRET, body: request.body, header: String(request.headers['x-kefu-signature']) })).toBe(true);
      }
      const body = JSON.parse(hook.received[0]?.body ?? '{}') as Record<string, { id?: string; number?: string; reason?: string }>;
      expect(body).toMatchObject({ type: 'ticket.created', conversation: { id: conversationId, channel: 'web' }, ticket: { number: 'KF-000001', reason: 'customer-request' } });
      const [delivery] = await records.listDeliveries();
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 204, eventType: 'ticket.created' });
      // The same delivery id on every attempt, so a receiver can ignore repeats.
      expect(new Set(hook.received.map((request) => request.headers['x-kefu-delivery']))).toEqual(new Set([delivery?.id]));
    });

    it('gives up on a dead receiver after the attempts allowed, keeps delivering to the healthy one, and reports only new events', async () => {
      const records = await engine.open();
      const bus = createMemoryBus();
      // An event from before webhooks were configured is not sent.
      await handOverOnce(records);
      const healthy = await receiver([200]);
      const dead = await deadUrl();
      const worker = createWebhookWorker({ records, bus, log: quiet, settings: { urls: [dead, healthy.url], secret: SECRET, timeoutMs: 1000, maxAttempts: 3, retryMs: 20 } });
      await worker.start();
      cleanups.push(() => worker.stop().then(() => records.close()));
      await handOverOnce(records);
      await worker.flush();
      await until(async () => (await records.listDeliveries({ status: 'failed' })).length === 1);
      const failed = (await records.listDeliveries({ status: 'failed' }))[0];
      expect(failed).toMatchObject({ url: dead, attempts: 3, lastError: expect.stringContaining('could not connect') });
      expect(healthy.received).toHaveLength(1);
      expect(JSON.parse(healthy.received[0]?.body ?? '{}')).toMatchObject({ ticket: { number: 'KF-000002' } });
    });

    it('times out a receiver that never answers, without holding up the records or the bus', async () => {
      const records = await engine.open();
      const bus = createMemoryBus();
      const slow = await receiver(['hang']);
      const worker = createWebhookWorker({ records, bus, log: quiet, settings: { urls: [slow.url], secret: SECRET, timeoutMs: 300, maxAttempts: 1, retryMs: 20 } });
      await worker.start();
      cleanups.push(() => worker.stop().then(() => records.close()));
      const conversationId = await handOverOnce(records);
      await until(async () => slow.received.length === 1);
      // While the receiver hangs, conversations go on.
      const reply = await records.addCustomerMessage({ conversationId, text: 'still there?' });
      expect(reply.toPeople).toBe(true);
      await until(async () => (await records.listDeliveries({ status: 'failed' })).some((delivery) => delivery.eventType === 'ticket.created'));
      expect((await records.listDeliveries({ status: 'failed' })).find((delivery) => delivery.eventType === 'ticket.created')?.lastError).toBe('no answer within 300 ms');
    });

    it('sends message.created for customer messages to people, ticket.assigned and ticket.resolved', async () => {
      const records = await engine.open();
      const bus = createMemoryBus();
      const hook = await receiver([200]);
      const worker = createWebhookWorker({ records, bus, log: quiet, settings: { urls: [hook.url], secret: SECRET, timeoutMs: 2000, maxAttempts: 3, retryMs: 20 } });
      await worker.start();
      cleanups.push(() => worker.stop().then(() => records.close()));
      const alice = await records.createUser({ name: 'alice', displayName: 'Alice', role: 'agent', tokenId: 'a', tokenHash: 'a' });
      const conversation = await records.createConversation();
      await records.addCustomerMessage({ conversationId: conversation.id, text: 'to kefu: no webhook' });
      await records.openTicket({ conversationId: conversation.id, reason: 'customer-request' });
      await records.addCustomerMessage({ conversationId: conversation.id, text: 'to people <b>now</b>' });
      await records.assign({ conversationId: conversation.id, agent: { id: alice.id, displayName: 'Alice' }, by: { id: alice.id, displayName: 'Alice' } });
      await records.closeTicket({ conversationId: conversation.id, by: { id: alice.id, displayName: 'Alice' }, resolution: 'resolved' });
      await worker.flush();
      await until(async () => hook.received.length === 4);
      const bodies = hook.received.map((request) => JSON.parse(request.body) as { type: string; message?: { text: string }; agent?: { name: string }; ticket?: { resolution?: string } });
      expect(bodies.map((body) => body.type).sort()).toEqual(['message.created', 'ticket.assigned', 'ticket.created', 'ticket.resolved']);
      expect(bodies.find((body) => body.type === 'message.created')?.message?.text).toBe('to people <b>now</b>');
      expect(bodies.find((body) => body.type === 'ticket.assigned')?.agent?.name).toBe('Alice');
      expect(bodies.find((body) => body.type === 'ticket.resolved')?.ticket?.resolution).toBe('resolved');
    });
  });
}
