/**
 * Ingestion benchmark (`npm run bench:ingest`).
 *
 * 0. `kefu ingest` of the Northwind PDFs in a fresh child process, as a user runs it: chunks/s and peak RSS
 *    (VmHWM). This is the headline figure: the in-process runs below share their process with the benchmark's
 *    own passes (a recording pass, embedding-only runs, a second index), whose memory stays in the process.
 * 1. Fresh index of the Northwind PDFs (../shared/eval-data/northwind/pdfs, or BENCH_PDF_DIR): pages/s,
 *    chunks/s, peak RSS. In the same run, the embedding-only throughput on exactly the texts the pipeline
 *    embeds (recorded in a first, warm-up pass; same slices), measured before and after the pipeline run
 *    (A-B-A), and the ratio pipeline / embedding-only (target >= 0.8), by wall clock and by CPU time.
 * 2. Re-ingesting the unchanged folder (target < 1 s).
 * 3. A generated 12-page PDF, ingested, then regenerated with one page edited: how many chunks are re-embedded.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { makePdf } from '../test/support/pdf.ts';
import { syncFolder } from '../ingest/sync.ts';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore } from '../src/store/index.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');
const pdfDir = path.resolve(process.env.BENCH_PDF_DIR ?? path.join(repositoryRoot, '..', 'shared', 'eval-data', 'northwind', 'pdfs'));
if (!existsSync(pdfDir)) {
  console.error(`No PDF folder at ${pdfDir}; set BENCH_PDF_DIR.`);
  process.exit(1);
}

const scratch = await mkdtemp(path.join(tmpdir(), 'kefu-bench-ingest-'));

/** `kefu ingest <pdfDir> --json` in a fresh process: seconds, chunks, peak RSS (VmHWM, Linux). */
async function cliIngest(): Promise<{ seconds: number; chunks: number; pages: number; peakMb: number; load: number; modelId: string }> {
  const env = { ...process.env, KEFU_DATA_DIR: path.join(scratch, 'cli'), KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') };
  const load = loadavg()[0] ?? 0;
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), 'ingest', pdfDir, '--json'], { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  let peakKb = 0;
  const sampler = setInterval(() => {
    void readFile(`/proc/${child.pid}/status`, 'utf8').then((status) => (peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0))), () => {});
  }, 25);
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const summary = JSON.parse(stdout) as { indexed: Array<{ chunks: number; pages: number }> };
  const store = await openStore({ directory: path.join(scratch, 'cli', 'index') });
  const modelId = (await store.modelId()) ?? '?';
  await store.close();
  return { seconds, chunks: summary.indexed.reduce((sum, file) => sum + file.chunks, 0), pages: summary.indexed.reduce((sum, file) => sum + file.pages, 0), peakMb: peakKb / 1024, load, modelId };
}
const cli = await cliIngest();
if (process.env.BENCH_CLI_ONLY) {
  // Just the headline figures (e.g. to compare with another checkout in the same minute).
  console.log(`kefu ingest (fresh process): ${(cli.chunks / cli.seconds).toFixed(1)} chunks/s (${cli.chunks} chunks, ${cli.pages} pages in ${cli.seconds.toFixed(1)} s), peak RSS ${cli.peakMb.toFixed(0)} MB, ${cli.modelId}, load average ${cli.load.toFixed(1)} at start`);
  await rm(scratch, { recursive: true, force: true });
  process.exit(0);
}
const modelConfig = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(repositoryRoot, 'data') }, dotenvDir: null, cwd: repositoryRoot });
const embedder = await createEmbedder({ config: modelConfig, logger: { warn: () => {} } });

/** Records what the pipeline asks to embed, so the embedding-only run embeds exactly the same. */
const slices: string[][] = [];
const recording: Embedder = {
  get modelId() { return embedder.modelId; },
  get dimension() { return embedder.dimension; },
  get maxTokens() { return embedder.maxTokens; },
  get languages() { return embedder.languages; },
  get truncatedCount() { return embedder.truncatedCount; },
  embedDocuments: (texts) => {
    slices.push(texts);
    return embedder.embedDocuments(texts);
  },
  embedQuery: (text) => embedder.embedQuery(text),
  countTokens: (text) => embedder.countTokens(text),
  dispose: async () => {},
};

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);

