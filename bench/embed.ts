/**
 * Embedding throughput: our embedder (Transformers.js) against a bare onnxruntime-node session on the
 * same model file, for FAQ-length sentences and chunk-length texts at batch sizes 1, 8 and 32; plus the
 * int8 model's speed and agreement with fp32. Run with `npm run bench:embed`.
 *
 * The bare path tokenises once up front (not timed), pads per batch, and mean-pools: it is the ceiling
 * our embedder is measured against. Both see the texts in the same length-sorted order, so the ratio
 * shows our overhead (tokenising, tensors, pooling) rather than the effect of sorting.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder, ensureBundledModel, type KefuEmbedder } from '../src/embeddings/index.ts';

const BATCH_SIZES = (process.env.BENCH_BATCHES ?? '1,8,16,32').split(',').map(Number);
const SENTENCE_COUNT = Number(process.env.BENCH_SENTENCES ?? 1000);
const CHUNK_COUNT = Number(process.env.BENCH_CHUNKS ?? 300);
// Each figure is the best of this many alternating rounds, so a busy machine disturbs the ratios less.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

function progress(message: string): void {
  process.stderr.write(`… ${message}\n`);
}

/** Deterministic pseudo-random numbers (mulberry32), so every run embeds the same texts. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const OPENERS = ['How do I', 'Can I', 'Is it possible to', 'What happens if I', 'Why can I not', 'When should I', 'Where can I', 'Who do I contact to'];
const VERBS = ['return', 'exchange', 'cancel', 'track', 'change the address of', 'get a refund for', 'pay for', 'upgrade', 'repair', 'activate'];
const OBJECTS = ['my order', 'a damaged parcel', 'the laptop I bought last week', 'a gift card', 'my subscription', 'an item bought in the sale', 'the warranty claim', 'a bank transfer', 'my new card', 'the replacement phone'];
const TAILS = ['after thirty days', 'if I lost the receipt', 'when the package shows as delivered but never arrived', 'using the mobile app instead of the website', 'from another country', 'before it has been shipped', 'and will I be charged a fee for it', 'if the store is closed on weekends', 'without logging in to my account', 'while I am travelling abroad next month'];
const FILLERS = ['Please note that', 'In most cases', 'According to our policy', 'For customers in the European Union', 'Unless stated otherwise', 'As a general rule'];
const STATEMENTS = ['refunds are issued to the original payment method within five business days', 'items must be unused and in their original packaging', 'express delivery is available for an extra fee at checkout', 'the warranty does not cover accidental damage or misuse', 'support is available from nine to six on working days', 'gift cards cannot be exchanged for cash or refunded', 'orders can be cancelled free of charge until they are dispatched', 'a receipt or order number is required for every return'];

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)] as T;
}

function faqSentences(count: number): string[] {
  // Real customer questions if the shared evaluation data is present (benchmarks may read it), paired so
  // they reach FAQ length (~15-30 words); otherwise generated ones.
  const banking = path.resolve(import.meta.dirname, '..', '..', 'shared', 'eval-data', 'banking77', 'test.csv');
  const next = random(77);
  if (existsSync(banking)) {
    const questions = readFileSync(banking, 'utf8').split('\n').slice(1)
      .map((line) => line.replace(/,[a-z_]+\s*$/, '').replace(/^"|"$/g, '').replace(/""/g, '"').trim())
      .filter((line) => line.length > 0);
    if (questions.length > 50) {
      return Array.from({ length: count }, () => {
        const first = pick(questions, next);
        const words = first.split(/\s+/).length;
        return words >= 15 ? first : `${first} ${pick(questions, next)}`;
      });
    }
  }
  return Array.from({ length: count }, () => `${pick(OPENERS, next)} ${pick(VERBS, next)} ${pick(OBJECTS, next)} ${pick(TAILS, next)}, and ${pick(FILLERS, next).toLowerCase()} ${pick(STATEMENTS, next)}?`);
}

function chunkTexts(count: number, countTokens: (text: string) => number): string[] {
  const next = random(300);
  return Array.from({ length: count }, () => {
    let text = '';
    while (countTokens(text) < 195) text += `${pick(FILLERS, next)}, ${pick(STATEMENTS, next)}; ${pick(OPENERS, next).toLowerCase()} ${pick(VERBS, next)} ${pick(OBJECTS, next)} ${pick(TAILS, next)}. `;
    return text.trim();
  });
}

/** Wall-clock and CPU seconds of `work`; CPU time is less disturbed by other processes on a busy machine. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; wall: number; cpu: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { result, wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

function lengthSorted(texts: string[]): string[] {
  return [...texts].sort((left, right) => right.length - left.length);
}

function cosine(left: number[], right: number[]): number {
  let dot = 0;
  for (let index = 0; index < left.length; index++) dot += (left[index] ?? 0) * (right[index] ?? 0);
  return dot;
}

/** Bare onnxruntime: pre-tokenised ids, padded per batch, mean-pooled. */
async function bareThroughput(session: ort.InferenceSession, ids: number[][], batchSize: number): Promise<{ perSecond: number; perCpuSecond: number }> {
  const runBatch = async (batch: number[][]): Promise<void> => {
    const width = Math.max(...batch.map((row) => row.length));
    const inputIds = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((row, rowIndex) => row.forEach((id, column) => {
      inputIds[rowIndex * width + column] = BigInt(id);
      mask[rowIndex * width + column] = 1n;
    }));
    const dims = [batch.length, width];
    const output = await session.run({
      input_ids: new ort.Tensor('int64', inputIds, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch.length * width), dims),
    });
    const hidden = output.last_hidden_state?.data as Float32Array;
    const dimension = hidden.length / (batch.length * width);
    for (let row = 0; row < batch.length; row++) {
      const sum = new Float32Array(dimension);
      for (let token = 0; token < width; token++) {
        if (mask[row * width + token] === 0n) continue;
        for (let index = 0; index < dimension; index++) sum[index] = (sum[index] ?? 0) + (hidden[(row * width + token) * dimension + index] ?? 0);
      }
    }
  };
  await runBatch(ids.slice(0, batchSize));
  const { wall, cpu } = await timed(async () => {
    for (let start = 0; start < ids.length; start += batchSize) await runBatch(ids.slice(start, start + batchSize));
  });
  return { perSecond: ids.length / wall, perCpuSecond: ids.length / cpu };
}

