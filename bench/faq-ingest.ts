/**
 * Large FAQ sheet benchmark (`npm run bench:faq -- [--rows 200000] [--xlsx]`).
 *
 * Generates an FAQ sheet (default 200,000 rows; 2% repeat an earlier question and answer, 1% have no answer),
 * ingests it with the real sync (parser thread, streamed batches, committed as they go) and prints:
 * rows/s, peak RSS, time to the first committed batch (rows searchable), where the time went (embedding vs.
 * everything else), and the model's own ceiling on these texts (embedding a sample alone), which is the limit.
 * Then an edit of one row and a re-ingest (rows reused by text hash).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { syncFolder } from '../ingest/sync.ts';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import { makeXlsx } from '../test/support/zip.ts';

const argument = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const rows = Number(argument('--rows') ?? 200_000);
const asXlsx = process.argv.includes('--xlsx');
const repositoryRoot = path.resolve(import.meta.dirname, '..');

const products = ['Lumen Desk Lamp', 'Aurora Kettle', 'Nimbus Router', 'Vega Headphones', 'Orion Backpack', 'Terra Blender', 'Zephyr Fan', 'Halo Speaker'];
const topics = [
  ['How long is the warranty on the {p} ({n})?', 'The {p} ({n}) has a {k}-year warranty against manufacturing defects.'],
  ['Can I return the {p} ({n}) after opening it?', 'Yes: opened {p} ({n}) units can be returned within {k}0 days if all parts are included.'],
  ['How much does shipping the {p} ({n}) to zone {k} cost?', 'Shipping the {p} ({n}) to zone {k} costs {k}.50 and takes {k} to {k}2 business days.'],
  ['Where do I find the serial number of the {p} ({n})?', 'The serial number of the {p} ({n}) is on the label under the base, next to code {k}.'],
] as const;

function row(index: number): [string, string] {
  const product = products[index % products.length] ?? '';
  const [question, answer] = topics[Math.floor(index / products.length) % topics.length] ?? topics[0];
  const fill = (text: string) => text.replaceAll('{p}', product).replaceAll('{n}', `model ${index}`).replaceAll('{k}', String((index % 7) + 1));
  return [fill(question), fill(answer)];
}

function sheet(): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let index = 0; index < rows; index++) {
    if (index % 100 === 50) result.push([row(index)[0], '']); // no answer: reported, skipped
    else if (index % 50 === 25 && index > 50) result.push(row(index - 20)); // repeats an earlier row
    else result.push(row(index));
  }
  return result;
}

const csvCell = (text: string) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

const scratch = await mkdtemp(path.join(tmpdir(), 'kefu-bench-faq-'));
const inbox = path.join(scratch, 'inbox');
await mkdir(inbox);
const data = sheet();
const file = path.join(inbox, asXlsx ? 'faq.xlsx' : 'faq.csv');
if (asXlsx) await writeFile(file, makeXlsx({ rows: data }));
else await writeFile(file, `question,answer\n${data.map(([question, answer]) => `${csvCell(question)},${csvCell(answer)}`).join('\n')}\n`);

const config = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(scratch, 'data'), KEFU_INBOX: inbox, KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') }, dotenvDir: null });
const real = await createEmbedder({ config, logger: { warn: () => {} } });
await real.embedDocuments(['warm up the model', 'a second sentence']);

/** Time spent in the model, in the index and in everything else. */
const spent = { embedding: 0, texts: 0, index: 0 };
const timedEmbedder: Embedder = {
  get modelId() { return real.modelId; },
  get dimension() { return real.dimension; },
  get maxTokens() { return real.maxTokens; },
  get truncatedCount() { return real.truncatedCount; },
  get languages() { return real.languages; },
  embedDocuments: async (texts) => {
    const started = performance.now();
    try {
      return await real.embedDocuments(texts);
    } finally {
      spent.embedding += performance.now() - started;
      spent.texts += texts.length;
    }
  },
  embedQuery: (text) => real.embedQuery(text),
  countTokens: (text) => real.countTokens(text),
  dispose: async () => {},
};
function timedStore(store: ChunkStore): ChunkStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !['vectorsByTextHash', 'writeChunks', 'finishDocument', 'updateDocument', 'optimize', 'replaceDocuments'].includes(String(property))) return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...inner: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          spent.index += performance.now() - started;
        }
      };
    },
  });
}