// Warm-up so neither measured run pays for onnxruntime's first-call setup.
await embedder.embedDocuments(['warm up the model', 'a second sentence to warm up']);

const config = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(scratch, 'data'), KEFU_INBOX: path.join(scratch, 'inbox') }, dotenvDir: null });
const store = await openStore({ directory: config.indexDir });

/** Embedding only, on the texts the pipeline embedded, in the same slices. */
async function embedOnly(): Promise<{ seconds: number; cpuSeconds: number }> {
  const startedAt = performance.now();
  const cpu = process.cpuUsage();
  for (const slice of slices) await embedder.embedDocuments(slice);
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - startedAt) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

// 0. A first pass on a scratch index records exactly what the pipeline embeds (and warms everything up).
const recordConfig = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(scratch, 'record') }, dotenvDir: null });
const recordStore = await openStore({ directory: recordConfig.indexDir });
await syncFolder({ config: recordConfig, store: recordStore, embedder: recording, root: pdfDir });
await recordStore.close();

// Then embedding-only, pipeline, embedding-only (A-B-A), so a load change on a shared machine skews the ratio less.
const loadBefore = loadavg()[0] ?? 0;
const embedBefore = await embedOnly();

// 1. Fresh index.
peakRss = process.memoryUsage().rss;
let started = performance.now();
const freshCpu = process.cpuUsage();
const fresh = await syncFolder({ config, store, embedder, root: pdfDir });
const freshSeconds = (performance.now() - started) / 1000;
const freshCpuUsed = process.cpuUsage(freshCpu);
const freshCpuSeconds = (freshCpuUsed.user + freshCpuUsed.system) / 1e6;
const pages = fresh.indexed.reduce((sum, file) => sum + file.pages, 0);
const chunks = fresh.indexed.reduce((sum, file) => sum + file.chunks, 0);
const freshPeakRss = peakRss;
if (fresh.failed.length > 0) console.error('failed:', fresh.failed);

const embedAfter = await embedOnly();
const embedSeconds = (embedBefore.seconds + embedAfter.seconds) / 2;
const embedCpuSeconds = (embedBefore.cpuSeconds + embedAfter.cpuSeconds) / 2;
const loadAfter = loadavg()[0] ?? 0;
const embeddedTexts = slices.reduce((sum, slice) => sum + slice.length, 0);

// 2. Unchanged re-ingest.
started = performance.now();
const again = await syncFolder({ config, store, embedder, root: pdfDir });
const againSeconds = (performance.now() - started) / 1000;

// 3. Edit one page of one document.
const topics = ['Returns', 'Refunds', 'Shipping', 'Warranty', 'Repairs', 'Gift cards', 'Loyalty', 'Pickup', 'Recycling', 'Accessibility', 'Privacy', 'Contact'];
function manual(editedPage?: number): Promise<Buffer> {
  return makePdf({ info: { Title: 'Lumen Service Manual' } }, (document) => {
    topics.forEach((topic, index) => {
      if (index > 0) document.addPage();
      document.fontSize(16).text(topic);
      const lead = index === editedPage ? `Since May, the ${topic.toLowerCase()} terms changed: ask a store for the new conditions.` : `This page describes our ${topic.toLowerCase()} terms.`;
      document.fontSize(10).text(`${lead} ${`Customers of Lumen can rely on the ${topic.toLowerCase()} terms in every store and online, and our team explains them on request. `.repeat(14)}`);
    });
  });
}
const editDir = path.join(scratch, 'edit');
await mkdir(editDir);
await writeFile(path.join(editDir, 'manual.pdf'), await manual());
const before = await syncFolder({ config, store, embedder, root: editDir });
await writeFile(path.join(editDir, 'manual.pdf'), await manual(5));
started = performance.now();
const after = await syncFolder({ config, store, embedder, root: editDir });
const editSeconds = (performance.now() - started) / 1000;
const edited = after.indexed[0];