async function oursThroughput(embedder: KefuEmbedder, texts: string[]): Promise<{ perSecond: number; perCpuSecond: number; vectors: number[][] }> {
  const { result, wall, cpu } = await timed(() => embedder.embedDocuments(texts));
  return { perSecond: texts.length / wall, perCpuSecond: texts.length / cpu, vectors: result };
}

async function loadEmbedder(dtype: 'fp32' | 'q8', batchSize: number): Promise<KefuEmbedder> {
  const config = loadConfig({ env: { ...process.env, KEFU_EMBEDDING_DTYPE: dtype, KEFU_EMBEDDING_BATCH_SIZE: String(batchSize), KEFU_EMBEDDING_MODEL: 'bundled' } });
  const embedder = await createEmbedder({ config, logger: { warn: (message) => progress(message) } });
  await embedder.embedDocuments(['warm up the session']);
  return embedder;
}

const config = loadConfig();
progress(`preparing the bundled model in ${config.embedding.bundledModelDir}`);
const { modelDir } = await ensureBundledModel(config);
const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
const countTokens = (text: string): number => tokenizer.encode(text, { add_special_tokens: false }).length;
const fp32File = path.join(modelDir, 'onnx', 'model.onnx');
const q8File = path.join(modelDir, 'onnx', 'model_quantized.onnx');
const hasQuantized = existsSync(q8File);

const sets = [
  { name: 'FAQ sentences', texts: lengthSorted(faqSentences(SENTENCE_COUNT)) },
  { name: 'chunks', texts: lengthSorted(chunkTexts(CHUNK_COUNT, countTokens)) },
];