const store = await openStore({ directory: config.indexDir });
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
const started = performance.now();
let firstCommitAt: number | undefined;
let lastLine = 0;
const summary = await syncFolder({
  config, store: timedStore(store), embedder: timedEmbedder, root: inbox,
  onProgress: (event) => {
    if (event.type !== 'chunks') return;
    if (firstCommitAt === undefined && event.chunksInFile >= 1000) firstCommitAt = performance.now();
    if (performance.now() - lastLine > 30_000) {
      lastLine = performance.now();
      console.error(`  ${event.chunksInFile} rows, ${(event.chunksInFile / ((performance.now() - started) / 1000)).toFixed(0)} rows/s, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
    }
  },
});
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
const indexed = summary.indexed[0];
if (!indexed) throw new Error(`not indexed: ${JSON.stringify(summary.failed)}`);

// The model's ceiling on the same kind of texts: embedding a sample of rows alone, in the pipeline's slices.
const sample = data.slice(0, Math.min(4000, data.length)).map(([question, answer]) => `${question}\n${answer}`);
const ceilingStarted = performance.now();
for (let start = 0; start < sample.length; start += 64) await real.embedDocuments(sample.slice(start, start + 64));
const ceiling = sample.length / ((performance.now() - ceilingStarted) / 1000);

// One row edited: the re-ingest reuses every other row's vector.
data[Math.floor(rows / 2)] = ['Is the edited row found?', 'Yes: the edited row is embedded again, alone.'];
if (asXlsx) await writeFile(file, makeXlsx({ rows: data }));
else await writeFile(file, `question,answer\n${data.map(([question, answer]) => `${csvCell(question)},${csvCell(answer)}`).join('\n')}\n`);
const editStarted = performance.now();
const edited = await syncFolder({ config, store, embedder: real, root: inbox });
const editSeconds = (performance.now() - editStarted) / 1000;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
console.log(`FAQ sheet: ${rows.toLocaleString('en')} rows (${asXlsx ? 'XLSX' : 'CSV'}), ${indexed.chunks.toLocaleString('en')} indexed; ${indexed.warnings.join(' ')}`);
console.log(`  ingest: ${seconds.toFixed(1)} s = ${(indexed.chunks / seconds).toFixed(0)} rows/s; embedded ${indexed.embedded}, reused ${indexed.reused}`);
console.log(`  first batch committed (rows searchable) after ${firstCommitAt ? ((firstCommitAt - started) / 1000).toFixed(1) : '?'} s`);
console.log(`  time in the model: ${(spent.embedding / 1000).toFixed(1)} s (${(spent.texts / (spent.embedding / 1000)).toFixed(0)} texts/s), in the index: ${(spent.index / 1000).toFixed(1)} s, other: ${(seconds - spent.embedding / 1000 - spent.index / 1000).toFixed(1)} s (parsing runs in its own thread, overlapped)`);
console.log(`  model ceiling on these texts, embedding alone: ${ceiling.toFixed(0)} texts/s`);
console.log(`  peak RSS ${mb(peakRss)} (process.resourceUsage maxRSS ${mb(process.resourceUsage().maxRSS * 1024)})`);
console.log(`  one row edited, re-ingest: ${editSeconds.toFixed(1)} s, ${edited.indexed[0]?.embedded ?? '?'} embedded, ${edited.indexed[0]?.reused ?? '?'} reused`);
console.log(`  load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}, ${cpus().length} cores`);

await store.close();
await real.dispose();
await rm(scratch, { recursive: true, force: true });
