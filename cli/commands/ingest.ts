import { mkdir } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ingestFiles, syncFolder, type FailedFile, type SyncEvent, type SyncSummary } from '../../ingest/sync.ts';
import { loadConfig } from '../../src/config/index.ts';
import { supportedFormatsText } from '../../src/formats/index.ts';
import { createEmbedder } from '../../src/embeddings/index.ts';
import { indexLocation, openStore } from '../../src/store/index.ts';

interface IngestOptions {
  json?: boolean;
  quiet?: boolean;
}

/** "2 orphan chunks removed, 3 documents to redo" (only the parts that are not zero). */
export function describeRepair(event: Extract<SyncEvent, { type: 'reconciled' }>): string {
  const parts = [
    event.duplicateRecords > 0 ? `${event.duplicateRecords} duplicate document records removed` : '',
    event.duplicateChunks > 0 ? `${event.duplicateChunks} duplicate chunk rows removed` : '',
    event.orphanChunks > 0 ? `${event.orphanChunks} orphan chunks removed` : '',
    event.staleDocuments > 0 ? `${event.staleDocuments} documents re-indexed from their files` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** Progress to stderr: a bar on a terminal, a plain line every few seconds otherwise (logs, CI). */
function createProgress(options: { quiet: boolean }): { onEvent: (event: SyncEvent) => void; stop: () => void } {
  const started = performance.now();
  let chunks = 0;
  let lastLine = 0;
  let bar: cliProgress.SingleBar | undefined;
  const rate = () => chunks / Math.max((performance.now() - started) / 1000, 0.001);
  const notes: string[] = [];
  const note = (message: string) => {
    if (options.quiet) return;
    if (bar) notes.push(message);
    else console.error(message);
  };
  const onEvent = (event: SyncEvent) => {
    if (event.type === 'model-changed') note(`The embedding model changed (${event.previousModelId} → ${event.modelId}): re-embedding every document.`);
    if (event.type === 'lock-wait') console.error(`Waiting for ${event.holder} (the index has one writer at a time)…`);
    if (event.type === 'pipeline-changed') note('The index was built by another version of the ingest pipeline: re-indexing every document (unchanged texts keep their vectors).');
    if (event.type === 'reconciled') note(`Repaired what an interrupted run left: ${describeRepair(event)}.`);
    if (options.quiet) return;
    if (event.type === 'scanned') {
      if (process.stderr.isTTY && event.filesTotal > 0) {
        bar?.stop();
        bar = new cliProgress.SingleBar({
          stream: process.stderr,
          format: ' {bar} {value}/{total} files | {chunks} chunks | {rate} chunks/s | ETA {eta_formatted} | {file}',
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        }, cliProgress.Presets.shades_classic);
        bar.start(event.filesTotal, 0, { chunks: 0, rate: '0.0', file: '' });
      } else {
        console.error(`${event.root}: ${event.filesTotal} files`);
      }
      return;
    }
    if (event.type === 'chunks' || event.type === 'file' || event.type === 'file-start') {
      if (event.type === 'chunks') chunks = event.chunksDone;
      if (event.type === 'file') chunks = event.chunksDone;
      const values = { chunks, rate: rate().toFixed(1), file: event.path.length > 40 ? `…${event.path.slice(-39)}` : event.path };
      if (bar) bar.update(event.filesDone, values);
      else if (performance.now() - lastLine > 5000 || (event.type === 'file' && event.filesDone === event.filesTotal)) {
        lastLine = performance.now();
        console.error(`  ${event.filesDone}/${event.filesTotal} files, ${chunks} chunks, ${values.rate} chunks/s`);
      }
    }
  };
  const stop = () => {
    bar?.stop();
    bar = undefined;
    for (const message of notes.splice(0)) console.error(message);
  };
  return { onEvent, stop };
}

function merge(summaries: SyncSummary[]): SyncSummary & { roots: string[] } {
  return {
    root: summaries[0]?.root ?? '',
    roots: summaries.map((summary) => summary.root),
    indexed: summaries.flatMap((summary) => summary.indexed),
    skipped: summaries.flatMap((summary) => summary.skipped),
    failed: summaries.flatMap((summary) => summary.failed),
    removed: summaries.flatMap((summary) => summary.removed),
    chunksEmbedded: summaries.reduce((sum, summary) => sum + summary.chunksEmbedded, 0),
    chunksReused: summaries.reduce((sum, summary) => sum + summary.chunksReused, 0),
    ...(summaries.find((summary) => summary.modelChangedFrom)?.modelChangedFrom ? { modelChangedFrom: summaries.find((summary) => summary.modelChangedFrom)?.modelChangedFrom } : {}),
    aborted: summaries.some((summary) => summary.aborted),
    milliseconds: summaries.reduce((sum, summary) => sum + summary.milliseconds, 0),
    ...(summaries.findLast((summary) => summary.dictionary)?.dictionary ? { dictionary: summaries.findLast((summary) => summary.dictionary)?.dictionary } : {}),
    ...(summaries.findLast((summary) => summary.intents)?.intents ? { intents: summaries.findLast((summary) => summary.intents)?.intents } : {}),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.min(60, Math.max(...rows.map((row) => (row[column] ?? '').length)))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function printSummary(summary: SyncSummary & { roots: string[] }, options: { quiet: boolean }): void {
  const lines: string[] = [];
  if (!options.quiet && summary.indexed.length > 0) {
    lines.push('Indexed:');
    lines.push(table([['  path', 'chunks', 'pages', 'embedded', 'reused'], ...summary.indexed.map((file) => [`  ${file.path}`, String(file.chunks), String(file.pages || '-'), String(file.embedded), String(file.reused)])]));
  }
  if (!options.quiet && summary.removed.length > 0) lines.push('Removed:', ...summary.removed.map((removed) => `  ${removed}`));
  if (summary.failed.length > 0) {
    lines.push('Failed:');
    lines.push(table([['  path', 'code', 'reason'], ...summary.failed.map((failed: FailedFile) => [`  ${failed.path}`, failed.code, `${failed.reason} → ${failed.hint}`])]));
  }
  const dictionary = summary.dictionary;
  if (dictionary && dictionary.problems.length > 0) {
    lines.push('terms.txt (lines skipped):', ...dictionary.problems.map((problem) => `  line ${problem.line}: ${problem.problem}${problem.text ? ` — ${problem.text}` : ''}`));
  }
  if (!options.quiet && dictionary?.rewritten && dictionary.rewritten.changed > 0) {
    lines.push(`Keyword dictionary changed (${dictionary.discovered} words found, ${dictionary.terms} terms, ${dictionary.synonymGroups} synonym groups): keywords of ${dictionary.rewritten.changed} chunks rewritten, nothing re-embedded.`);
  }
  const intents = summary.intents;
  if (intents) {
    const accuracy = intents.heldOutAccuracy === undefined ? '' : `, held-out accuracy ${(intents.heldOutAccuracy * 100).toFixed(0)}%`;
    lines.push(`Intents (${intents.path}): ${intents.intents} intents, ${intents.examples} examples, ${intents.trained ? `classifier trained in ${(intents.milliseconds / 1000).toFixed(1)} s (${intents.embedded} examples embedded${accuracy})` : 'examples unchanged, saved classifier kept'}`);
    if (intents.warnings.length > 0) lines.push(...intents.warnings.map((warning) => `  warning: ${warning}`));
  }
  const seconds = (summary.milliseconds / 1000).toFixed(1);
  lines.push(
    `${summary.indexed.length} indexed, ${summary.skipped.length} skipped unchanged, ${summary.failed.length} failed, ${summary.removed.length} removed` +
      ` (${summary.chunksEmbedded} chunks embedded, ${summary.chunksReused} reused) in ${seconds} s` + (summary.aborted ? ' — stopped early; run again to finish' : ''),
  );
  console.log(lines.join('\n'));
}

export function register(program: Command): void {
  program
    .command('ingest')
    .description('index documents: new and changed files are parsed, chunked and embedded; unchanged files are skipped; deleted files are removed from the index')
    .argument('[paths...]', 'files or folders to ingest (default: the inbox, KEFU_INBOX)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--quiet', 'no progress; print only failures and the totals')
    .addHelpText('after', `
Paths inside the inbox are keyed relative to the inbox. A folder outside it (e.g. ../shared/eval-data/northwind/pdfs)
is keyed relative to that folder, and a later run on the same folder removes what was deleted from it.
Supported: ${supportedFormatsText()}.
Files that cannot be read (damaged, password-protected, scanned without text, empty, too large, unsupported, ...)
are listed with the reason and recorded in \`kefu docs list\`; the rest of the batch goes on.
Exit code: 0 when every file was indexed or unchanged, 1 when any file failed.

One process writes the index at a time. While another kefu process writes it (a \`kefu serve\` indexing its
ingest folder, another ingest), this command says which one and waits (up to KEFU_LOCK_TIMEOUT_S, default
600 s), then finds the files that process already indexed unchanged: nothing is embedded twice.

Examples:
  npx kefu ingest                                  # sync the inbox
  npx kefu ingest ../shared/eval-data/northwind/pdfs
  npx kefu ingest policies/returns.pdf --json`)
    .action(async (paths: string[], options: IngestOptions) => {
      const config = loadConfig();
      const quiet = Boolean(options.quiet || options.json);
      if (paths.length === 0) await mkdir(config.inboxDir, { recursive: true });
      const store = await openStore({ ...indexLocation(config), ...(config.role === 'reader' ? { readOnly: { refreshMs: 0 } } : {}) });
      const embedder = await createEmbedder({ config, logger: { warn: (message) => console.error(message), info: (message) => { if (!quiet) console.error(message); } } });
      const controller = new AbortController();
      // Ctrl-C: finish the current document, then stop; the index stays consistent and the next run continues.
      const onSignal = () => {
        if (controller.signal.aborted) process.exit(130);
        console.error('\nStopping after the current document (press Ctrl-C again to quit now)…');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      const progress = createProgress({ quiet });
      try {
        const summaries = paths.length > 0
          ? await ingestFiles({ config, store, embedder, paths, owner: 'kefu ingest', onProgress: progress.onEvent, signal: controller.signal })
          : [await syncFolder({ config, store, embedder, root: config.inboxDir, owner: 'kefu ingest', onProgress: progress.onEvent, signal: controller.signal })];
        progress.stop();
        const summary = merge(summaries);
        if (options.json) console.log(JSON.stringify(summary, null, 2));
        else printSummary(summary, { quiet: Boolean(options.quiet) });
        if (summary.failed.length > 0) process.exitCode = 1;
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        await embedder.dispose();
        await store.close();
      }
    });
}
