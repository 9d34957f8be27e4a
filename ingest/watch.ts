/**
 * Follows the ingest folder and keeps the index in sync with it. Changes are debounced (a burst of hundreds
 * of dropped files becomes one sync), files still being written are waited for (chokidar's
 * awaitWriteFinish), and each outcome is logged. The sync itself is incremental, so re-syncing the whole
 * folder after a change only reads the files whose size or modification time moved.
 *
 * @example
 *   const watcher = await watchFolder({ config, store, embedder, logger: console });
 *   // ... later
 *   await watcher.close();
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Config } from '../src/config/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { describeError } from '../src/errors/index.ts';
import type { ChunkStore } from '../src/store/index.ts';
import { isIgnoredName, syncFolder, type SyncEvent, type SyncSummary } from './sync.ts';

export interface WatchLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface WatchFolderOptions {
  config: Config;
  store: ChunkStore;
  embedder: Embedder;
  /** Folder to follow; defaults to config.inboxDir. Created if missing. */
  root?: string;
  logger: WatchLogger;
  /** Called after every sync (tests and the CLI use it). */
  onSync?: (summary: SyncSummary) => void;
}

export interface FolderWatcher {
  /** The folder being followed. */
  readonly root: string;
  /** Resolves once the first full sync is done and the watcher is listening. */
  readonly ready: Promise<void>;
  /** Stops watching; a sync in progress stops after its current document (the next start finishes it). */
  close(): Promise<void>;
}

/** How long a file's size must stay unchanged before it counts as written (copying over a slow link, a save). */
const WRITE_STABLE_MS = 700;

function describeEvent(event: SyncEvent): { level: 'info' | 'warn'; message: string } | undefined {
  if (event.type === 'model-changed') return { level: 'warn', message: `embedding model changed from ${event.previousModelId} to ${event.modelId}: re-embedding every document` };
  if (event.type === 'reconciled') return { level: 'warn', message: `repaired an interrupted run: removed ${event.orphanChunks} orphan chunks, re-doing ${event.staleDocuments} documents` };
  if (event.type !== 'file' || event.outcome === 'skipped') return undefined;
  if (event.outcome === 'removed') return { level: 'info', message: `removed ${event.path}` };
  const detail = event.detail;
  if (event.outcome === 'failed' && detail && 'code' in detail) return { level: 'warn', message: `failed  ${event.path}: ${detail.code} ${detail.reason}` };
  if (detail && 'chunks' in detail) return { level: 'info', message: `indexed ${event.path}: ${detail.chunks} chunks (${detail.embedded} embedded, ${detail.reused} reused)` };
  return undefined;
}

/**
 * Starts following a folder: one full sync now, then one per burst of changes.
 *
 * @example
 *   const watcher = await watchFolder({ config, store, embedder, logger: console });
 *   await watcher.ready;
 */
export async function watchFolder(options: WatchFolderOptions): Promise<FolderWatcher> {
  const { config, store, embedder, logger } = options;
  const root = path.resolve(options.root ?? config.inboxDir);
  await mkdir(root, { recursive: true });

  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = false;
  let closed = false;

  async function runSync(): Promise<void> {
    pending = false;
    try {
      const summary = await syncFolder({
        config, store, embedder, root, signal: controller.signal,
        onProgress: (event) => {
          const described = describeEvent(event);
          if (described) logger[described.level](described.message);
        },
      });
      const changed = summary.indexed.length + summary.removed.length + summary.failed.length;
      if (changed > 0) logger.info(`sync done in ${(summary.milliseconds / 1000).toFixed(1)} s: ${summary.indexed.length} indexed, ${summary.skipped.length} unchanged, ${summary.failed.length} failed, ${summary.removed.length} removed`);
      for (const problem of summary.dictionary?.problems ?? []) logger.warn(`terms.txt line ${problem.line} skipped: ${problem.problem}`);
      options.onSync?.(summary);
    } catch (error) {
      // A store or model failure: log it and keep watching; the next change (or restart) tries again.
      if (!controller.signal.aborted) logger.error(`sync failed: ${describeError(error)}`);
    }
  }

  function schedule(): void {
    if (closed) return;
    pending = true;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running) return; // the running sync re-checks `pending` when it ends
      running = (async () => {
        while (pending && !closed) await runSync();
        running = undefined;
      })();
    }, config.ingest.watchDebounceMs);
  }

  let watcher: FSWatcher | undefined;
  const ready = (async () => {
    pending = true;
    running = (async () => {
      while (pending && !closed) await runSync();
      running = undefined;
    })();
    await running;
    if (closed) return;
    watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: WRITE_STABLE_MS, pollInterval: 100 },
      ignored: (candidate: string) => candidate !== root && isIgnoredName(path.basename(candidate)),
    });
    for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(event, schedule);
    watcher.on('error', (error) => logger.warn(`watch: ${describeError(error)}`));
    await new Promise<void>((resolve) => watcher?.once('ready', () => resolve()));
    logger.info(`watching ${root}`);
  })();

  return {
    root,
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      controller.abort();
      await ready.catch(() => {});
      await watcher?.close();
      await running;
    },
  };
}
