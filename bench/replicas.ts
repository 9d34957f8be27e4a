/**
 * `npm run bench:replicas`: kefu as replicas on one machine. A throw-away PostgreSQL cluster, a writer (which seeds
 * and indexes the sample knowledge base) and reader replicas of `kefu serve`, nginx in front when installed.
 * Prints: answers/s with one reader and with two (POST /api/chat, new conversations, autocannon), cross-replica
 * message latency (agent reply on B → customer's stream on A, p50/p95), index-version propagation delay (a new
 * file in the ingest folder → a cited answer on both readers), and the load average of each phase.
 *
 *   npm run bench:replicas -- [--seconds 15] [--connections 8]
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error autocannon ships no type declarations (and @types/autocannon is not installed).
import autocannon from 'autocannon';
import { createAccounts } from '../src/accounts/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { openPostgresRecords } from '../src/records/postgres.ts';
import { postgresUnavailable, startPostgres } from '../test/support/postgres.ts';
import { repositoryRoot, startKefu, startNginx, waitFor, type KefuProcess } from '../test/support/replicas.ts';
import { openSse } from '../test/support/sse-client.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, connections: { type: 'string', default: '8' } } });
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const unavailable = postgresUnavailable();
if (unavailable) {
  console.error(`bench:replicas needs PostgreSQL: ${unavailable}`);
  process.exit(1);
}

interface LoadResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  requests: Array<{ method: string; path: string; body: string; headers: Record<string, string> }>;
}
const runLoad = autocannon as (options: LoadOptions) => Promise<LoadResult>;

const QUESTIONS = ['How long do I have to return an item?', 'When is live chat open?', 'How long does standard shipping take?', 'What does the warranty cover?'];
const load = () => os.loadavg().map((value) => value.toFixed(2)).join(' / ');
const percentile = (list: number[], fraction: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(fraction * list.length))] ?? Number.NaN;

async function answersPerSecond(targets: string[]): Promise<{ perSecond: number; p50: number; p99: number; errors: number; non2xx: number }> {
  const runs = await Promise.all(
    targets.map(
      (url) =>
        runLoad({
          url: `${url}/api/chat`,
          connections: Math.max(1, Math.round(connections / targets.length)),
          duration: seconds,
          requests: QUESTIONS.map((question) => ({ method: 'POST', path: '/api/chat', body: JSON.stringify({ question }), headers: { 'content-type': 'application/json' } })),
        }),
    ),
  );
  return {
    perSecond: runs.reduce((sum, run) => sum + run.requests.average, 0),
    p50: Math.max(...runs.map((run) => run.latency.p50)),
    p99: Math.max(...runs.map((run) => run.latency.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
  };
}

const directory = await mkdtemp(path.join(tmpdir(), 'kefu-bench-replicas-'));
const cluster = await startPostgres();
const started: KefuProcess[] = [];
let stopNginx: (() => Promise<void>) | undefined;
try {
  const url = await cluster.createDatabase('kefu');
  const env = {
    KEFU_DATABASE_URL: url,
    KEFU_DATA_DIR: path.join(directory, 'data'),
    KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled'),
    KEFU_WATCH_DEBOUNCE_MS: '300',
    KEFU_RATE_LIMIT_PER_MINUTE: '1000000',
    KEFU_INDEX_REFRESH_MS: process.env.KEFU_INDEX_REFRESH_MS ?? '2000',
    KEFU_LOG_LEVEL: 'warn',
  };
  const inbox = path.join(directory, 'data', 'inbox');
  const writer = await startKefu({ name: 'writer', env: { ...env, KEFU_ROLE: 'writer' } });
  started.push(writer);
  await writer.ready();
  const readerA = await startKefu({ name: 'reader A', env: { ...env, KEFU_ROLE: 'reader' } });
  started.push(readerA);
  await readerA.ready();
  console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; load before: ${load()}`);

  // Warm up (model, caches), then one reader.
  await answersPerSecond([readerA.base]).catch(() => undefined);
  const one = await answersPerSecond([readerA.base]);
  const loadOne = load();

  const readerB = await startKefu({ name: 'reader B', env: { ...env, KEFU_ROLE: 'reader' } });
  started.push(readerB);
  await readerB.ready();
  const nginx = await startNginx({ directory, upstreams: [readerA.port, readerB.port] });
  stopNginx = nginx?.stop;
  await answersPerSecond(nginx ? [nginx.base] : [readerA.base, readerB.base]).catch(() => undefined);
  const two = await answersPerSecond(nginx ? [nginx.base] : [readerA.base, readerB.base]);
  const loadTwo = load();

  // Cross-replica message latency: agent on B replies, the customer's stream on A hears it.
  const records = openPostgresRecords({ url, startupRetryMs: 0 });
  const { token } = await createAccounts({ records, settings: loadConfig({ env: {}, dotenvDir: null }).accounts }).addUser({ name: 'bench', role: 'agent', displayName: 'Bench' });
  const startedChat = (await (await fetch(`${readerA.base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'How long do I have to return an item?' }) })).json()) as { conversationId: string; conversationToken: string };
  const customerHeaders = { 'x-conversation-token': startedChat.conversationToken };
  await fetch(`${readerA.base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json', ...customerHeaders }, body: JSON.stringify({ question: '我要转人工', conversationId: startedChat.conversationId }) });
  const stream = await openSse(`${readerA.base}/api/conversations/${startedChat.conversationId}/events`, customerHeaders);
  await stream.next((event) => event.event === 'ready');
  const latencies: number[] = [];
  for (let index = 0; index < 60; index += 1) {
    const text = `bench reply ${index}`;
    const sent = performance.now();
    const reply = await fetch(`${readerB.base}/api/agent/conversations/${startedChat.conversationId}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ text }) });
    if (reply.status !== 201) throw new Error(`agent reply failed: ${reply.status} ${await reply.text()}`);
    const live = await stream.next((event) => event.event === 'message' && (event.data.message as { text?: string }).text === text, 30_000);
    latencies.push(live.at - sent);
  }
  stream.close();
  await records.close();

  // Index-version propagation: a new file → a cited answer on both readers.
  const delays: number[] = [];
  for (let index = 0; index < 3; index += 1) {
    const topic = `locker${index}zone`;
    const question = `How long does ${topic} keep a parcel?`;
    const written = Date.now();
    await writeFile(path.join(inbox, `${topic}.md`), `# ${topic}\n\nThe ${topic} parcel locker keeps a parcel for ${index + 3} days before it goes back to the sender.`);
    const perReader = await Promise.all(
      [readerA, readerB].map(async (replica) => {
        await waitFor(async () => {
          const reply = (await (await fetch(`${replica.base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) })).json()) as { citations?: Array<{ docPath: string }> };
          return (reply.citations ?? []).some((citation) => citation.docPath.includes(topic)) ? true : undefined;
        }, `${replica.name} to answer about ${topic}`, 120_000, 100);
        return Date.now() - written;
      }),
    );
    delays.push(Math.max(...perReader));
  }

  console.log(`\n| measure | value |\n| --- | --- |`);
  console.log(`| answers/s, one reader (${connections} connections, ${seconds} s) | ${one.perSecond.toFixed(1)} (p50 ${one.p50} ms, p99 ${one.p99} ms, errors ${one.errors}, non-2xx ${one.non2xx}); load ${loadOne} |`);
  console.log(`| answers/s, two readers ${nginx ? 'behind nginx' : '(two ports)'} | ${two.perSecond.toFixed(1)} (p50 ${two.p50} ms, p99 ${two.p99} ms, errors ${two.errors}, non-2xx ${two.non2xx}); load ${loadTwo} |`);
  console.log(`| cross-replica message latency (agent POST on B → customer SSE on A, n=${latencies.length}) | p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms |`);
  console.log(`| index propagation (file written → cited on both readers; debounce 300 ms, refresh ${env.KEFU_INDEX_REFRESH_MS} ms, n=${delays.length}) | ${delays.map((delay) => `${delay} ms`).join(', ')} |`);
  console.log(`| load average at the end (1 / 5 / 15 min) | ${load()} |`);
} finally {
  await stopNginx?.();
  await Promise.all(started.map((replica) => replica.stop()));
  await cluster.stop();
  await rm(directory, { recursive: true, force: true });
}
