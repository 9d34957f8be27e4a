/**
 * Intent classifier speed: training on banking77's 10,003 training examples from cold (every text
 * embedded, then the held-out pass, the threshold and the final pass), a retrain with the vector cache
 * warm (what a sync does after an edit), and classification per message with the query vector given
 * (the answer path embeds the question anyway) and, for reference, the query embedding itself.
 * Run with `npm run bench:intents`. Prints figures and the load average; asserts nothing.
 *
 * Targets (issue 14): training on 10,000 examples <= 60 s, classification <= 2 ms per message.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { trainIntentClassifier } from '../src/intents/classifier.ts';
import type { IntentExample } from '../src/intents/types.ts';
import { createMemoryVectorCache } from '../src/intents/vector-cache.ts';

const dataDir = path.resolve(import.meta.dirname, '..', '..', 'shared', 'eval-data', 'banking77');
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);

function load(file: string): IntentExample[] {
  return (parse(readFileSync(path.join(dataDir, file), 'utf8'), { columns: true }) as { text: string; category: string }[]).map((row) => ({ text: row.text, intent: row.category }));
}

function loadLine(label: string): string {
  return `${label}: load average ${os.loadavg().map((value) => value.toFixed(2)).join(' ')} on ${os.cpus().length} cores`;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

if (!existsSync(path.join(dataDir, 'train.csv'))) {
  console.error(`bench:intents needs ${dataDir}/train.csv and test.csv (the shared evaluation data)`);
  process.exit(1);
}
const train = load('train.csv');
const test = load('test.csv').slice(0, QUERIES);
console.log(loadLine('start'));

const embedder = await createEmbedder({ config: loadConfig(), logger: { warn: () => {} } });
try {
  await embedder.embedDocuments(['warm-up']);
  const cache = createMemoryVectorCache();
  let cpu = process.cpuUsage();
  let started = performance.now();
  const cold = await trainIntentClassifier({ examples: train, embedder, vectorCache: cache });
  const coldSeconds = (performance.now() - started) / 1000;
  const coldCpu = cpuSeconds(cpu);
  const { milliseconds } = cold.report;
  console.log(`training from cold on ${train.length} examples, ${cold.intents.length} intents: ${coldSeconds.toFixed(1)} s wall (${coldCpu.toFixed(1)} s CPU)`);
  console.log(`  embedding ${cold.report.embedded} texts: ${(milliseconds.embedding / 1000).toFixed(1)} s (${(cold.report.embedded / (milliseconds.embedding / 1000)).toFixed(0)} texts/s)`);
  console.log(`  training (held-out pass + threshold + final pass): ${(milliseconds.training / 1000).toFixed(1)} s`);
  console.log(`  held-out accuracy ${((cold.report.heldOutAccuracy ?? 0) * 100).toFixed(1)}%, threshold ${cold.threshold.toFixed(3)}`);
  console.log(loadLine('after cold training'));

  cpu = process.cpuUsage();
  started = performance.now();
  const warm = await trainIntentClassifier({ examples: [...train, { text: 'is there a fee for topping up by card from abroad', intent: 'top_up_by_card_charge' }], embedder, vectorCache: cache });
  console.log(`retraining with the vector cache warm (1 new example): ${((performance.now() - started) / 1000).toFixed(1)} s wall (${cpuSeconds(cpu).toFixed(1)} s CPU), ${warm.report.embedded} text(s) embedded`);

  const vectors = await embedder.embedDocuments(test.map((example) => example.text));
  // One pass to warm up the JIT, then the timed pass.
  test.forEach((example, index) => cold.classify({ text: example.text, vector: vectors[index] ?? [] }));
  const times: number[] = [];
  for (const [index, example] of test.entries()) {
    const start = performance.now();
    cold.classify({ text: example.text, vector: vectors[index] ?? [] });
    times.push(performance.now() - start);
  }
  times.sort((left, right) => left - right);
  const mean = times.reduce((sum, value) => sum + value, 0) / times.length;
  console.log(`classification with the query vector given, ${times.length} messages: mean ${mean.toFixed(3)} ms, p50 ${(times[Math.floor(times.length * 0.5)] ?? 0).toFixed(3)} ms, p95 ${(times[Math.floor(times.length * 0.95)] ?? 0).toFixed(3)} ms`);

  const embedStarted = performance.now();
  const sample = test.slice(0, 100);
  for (const example of sample) await embedder.embedQuery(example.text);
  console.log(`for reference, embedding one query: ${((performance.now() - embedStarted) / sample.length).toFixed(1)} ms (the answer path does this anyway)`);
  console.log(`model JSON: ${(JSON.stringify(cold.toJSON()).length / 1024 / 1024).toFixed(1)} MB`);
} finally {
  await embedder.dispose();
}
console.log(loadLine('end'));
