/**
 * Watcher latency benchmark (`npm run bench:watch -- [--changes 200] [--mean-gap-ms 1500]`).
 *
 * A watched inbox holding the Northwind PDFs (../shared/eval-data/northwind/pdfs, or BENCH_PDF_DIR) gets
 * `--changes` changes at random times (exponential gaps, so many land while a sync runs): a new note, an edited
 * note, now and then a PDF copied in. Each change carries a word found nowhere else; its latency is the time from
 * the write to the moment a keyword search on a separate connection finds it (answerable). Prints p50/p95/max,
 * the syncs run, and the load average. Default settings (KEFU_WATCH_DEBOUNCE_MS 1500, KEFU_WATCH_MAX_WAIT_MS 5000).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { watchFolder } from '../ingest/watch.ts';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { openStore } from '../src/store/index.ts';

const argument = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const changes = Number(argument('--changes') ?? 200);
const meanGapMs = Number(argument('--mean-gap-ms') ?? 1500);
const repositoryRoot = path.resolve(import.meta.dirname, '..');
const pdfDir = path.resolve(process.env.BENCH_PDF_DIR ?? path.join(repositoryRoot, '..', 'shared', 'eval-data', 'northwind', 'pdfs'));
if (!existsSync(pdfDir)) {
  console.error(`No PDF folder at ${pdfDir}; set BENCH_PDF_DIR.`);
  process.exit(1);
}

const scratch = await mkdtemp(path.join(tmpdir(), 'kefu-bench-watch-'));
const inbox = path.join(scratch, 'inbox');
await mkdir(inbox);
const pdfs = (await readdir(pdfDir)).filter((name) => name.toLowerCase().endsWith('.pdf'));
for (const name of pdfs) await copyFile(path.join(pdfDir, name), path.join(inbox, name));

const config = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(scratch, 'data'), KEFU_INBOX: inbox, KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') }, dotenvDir: null });
const embedder = await createEmbedder({ config, logger: { warn: () => {} } });
const store = await openStore({ directory: config.indexDir });
const reader = await openStore({ directory: config.indexDir });
const quiet = { info: () => {}, warn: () => {}, error: (message: string) => console.error(message) };
const watcher = await watchFolder({ config, store, embedder, logger: quiet });
const initialStarted = performance.now();
await watcher.ready;
console.error(`initial sync of ${pdfs.length} PDFs: ${((performance.now() - initialStarted) / 1000).toFixed(1)} s; now ${changes} changes, mean gap ${meanGapMs} ms`);

/** A word no document has: letters only, so the keyword analyser keeps it whole. */
function token(index: number): string {
  let word = 'zq';
  let value = index + 1;
  while (value > 0) {
    word += String.fromCharCode(97 + (value % 26));
    value = Math.floor(value / 26);
  }
  return `${word}x`;
}

const latencies: number[] = [];
const pending = new Set<Promise<void>>();
let notes = 0;
/** Each note's text: an edit appends a sentence, so a word written earlier stays findable. */
const contents = new Map<string, string>();
for (let index = 0; index < changes; index++) {
  const word = token(index);
  const kind = index % 10 === 9 ? 'pdf' : notes > 0 && index % 3 === 0 ? 'edit' : 'new';
  let target: string;
  if (kind === 'pdf') {
    // A whole PDF copied in beside the note: the sync that covers this change parses and embeds it too.
    await copyFile(path.join(pdfDir, pdfs[index % pdfs.length] ?? ''), path.join(inbox, `copy-${index}.pdf`));
    target = `note-${index}.md`;
  } else {
    target = kind === 'edit' ? `note-${Math.floor(Math.random() * notes)}.md` : `note-${notes++}.md`;
  }
  const text = `${contents.get(target) ?? `# Note ${index}\n`}\nThe ${word} procedure applies to change ${index}.`;
  contents.set(target, text);
  const written = performance.now();
  await writeFile(path.join(inbox, target), text);
  const waiting = (async () => {
    for (;;) {
      if ((await reader.keywordSearch({ query: word, limit: 1 })).length > 0) {
        latencies.push(performance.now() - written);
        return;
      }
      if (performance.now() - written > 300_000) {
        latencies.push(Number.POSITIVE_INFINITY);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  pending.add(waiting);
  void waiting.then(() => pending.delete(waiting));
  // Exponential gaps: bursts and pauses, changes landing at any point of a sync.
  await new Promise((resolve) => setTimeout(resolve, -Math.log(1 - Math.random()) * meanGapMs));
}
await Promise.all(pending);

const sorted = [...latencies].sort((a, b) => a - b);
const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
const seconds = (milliseconds: number) => `${(milliseconds / 1000).toFixed(2)} s`;
const stats = watcher.stats();
console.log(`change → answerable over ${latencies.length} changes (debounce ${config.ingest.watchDebounceMs} ms, max wait ${config.ingest.watchMaxWaitMs} ms, write-stable 700 ms):`);
console.log(`  p50 ${seconds(at(0.5))}, p95 ${seconds(at(0.95))}, max ${seconds(sorted.at(-1) ?? Number.NaN)}; ${stats.syncs} syncs, ${stats.failures} failed`);
console.log(`  load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}, ${cpus().length} cores`);

await watcher.close();
await reader.close();
await store.close();
await embedder.dispose();
await rm(scratch, { recursive: true, force: true });