clearInterval(sampler);
await store.close();
await embedder.dispose();
await rm(scratch, { recursive: true, force: true });

const pipelineRate = chunks / freshSeconds;
const embeddedRate = fresh.chunksEmbedded / freshSeconds;
const embedRate = embeddedTexts / embedSeconds;
const ratio = embeddedRate / embedRate;
// CPU time counts onnxruntime's threads too; it is what the pipeline adds on top of embedding, whatever else runs.
const cpuRatio = embedCpuSeconds / freshCpuSeconds;
const rows: Array<[string, string, string]> = [
  ['kefu ingest (fresh process): chunks/s', `${(cli.chunks / cli.seconds).toFixed(1)} (${cli.chunks} chunks, ${cli.pages} pages in ${cli.seconds.toFixed(1)} s, ${cli.modelId})`, cli.chunks / cli.seconds >= 90 ? 'ok (>= 90)' : 'BELOW target 90'],
  ['kefu ingest (fresh process): peak RSS', `${cli.peakMb.toFixed(0)} MB (load average ${cli.load.toFixed(1)} at start)`, cli.peakMb <= 600 ? 'ok (<= 600 MB)' : 'ABOVE target 600 MB'],
  ['fresh index: files', `${fresh.indexed.length} indexed, ${fresh.failed.length} failed`, ''],
  ['fresh index: pages / chunks', `${pages} / ${chunks} (${fresh.chunksEmbedded} embedded, ${fresh.chunksReused} reused)`, ''],
  ['fresh index: time', `${freshSeconds.toFixed(1)} s`, ''],
  ['fresh index: pages/s', (pages / freshSeconds).toFixed(1), ''],
  ['fresh index: chunks/s', pipelineRate.toFixed(1), ''],
  ['embedding only: chunks/s (same texts)', `${embedRate.toFixed(1)} (${embeddedTexts} texts in ${embedSeconds.toFixed(1)} s)`, ''],
  ['pipeline / embedding only (wall clock)', `${ratio.toFixed(2)}x`, ratio >= 0.8 ? 'ok (>= 0.8)' : 'BELOW target 0.8'],
  ['pipeline / embedding only (CPU time)', `${cpuRatio.toFixed(2)}x (${freshCpuSeconds.toFixed(1)} s vs ${embedCpuSeconds.toFixed(1)} s)`, cpuRatio >= 0.8 ? 'ok (>= 0.8)' : 'BELOW target 0.8'],
  ['machine load average (1 min)', `${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, ${cpus().length} cores`, loadBefore > cpus().length ? 'busy machine: wall-clock figures are noisy' : ''],
  ['peak RSS in this process (after the recording pass)', `${(freshPeakRss / 1024 / 1024).toFixed(0)} MB`, ''],
  ['unchanged re-ingest', `${(againSeconds * 1000).toFixed(0)} ms (${again.skipped.length} skipped)`, againSeconds < 1 ? 'ok (< 1 s)' : 'BELOW target < 1 s'],
  ['edit one page of a 12-page PDF', `${edited?.embedded ?? '?'} of ${edited?.chunks ?? '?'} chunks re-embedded (${(editSeconds * 1000).toFixed(0)} ms; first ingest ${before.chunksEmbedded})`, edited && edited.embedded <= 3 ? 'ok' : 'check'],
];
console.log(`\nIngestion benchmark: ${pdfDir}\nmodel ${embedder.modelId}, batch ${modelConfig.embedding.batchSize}, chunk ${config.ingest.chunkTokens} tokens\n`);
const width = Math.max(...rows.map(([name]) => name.length));
const valueWidth = Math.max(...rows.map(([, value]) => value.length));
for (const [name, value, verdict] of rows) console.log(`${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${verdict}`);
