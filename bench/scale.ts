/**
 * `npm run bench:scale -- [--rows 100000] [--queries 100]` (not in CI): LanceDB at a large index.
 *
 * Text: chunks of ~3–6 sentences drawn (seeded) from public corpora in ../shared/eval-data — StackFAQ answers and
 * BANKING77/CLINC150 utterances for English, CMRC2018 paragraphs for Chinese (one chunk in four) — each with a case
 * number so no two chunks are identical; analysed by kefu's own analyzer (keyword and bigram columns) and written
 * through the real store (`replaceDocuments`, 1,000 chunks a document), so the full-text indexes are kefu's own.
 * Vectors: embedding a million texts is days of CPU here, so a base set (BENCH_BASE, default 1,000 chunk texts) is
 * embedded with the real model and every chunk gets a seeded perturbation of one base vector (Gaussian noise,
 * renormalised; cosine ~.8 to its base). Queries: a chunk's vector perturbed again, and three of its words.
 *
 * Reports write time, ANN build time (IVF_PQ, cosine), disk size, RSS, and p50/p95 of keyword, vector and hybrid
 * (both at once, as retrieval runs them) before and after the ANN index, and recall@10 of the vector side against
 * exact search (`bypassVectorIndex`) for several nprobes / refine factors. Target: hybrid p95 <= 50 ms, recall@10 >= .95.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { openStore } from '../src/store/index.ts';
import type { ChunkRecord, DocumentRecord } from '../src/store/types.ts';
import { bigramText, keywordText } from '../src/text/index.ts';
import { seededRandom } from '../src/intents/random.ts';

const argument = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const rows = Number(argument('--rows') ?? 100_000);
const queryCount = Number(argument('--queries') ?? 100);
const baseCount = Number(process.env.BENCH_BASE ?? 1000);
const repositoryRoot = path.resolve(import.meta.dirname, '..');
const evalData = path.join(repositoryRoot, '..', 'shared', 'eval-data');

// Seeded, so every run generates the same data.
const next = seededRandom(2026);
const gaussian = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

const stack = (JSON.parse(readFileSync(path.join(evalData, 'stackfaq', 'stackExchange-FAQ.json'), 'utf8')) as { root: { qapair: Array<{ answer: string[] | string | null }> } }).root.qapair;
const clinc = JSON.parse(readFileSync(path.join(evalData, 'clinc150', 'data_full.json'), 'utf8')) as Record<string, Array<[string, string]>>;
const banking = readFileSync(path.join(evalData, 'banking77', 'train.csv'), 'utf8').split('\n').slice(1).map((line) => line.replace(/,[a-z_]+$/, '').replace(/^"|"$/g, ''));
const cmrc = (JSON.parse(readFileSync(path.join(evalData, 'cmrc2018', 'cmrc2018_dev.json'), 'utf8')) as { data: Array<{ paragraphs: Array<{ context: string }> }> }).data.flatMap((item) => item.paragraphs.map((paragraph) => paragraph.context));
const englishSentences = [...stack.flatMap((pair) => [pair.answer ?? []].flat().flatMap((answer) => String(answer).split(/(?<=[.!?])\s+/))), ...(clinc.train ?? []).map(([text]) => `${text}.`), ...banking].filter((text) => text.length > 20);
const chineseSentences = cmrc.flatMap((context) => context.split(/(?<=[。！？])/)).filter((text) => text.length > 10);

function chunkText(index: number): { text: string; language: string } {
  const chinese = index % 4 === 3;
  const pool = chinese ? chineseSentences : englishSentences;
  const count = 3 + Math.floor(next() * 4);
  const sentences = Array.from({ length: count }, () => pick(pool));
  return { text: `${chinese ? `案例 ${index}：` : `Case ${index}: `}${sentences.join(chinese ? '' : ' ')}`, language: chinese ? 'zh' : 'en' };
}

const scratch = await mkdtemp(path.join(tmpdir(), 'kefu-bench-scale-'));
const indexDir = path.join(scratch, 'index');
const modelConfig = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(repositoryRoot, 'data') }, dotenvDir: null, cwd: repositoryRoot });
const embedder = await createEmbedder({ config: modelConfig, logger: { warn: () => {} } });
let started = performance.now();
const baseVectors = await embedder.embedDocuments(Array.from({ length: baseCount }, (_, index) => chunkText(index).text));
console.log(`embedded ${baseCount} base chunk texts in ${((performance.now() - started) / 1000).toFixed(1)} s`);

function perturb(vector: readonly number[], noise: number): number[] {
  const noisy = vector.map((value) => value + gaussian() * (noise / Math.sqrt(vector.length)));
  const norm = Math.sqrt(noisy.reduce((sum, value) => sum + value * value, 0));
  return noisy.map((value) => value / norm);
}

const store = await openStore({ directory: indexDir });
await store.useModel({ modelId: embedder.modelId, dimension: embedder.dimension });
const perDocument = 1000;
const queries: Array<{ vector: number[]; words: string }> = [];
started = performance.now();
let analysisMs = 0;
for (let start = 0; start < rows; start += perDocument) {
  const docPath = `generated/doc-${start / perDocument}.md`;
  const analysing = performance.now();
  const chunks: ChunkRecord[] = [];
  for (let index = start; index < Math.min(rows, start + perDocument); index++) {
    const { text, language } = chunkText(index);
    const vector = perturb(pick(baseVectors), 0.75);
    chunks.push({ id: `${start / perDocument}-${index}`, docPath, title: `Document ${start / perDocument}`, docType: 'markdown', kind: 'passage', ordinal: index - start, headingPath: '', page: 0, text, language, questions: '', answer: '', category: '', faqId: '', keywords: keywordText(text), bigrams: bigramText(text), textHash: `h${index}`, vector });
    if (queries.length < queryCount && next() < (queryCount * 1.5) / rows) {
      const words = text.split(/\s+/).filter((word) => word.length > 4);
      queries.push({ vector: perturb(vector, 0.5), words: [pick(words), pick(words), pick(words)].filter(Boolean).join(' ') || text.slice(8, 14) });
    }
  }
  analysisMs += performance.now() - analysing;
  const document: DocumentRecord = { path: docPath, title: `Document ${start / perDocument}`, type: 'markdown', contentHash: docPath, size: 0, status: 'indexed', reason: '', chunkCount: chunks.length, pageCount: 0, modifiedAt: new Date().toISOString(), indexedAt: new Date().toISOString() };
  await store.replaceDocuments([{ document, chunks }]);
  if ((start / perDocument) % 20 === 19) process.stdout.write(`\r${start + perDocument} rows written…`);
}
await store.optimize();
const writeSeconds = (performance.now() - started) / 1000;
console.log(`\rwrote ${rows} chunks in ${writeSeconds.toFixed(1)} s (text analysis ${(analysisMs / 1000).toFixed(1)} s of it), full-text index included; ${queries.length} queries`);

const percentile = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * share))] ?? 0;
async function timeQueries(label: string): Promise<void> {
  const timings = { keyword: [] as number[], vector: [] as number[], hybrid: [] as number[] };
  for (const query of queries) {
    let mark = performance.now();
    await store.keywordSearchIds({ query: keywordText(query.words), bigrams: bigramText(query.words), limit: 40 });
    timings.keyword.push(performance.now() - mark);
    mark = performance.now();
    await store.vectorSearchIds({ vector: query.vector, limit: 40 });
    timings.vector.push(performance.now() - mark);
    mark = performance.now();
    await Promise.all([store.keywordSearchIds({ query: keywordText(query.words), bigrams: bigramText(query.words), limit: 40 }), store.vectorSearchIds({ vector: query.vector, limit: 40 })]);
    timings.hybrid.push(performance.now() - mark);
  }
  for (const [name, values] of Object.entries(timings)) console.log(`${label.padEnd(22)} ${name.padEnd(8)} p50 ${percentile(values, 0.5).toFixed(1).padStart(7)} ms   p95 ${percentile(values, 0.95).toFixed(1).padStart(7)} ms`);
}
await timeQueries('exact (no ANN index)');

const db = await lancedb.connect(indexDir);
const table = await db.openTable('chunks');
const exact: string[][] = [];
for (const query of queries) exact.push(((await table.vectorSearch(query.vector).distanceType('cosine').bypassVectorIndex().select(['id', '_distance']).limit(10).toArray()) as Array<{ id: string }>).map((row) => row.id));
const partitions = Math.max(1, Math.round(Math.sqrt(rows)));
started = performance.now();
await table.createIndex('vector', { config: lancedb.Index.ivfPq({ numPartitions: partitions, numSubVectors: embedder.dimension / 8, distanceType: 'cosine' }) });
const buildSeconds = (performance.now() - started) / 1000;
console.log(`IVF_PQ index (${partitions} partitions, ${embedder.dimension / 8} sub-vectors, cosine) built in ${buildSeconds.toFixed(1)} s`);
await timeQueries('IVF_PQ, store defaults');
for (const [nprobes, refine] of [[20, 0], [20, 5], [40, 10], [80, 10]] as const) {
  let found = 0;
  const timings: number[] = [];
  for (const [index, query] of queries.entries()) {
    const mark = performance.now();
    let search = table.vectorSearch(query.vector).distanceType('cosine').nprobes(nprobes).select(['id', '_distance']).limit(10);
    if (refine > 0) search = search.refineFactor(refine);
    const ids = new Set(((await search.toArray()) as Array<{ id: string }>).map((row) => row.id));
    timings.push(performance.now() - mark);
    found += (exact[index] ?? []).filter((id) => ids.has(id)).length;
  }
  console.log(`IVF_PQ nprobes ${nprobes}, refine ${refine}: recall@10 ${(found / (queries.length * 10)).toFixed(3)}, vector p50 ${percentile(timings, 0.5).toFixed(1)} ms, p95 ${percentile(timings, 0.95).toFixed(1)} ms`);
}
const disk = execFileSync('du', ['-sh', indexDir], { encoding: 'utf8' }).split('\t')[0];
console.log(`disk: ${disk}; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB; load average (1, 5, 15 min): ${os.loadavg().map((value) => value.toFixed(2)).join(', ')}`);
await store.close();
await embedder.dispose();
await rm(scratch, { recursive: true, force: true });
