/**
 * Hand-over figures (issue 12): a real `kefu serve` in its own process (sample knowledge base, real model, real
 * SQLite records), an agent made with `kefu users add`, customers and the agent as HTTP clients over SSE.
 *
 * - hand-over → the conversation appears in an open agent workspace's stream (ticket-opened event);
 * - agent reply → the customer's stream, with 100 customer streams open (one reply at a time, then 100 at once);
 * - memory per open stream: the server's resident memory before and after opening 1000 more streams.
 *
 * Prints figures and the load average; asserts nothing. Run: npm run bench:handover
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { openSse, type SseStream } from '../test/support/sse-client.ts';

const root = path.resolve(import.meta.dirname, '..');
const node = path.join(root, 'node_modules', '.bin', 'node');
const launcher = path.join(root, 'bin', 'kefu.js');
const CUSTOMERS = 100;
const ROUNDS = 3;
const HANDOVERS = 50;
const EXTRA_STREAMS = 1000;

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? NaN;
}

function summary(values: number[]): string {
  return `p50 ${percentile(values, 0.5).toFixed(1)} ms, p95 ${percentile(values, 0.95).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (n=${values.length})`;
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function residentKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'kefu-bench-handover-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  KEFU_DATA_DIR: dataDir,
  KEFU_LOG_LEVEL: 'warn',
  KEFU_RATE_LIMIT_PER_MINUTE: '10000000',
  KEFU_MAX_LIVE_STREAMS: '100000',
  // The bench's own model copy, so nothing is downloaded or converted.
  KEFU_EMBEDDING_MODEL: path.join(root, 'data', 'models', 'bundled'),
};

console.log(`kefu hand-over bench · load average at start ${load()}`);
const added = spawnSync(node, [launcher, 'users', 'add', 'bench', '--role', 'agent'], { env, encoding: 'utf8' });
if (added.status !== 0) throw new Error(`kefu users add failed: ${added.stderr}`);
const agentToken = added.stdout.trim().split('\n').at(-1)?.split(/\s+/).at(-1) ?? '';
const agentHeaders = { authorization: `Bearer ${agentToken}` };

const server = spawn(node, [launcher, 'serve', '--no-watch', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const streams: SseStream[] = [];
try {
  const started = performance.now();
  for (;;) {
    const ready = await fetch(`${base}/api/health`).then((response) => response.ok, () => false);
    if (ready) break;
    if (server.exitCode !== null) throw new Error('kefu serve exited');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.log(`server ready in ${((performance.now() - started) / 1000).toFixed(1)} s (pid ${server.pid})`);

  const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown> & { conversationId: string; conversationToken: string };
  };

  const agentStream = await openSse(`${base}/api/agent/events`, agentHeaders);
  streams.push(agentStream);
  await agentStream.next((event) => event.event === 'ready');

  // 1. Hand-over → the agent workspace's stream.
  const handover: number[] = [];
  for (let index = 0; index < HANDOVERS; index += 1) {
    const conversation = await post('/api/chat', { question: 'How long do refunds take?' });
    const sent = performance.now();
    await post('/api/handoff', { conversationId: conversation.conversationId }, { 'x-conversation-token': conversation.conversationToken });
    const seen = await agentStream.next((event) => event.event === 'event' && event.data.type === 'ticket-opened' && event.data.conversationId === conversation.conversationId);
    handover.push(seen.at - sent);
  }
  console.log(`hand-over → open agent workspace stream: ${summary(handover)}`);

  // 2. 100 customers with their streams open, handed over.
  const customers: Array<{ id: string; token: string; stream: SseStream }> = [];
  for (let index = 0; index < CUSTOMERS; index += 1) {
    const conversation = await post('/api/chat', { question: 'I want to talk to a person' });
    const stream = await openSse(`${base}/api/conversations/${conversation.conversationId}/events`, { 'x-conversation-token': conversation.conversationToken });
    streams.push(stream);
    customers.push({ id: conversation.conversationId, token: conversation.conversationToken, stream });
  }
  await Promise.all(customers.map((customer) => customer.stream.next((event) => event.event === 'ready')));
  const reply = async (customer: (typeof customers)[number], text: string): Promise<number> => {
    const sent = performance.now();
    await post(`/api/agent/conversations/${customer.id}/messages`, { text }, agentHeaders);
    const seen = await customer.stream.next((event) => event.event === 'message' && (event.data.message as { text?: string }).text === text);
    return seen.at - sent;
  };
  const oneByOne: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const customer of customers) oneByOne.push(await reply(customer, `Reply ${round} to ${customer.id}`));
  }
  console.log(`agent reply → customer stream, ${CUSTOMERS} customer streams open, one reply at a time: ${summary(oneByOne)}`);
  const burst = await Promise.all(customers.map((customer) => reply(customer, `Burst reply to ${customer.id}`)));
  console.log(`agent reply → customer stream, ${CUSTOMERS} replies sent at once: ${summary(burst)}`);

  // 3. Memory per open stream.
  const pid = server.pid ?? 0;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = await residentKb(pid);
  const extra: SseStream[] = [];
  for (let index = 0; index < EXTRA_STREAMS; index += 1) {
    const customer = customers[index % customers.length];
    if (!customer) break;
    extra.push(await openSse(`${base}/api/conversations/${customer.id}/events`, { 'x-conversation-token': customer.token }));
  }
  streams.push(...extra);
  await Promise.all(extra.map((stream) => stream.next((event) => event.event === 'ready')));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = await residentKb(pid);
  const gauge = /kefu_live_streams (\d+)/.exec(await (await fetch(`${base}/metrics`)).text())?.[1];
  console.log(
    `memory per open stream: ${((after - before) / EXTRA_STREAMS).toFixed(1)} KB (server RSS ${(before / 1024).toFixed(0)} MB → ${(after / 1024).toFixed(0)} MB with ${EXTRA_STREAMS} more streams; ${gauge} live streams open)`,
  );
  console.log(`load average at end ${load()}`);
} finally {
  for (const stream of streams) stream.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
