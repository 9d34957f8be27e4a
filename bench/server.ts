/**
 * Chat service benchmark (`npm run bench:server`).
 *
 * Indexes the Northwind PDFs (../shared/eval-data/northwind/pdfs, or BENCH_PDF_DIR) into a temp data dir,
 * starts the real app (real answer service, real SQLite records, rate limit raised so it never trips) on
 * loopback, and drives POST /api/chat (JSON) for BENCH_SECONDS (default 30) with autocannon in a worker
 * thread, rotating through the Northwind questions. In the same run, a bare Fastify route returning a JSON
 * body of the same size gets the same load; the ratio shows what answering costs over HTTP alone.
 * Target on 2 cores: >= 100 answers/s with p99 <= 150 ms and zero errors.
 * BENCH_REINDEX=1: the load runs while 600 new notes are indexed (a large sync on the same index, one writer,
 * every chunk embedded): errors must stay 0; p99 is reported.
 * BENCH_DATA_DIR=<dir>: keep the index and records there between runs (an unchanged inbox is not indexed again), so
 * before/after runs compare serving only; without it a fresh temp dir is used and removed.
 * BENCH_CPU_PROFILE=<file.cpuprofile>: a V8 CPU profile of the server process during the chat load only (not the
 * indexing before it); `node bench/profile-summary.ts <file>` lists the top self-time functions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error autocannon ships no type declarations (and @types/autocannon is not installed).
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { syncFolder } from '../ingest/sync.ts';
import { createAnswerService } from '../src/answer/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import { buildApp } from '../src/server/app.ts';
import { openStore } from '../src/store/index.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');
const northwind = path.join(repositoryRoot, '..', 'shared', 'eval-data', 'northwind');
const pdfDir = path.resolve(process.env.BENCH_PDF_DIR ?? path.join(northwind, 'pdfs'));
const questionsFile = path.resolve(process.env.BENCH_QUESTIONS ?? path.join(northwind, 'qa.jsonl'));
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const reindex = process.env.BENCH_REINDEX === '1';
if (!existsSync(pdfDir) || !existsSync(questionsFile)) {
  console.error(`Need the Northwind PDFs and questions: ${pdfDir}, ${questionsFile} (set BENCH_PDF_DIR / BENCH_QUESTIONS).`);
  process.exit(1);
}
const questions = readFileSync(questionsFile, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => (JSON.parse(line) as { question: string }).question);

const keptDataDir = process.env.BENCH_DATA_DIR ? path.resolve(process.env.BENCH_DATA_DIR) : undefined;
const scratch = keptDataDir ?? (await mkdtemp(path.join(tmpdir(), 'kefu-bench-server-')));
// The inbox is a copy, so the re-index run can add files to it.
const inbox = path.join(scratch, 'inbox');
await mkdir(inbox, { recursive: true });
const pdfs = (await readdir(pdfDir)).filter((name) => name.toLowerCase().endsWith('.pdf'));
for (const name of pdfs) await copyFile(path.join(pdfDir, name), path.join(inbox, name));
// The bundled model is already prepared under the repository's data dir; the index and records are fresh.
const modelConfig = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(repositoryRoot, 'data') }, dotenvDir: null, cwd: repositoryRoot });
const config = loadConfig({
  env: {
    ...process.env,
    KEFU_DATA_DIR: scratch,
    KEFU_INBOX: inbox,
    KEFU_RATE_LIMIT_PER_MINUTE: String(Number.MAX_SAFE_INTEGER),
    KEFU_LOG_LEVEL: 'warn',
  },
  dotenvDir: null,
});
const embedder = await createEmbedder({ config: modelConfig, logger: { warn: () => {} } });
const store = await openStore({ directory: config.indexDir });
let started = performance.now();
const synced = await syncFolder({ config, store, embedder, root: inbox });
console.log(`indexed ${synced.indexed.length} PDFs (${synced.indexed.reduce((sum, file) => sum + file.chunks, 0)} chunks) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const records = openSqliteRecords({ path: config.databasePath });
const answerService = createAnswerService({ config, store, embedder });
const app = await buildApp({ config, answerService, records, logger: false, health: () => ({ checks: { model: true, index: true } }) });
await app.listen({ host: '127.0.0.1', port: 0 });
const chatUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

// Warm-up: every question once (model, FAQ matcher, JIT), and the typical response size for the bare route.
started = performance.now();
let totalBytes = 0;
const outcomes: Record<string, number> = {};
const timings = { retrievalMs: 0, compositionMs: 0, totalMs: 0 };
for (const question of questions) {
  const response = await fetch(`${chatUrl}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
  const text = await response.text();
  if (!response.ok) throw new Error(`warm-up request failed: ${response.status} ${text}`);
  totalBytes += Buffer.byteLength(text);
  const parsed = JSON.parse(text) as { outcome: string; timings: { retrievalMs: number; compositionMs: number; totalMs: number } };
  outcomes[parsed.outcome] = (outcomes[parsed.outcome] ?? 0) + 1;
  for (const key of ['retrievalMs', 'compositionMs', 'totalMs'] as const) timings[key] += parsed.timings[key] / questions.length;
}
const averageBytes = Math.round(totalBytes / questions.length);
console.log(`warm-up: ${questions.length} questions, one at a time, ${((performance.now() - started) / questions.length).toFixed(1)} ms each; outcomes ${JSON.stringify(outcomes)}; average response ${averageBytes} bytes`);
console.log(`answer service timings (mean): retrieval ${timings.retrievalMs.toFixed(1)} ms, composition ${timings.compositionMs.toFixed(1)} ms, total ${timings.totalMs.toFixed(1)} ms`);

interface Figures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
}

interface LoadRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

const runAutocannon = autocannon as (options: { url: string; connections: number; duration: number; workers: number; requests: LoadRequest[] }) => Promise<AutocannonResult>;

async function load(url: string, requests: LoadRequest[]): Promise<Figures> {
  // The load generator runs in a worker thread, so it does not share the server's event loop.
  const result = await runAutocannon({ url, connections, duration: seconds, workers: 1, requests });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}

const chatRequests = questions.map((question) => ({
  method: 'POST' as const,
  path: '/api/chat',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ question }),
}));
console.log(`POST /api/chat: ${seconds} s, ${connections} connections${reindex ? ', while 600 new notes are indexed' : ''}…`);
let reindexing: Promise<string> | undefined;
if (reindex) {
  // New text, so every chunk is embedded (copies of the same PDFs would reuse their vectors): 600 notes made of
  // the questions, each numbered apart.
  for (let index = 0; index < 600; index++) {
    const lines = Array.from({ length: 8 }, (_, offset) => questions[(index * 8 + offset) % questions.length]);
    await writeFile(path.join(inbox, `note-${index}.md`), `# Note ${index}\n\nCase ${index}: ${lines.join(' ')}\n`);
  }
  const reindexStarted = performance.now();
  reindexing = syncFolder({ config, store, embedder, root: inbox }).then(
    (summary) => `re-index: ${summary.indexed.length} files (${summary.indexed.reduce((sum, file) => sum + file.chunks, 0)} chunks embedded) in ${((performance.now() - reindexStarted) / 1000).toFixed(1)} s, ${summary.failed.length} failed`,
  );
}
const profileFile = process.env.BENCH_CPU_PROFILE;
const profiler = profileFile ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const chat = await load(chatUrl, chatRequests);
if (profiler && profileFile) {
  const { profile } = await profiler.post('Profiler.stop');
  await writeFile(profileFile, JSON.stringify(profile));
  profiler.disconnect();
  console.log(`CPU profile of the chat load: ${profileFile}`);
}
if (reindexing) console.log(`${await reindexing} (the load ran during its first ${seconds} s)`);
await app.close();

const bare = Fastify({ logger: false });
const payload = JSON.stringify({ answer: 'x'.repeat(Math.max(0, averageBytes - 14)) });
bare.post('/api/chat', async (_request, reply) => reply.type('application/json; charset=utf-8').send(payload));
await bare.listen({ host: '127.0.0.1', port: 0 });
console.log(`bare Fastify route (${Buffer.byteLength(payload)} bytes): ${seconds} s, ${connections} connections…`);
const bareFigures = await load(`http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`, chatRequests);
await bare.close();

const ratio = chat.requestsPerSecond / bareFigures.requestsPerSecond;
const meetsTarget = chat.requestsPerSecond >= 100 && chat.p99Ms <= 150 && chat.errors + chat.non2xx === 0;
const report = {
  date: new Date().toISOString(),
  machine: { cores: os.cpus().length, node: process.version },
  seconds,
  connections,
  questions: questions.length,
  averageResponseBytes: averageBytes,
  answerTimingsMs: timings,
  chat,
  bare: bareFigures,
  ratio: Number(ratio.toFixed(3)),
  target: { answersPerSecond: 100, p99Ms: 150, errors: 0, met: meetsTarget },
};
console.log('\n                      req/s    p50 ms   p99 ms   errors   non-2xx');
for (const [name, figures] of [['POST /api/chat', chat], ['bare Fastify', bareFigures]] as const) {
  console.log(`${name.padEnd(20)}${String(figures.requestsPerSecond).padStart(7)}${String(figures.p50Ms).padStart(10)}${String(figures.p99Ms).padStart(9)}${String(figures.errors).padStart(9)}${String(figures.non2xx).padStart(10)}`);
}
console.log(`load average (1, 5, 15 min): ${os.loadavg().map((value) => value.toFixed(2)).join(', ')}`);
console.log(`ratio chat / bare: ${ratio.toFixed(3)}   target (>= 100/s, p99 <= 150 ms, 0 errors): ${meetsTarget ? 'met' : 'NOT met'}`);
await mkdir(path.join(repositoryRoot, 'bench', 'results'), { recursive: true });
await writeFile(path.join(repositoryRoot, 'bench', 'results', 'server.json'), `${JSON.stringify(report, null, 2)}\n`);

await records.close();
await store.close();
await embedder.dispose();
if (!keptDataDir) await rm(scratch, { recursive: true, force: true });