interface Row { set: string; tokens: number; batch: number; ours: number; bare: number; oursCpu: number; bareCpu: number; q8?: number; q8Bare?: number; agreement?: { mean: number; min: number } }
const rows: Row[] = [];
for (const set of sets) {
  const ids = set.texts.map((text) => tokenizer.encode(text).slice(0, 512));
  const tokens = ids.reduce((total, row) => total + row.length, 0) / ids.length;
  for (const batch of BATCH_SIZES) {
    progress(`${set.name} (${set.texts.length} texts, ~${tokens.toFixed(0)} tokens) at batch ${batch}: ${ROUNDS} rounds of ours fp32, bare fp32${hasQuantized ? ', ours int8, bare int8' : ''}`);
    const engines = {
      oursFull: await loadEmbedder('fp32', batch),
      bareFull: await ort.InferenceSession.create(fp32File),
      oursQuantized: hasQuantized ? await loadEmbedder('q8', batch) : undefined,
      bareQuantized: hasQuantized ? await ort.InferenceSession.create(q8File) : undefined,
    };
    const row: Row = { set: set.name, tokens, batch, ours: 0, bare: 0, oursCpu: 0, bareCpu: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const ours = await oursThroughput(engines.oursFull, set.texts);
      const bare = await bareThroughput(engines.bareFull, ids, batch);
      row.ours = Math.max(row.ours, ours.perSecond);
      row.oursCpu = Math.max(row.oursCpu, ours.perCpuSecond);
      row.bare = Math.max(row.bare, bare.perSecond);
      row.bareCpu = Math.max(row.bareCpu, bare.perCpuSecond);
      if (engines.oursQuantized && engines.bareQuantized) {
        const quantized = await oursThroughput(engines.oursQuantized, set.texts);
        const similarities = quantized.vectors.map((vector, index) => cosine(vector, ours.vectors[index] ?? []));
        row.q8 = Math.max(row.q8 ?? 0, quantized.perSecond);
        row.q8Bare = Math.max(row.q8Bare ?? 0, (await bareThroughput(engines.bareQuantized, ids, batch)).perSecond);
        row.agreement = { mean: similarities.reduce((total, value) => total + value, 0) / similarities.length, min: Math.min(...similarities) };
      }
    }
    await engines.oursFull.dispose();
    await engines.bareFull.release();
    await engines.oursQuantized?.dispose();
    await engines.bareQuantized?.release();
    rows.push(row);
    progress(`  ours ${row.ours.toFixed(1)}/s, bare ${row.bare.toFixed(1)}/s${row.q8 ? `, int8 ${row.q8.toFixed(1)}/s (cos ${row.agreement?.mean.toFixed(4)})` : ''}`);
  }
}

const header = ['texts', 'tokens', 'batch', 'ours fp32/s', 'bare fp32/s', 'ours/bare', 'ours/bare cpu', 'ours int8/s', 'bare int8/s', 'int8/fp32', 'int8 cos mean', 'int8 cos min'];
const table = rows.map((row) => [
  row.set,
  row.tokens.toFixed(0),
  String(row.batch),
  row.ours.toFixed(1),
  row.bare.toFixed(1),
  `${(row.ours / row.bare).toFixed(2)}x`,
  `${(row.oursCpu / row.bareCpu).toFixed(2)}x`,
  row.q8 === undefined ? '-' : row.q8.toFixed(1),
  row.q8Bare === undefined ? '-' : row.q8Bare.toFixed(1),
  row.q8 === undefined ? '-' : `${(row.q8 / row.ours).toFixed(2)}x`,
  row.agreement ? row.agreement.mean.toFixed(4) : '-',
  row.agreement ? row.agreement.min.toFixed(4) : '-',
]);
const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => (cells[column] ?? '').length)));
const line = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
console.log(`\nEmbedding throughput, ${config.embedding.model} model (${modelDir}), texts per second, ${(await import('node:os')).availableParallelism()} cores`);
console.log(line(header));
console.log(widths.map((width) => '-'.repeat(width)).join('  '));
for (const cells of table) console.log(line(cells));
console.log('\nours = createEmbedder (Transformers.js: tokenise, run, mean-pool, normalise); bare = onnxruntime-node session on the same file with ids tokenised beforehand (not timed).');
console.log('ours/bare cpu compares texts per CPU-second, which other processes on a busy machine disturb less than wall time.');
console.log('Targets: ours/bare >= 0.9x; int8 >= 1.5x fp32 at mean cosine >= 0.99.');
