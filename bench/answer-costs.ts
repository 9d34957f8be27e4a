/**
 * `node bench/answer-costs.ts`: what one answer costs, stage by stage, on the Northwind index that
 * `BENCH_DATA_DIR=<dir> npm run bench:server` kept (default /tmp/kefu-serve-speed-bench). One question at a time,
 * in-process, every Northwind question BENCH_ROUNDS times (default 3): query embedding, full-text search, vector
 * search, the whole retrieval (the rest of it is FAQ matching, fusion and records attached to hits), the whole
 * answer (the rest is composition and the answerability model), storing the exchange in SQLite records, and
 * JSON serialisation of the full and the slim reply. Prints means and medians in ms and the load average.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAnswerService } from '../src/answer/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import { createRetriever } from '../src/retrieval/index.ts';
import { toStoredPassages } from '../src/schemas/passage.ts';
import { chatReply } from '../src/server/routes/chat.ts';
import { openStore } from '../src/store/index.ts';
import { bigramQuery, keywordQuery } from '../src/text/index.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');
const dataDir = path.resolve(process.env.BENCH_DATA_DIR ?? '/tmp/kefu-serve-speed-bench');
const questionsFile = path.join(repositoryRoot, '..', 'shared', 'eval-data', 'northwind', 'qa.jsonl');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
if (!existsSync(path.join(dataDir, 'index'))) {
  console.error(`No index in ${dataDir}: run BENCH_DATA_DIR=${dataDir} npm run bench:server first.`);
  process.exit(1);
}
const questions = readFileSync(questionsFile, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => (JSON.parse(line) as { question: string }).question);

const modelConfig = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(repositoryRoot, 'data') }, dotenvDir: null, cwd: repositoryRoot });
const config = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: dataDir, KEFU_INBOX: path.join(dataDir, 'inbox') }, dotenvDir: null });
const embedder = await createEmbedder({ config: modelConfig, logger: { warn: () => {} } });
const store = await openStore({ directory: config.indexDir });
const retriever = createRetriever({ store, embedder, config });
const answerService = createAnswerService({ config, store, embedder });
const records = openSqliteRecords({ path: path.join(dataDir, 'answer-costs.db') });
const conversation = await records.createConversation({ channel: 'api', tokenHash: 'bench' });

const samples: Record<string, number[]> = {};
function record(name: string, milliseconds: number): void {
  (samples[name] ??= []).push(milliseconds);
}
async function timed<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const value = await work();
  record(name, performance.now() - started);
  return value;
}

// Warm-up: the index view, the FAQ matcher, JIT.
for (const question of questions.slice(0, 20)) await answerService.answer({ question });
for (let round = 0; round < rounds; round++) {
  for (const question of questions) {
    const vector = await timed('query embedding', () => embedder.embedQuery(question));
    const searchText = keywordQuery(question);
    await timed('full-text search (ids)', () => store.keywordSearchIds({ query: searchText, bigrams: bigramQuery(question), limit: 40 }));
    await timed('vector search (ids)', () => store.vectorSearchIds({ vector, limit: 40 }));
    await timed('retrieval, whole', () => retriever.retrieve({ query: question }));
    const result = await timed('answer, whole (retrieval + FAQ gate + composition)', () => answerService.answer({ question }));
    await timed('records: store the exchange', () =>
      records.appendMessages([{ conversationId: conversation.id, role: 'assistant', text: result.answer, outcome: result.outcome, confidence: result.confidence, citations: result.citations, suggestions: result.suggestions, retrieved: toStoredPassages(result.retrieved) }]),
    );
    await timed('JSON: full reply (with passages)', () => JSON.stringify(result));
    await timed('JSON: slim reply', () => JSON.stringify(chatReply(result, false)));
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(values.length, 1);
console.log(`${questions.length} Northwind questions × ${rounds}, one at a time (ms)`);
console.log(`${'stage'.padEnd(52)}${'mean'.padStart(8)}${'median'.padStart(8)}`);
for (const [name, values] of Object.entries(samples)) console.log(`${name.padEnd(52)}${mean(values).toFixed(2).padStart(8)}${median(values).toFixed(2).padStart(8)}`);
console.log(`load average (1, 5, 15 min): ${os.loadavg().map((value) => value.toFixed(2)).join(', ')}`);
await records.close();
await store.close();
await embedder.dispose();
