/**
 * Follows the ingest folder and keeps the index in sync with it. Changes are debounced (a burst of hundreds
 * of dropped files becomes one sync), files still being written are waited for (chokidar's
 * awaitWriteFinish), and each outcome is logged. The sync itself is incremental, so re-syncing the whole
 * folder after a change only reads the files whose size or modification time moved.
 *
 * Guarantees:
 * - Watching starts before the first sync, so a file added while that sync runs is synced right after it.
 * - Every change is synced within `KEFU_WATCH_DEBOUNCE_MS` of quiet, and never later than `KEFU_WATCH_MAX_WAIT_MS`
 *   after it was seen even if changes never stop (plus the time the sync itself takes).
 * - A sync that fails (the disk is full, the model cannot load) is retried with back-off; changes are never dropped.
 * - `status()` says what the watcher is doing, when it last synced successfully, and `stalled` when changes wait far
 *   longer than they should or syncs keep failing.
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
import { describeError, errorCatalogue, isKefuError } from '../src/errors/index.ts';
import type { ChunkStore } from '../src/store/index.ts';
import { createDocumentParser } from './document-parser.ts';
import { isIgnoredName, syncFolder, type SyncEvent, type SyncSummary } from './sync.ts';
import { createSyncScheduler } from './sync-scheduler.ts';

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
  /** Who writes the index, for other kefu processes waiting for the writer lock ("kefu serve"). */
  owner?: string;
  /** Called after every sync (tests and the CLI use it). */
  onSync?: (summary: SyncSummary) => void;
}

/** What the watcher is doing (the shape of the server's IndexingStatus, shown by /api/health). */
export interface WatchStatus {
  /** starting: before the first sync; syncing; idle; stalled: changes wait far too long, or syncs keep failing. */
  state: 'starting' | 'syncing' | 'idle' | 'stalled';
  /** Files handled / listed in the sync that is running, or the last one. */
  filesDone: number;
  filesTotal: number;
  /** ISO time the last sync finished without a store or model failure. */
  lastSuccessAt?: string;
  /** Why the last sync failed, or what a sync is waiting for (a code and a short message; no paths of documents). */
  lastError?: string;
}

/** Figures for operators and benchmarks. */
export interface WatchStats {
  syncs: number;
  failures: number;
  /** Time from the oldest change a sync covered to the end of that sync (answerable), for the last sync. */
  lastLatencyMs?: number;
  /** The largest such time so far. */
  maxLatencyMs: number;
}

export interface FolderWatcher {
  /** The folder being followed. */
  readonly root: string;
  /** Resolves once the watcher listens and the first full sync has run. */
  readonly ready: Promise<void>;
  status(): WatchStatus;
  stats(): WatchStats;
  /** Stops watching; a sync in progress stops after its current document (the next start finishes it). */
  close(): Promise<void>;
}

/** How long a file's size must stay unchanged before it counts as written (copying over a slow link, a save). */
const WRITE_STABLE_MS = 700;
/** Beyond debounce + max wait, changes that still wait this much longer mean the watcher is stuck. */
const STALL_GRACE_MS = 30_000;
/** A running sync that reports nothing for this long (a lock held by another process, a hung disk) is stalled. */
const SILENT_SYNC_MS = 5 * 60_000;

/**
 * An error as /api/health may show it to anyone: the code and the catalogue's wording, without the detail (a
 * path, a file name). The log has the whole error.
 *
 * @example
 *   publicErrorText(new KefuError('STORE_FAILED', { detail: '/srv/kefu/data/index' })) // 'STORE_FAILED: The index could not be read or written'
 */
export function publicErrorText(error: unknown): string {
  if (!isKefuError(error)) return 'INTERNAL: the sync failed (see the log)';
  return `${error.code}: ${errorCatalogue[error.code].message.replace(/:?\s*\{detail\}.*$/, '')}`;
}

function describeEvent(event: SyncEvent): { level: 'info' | 'warn'; message: string } | undefined {
  if (event.type === 'model-changed') return { level: 'warn', message: `embedding model changed from ${event.previousModelId} to ${event.modelId}: re-embedding every document` };
  if (event.type === 'reconciled') return { level: 'warn', message: `repaired an interrupted run: ${event.duplicateRecords} duplicate records and ${event.duplicateChunks} duplicate chunk rows removed, ${event.orphanChunks} orphan chunks removed, ${event.staleDocuments} documents re-indexed` };
  if (event.type === 'lock-wait') return { level: 'info', message: `waiting for ${event.holder} (one writer at a time)` };
  if (event.type !== 'file' || event.outcome === 'skipped') return undefined;
  if (event.outcome === 'removed') return { level: 'info', message: `removed ${event.path}` };
  const detail = event.detail;
  if (event.outcome === 'failed' && detail && 'code' in detail) return { level: 'warn', message: `failed  ${event.path}: ${detail.code} ${detail.reason}` };
  if (detail && 'chunks' in detail) return { level: 'info', message: `indexed ${event.path}: ${detail.chunks} chunks (${detail.embedded} embedded, ${detail.reused} reused)` };
  return undefined;
}

/**
 * Starts following a folder: watching at once, a full sync right after, then one sync per burst of changes.
 *
 * @example
 *   const watcher = await watchFolder({ config, store, embedder, logger: console });
 *   await watcher.ready;
 *   watcher.status(); // { state: 'idle', filesDone: 12, filesTotal: 12, lastSuccessAt: '2026-…' }
 */
export async function watchFolder(options: WatchFolderOptions): Promise<FolderWatcher> {
  const { config, store, embedder, logger } = options;
  const root = path.resolve(options.root ?? config.inboxDir);
  await mkdir(root, { recursive: true });
  const controller = new AbortController();
  // One parser thread for the watcher's life (stopped when idle), not one per sync.
  const parser = createDocumentParser({ config });

  let closed = false;
  const status: WatchStatus = { state: 'starting', filesDone: 0, filesTotal: 0 };
  const stats: WatchStats = { syncs: 0, failures: 0, maxLatencyMs: 0 };
  let lastProgressAt = Date.now();
  let resolveReady: () => void = () => {};
  const firstSync = new Promise<void>((resolve) => (resolveReady = resolve));

  async function runSync(coversFrom: number): Promise<boolean> {
    status.state = 'syncing';
    status.filesDone = 0;
    status.filesTotal = 0;
    lastProgressAt = Date.now();
    try {
      const summary = await syncFolder({
        config, store, embedder, root, parser, signal: controller.signal, owner: options.owner ?? 'kefu watch',
        // The watcher waits for another writer as long as it takes (status shows it); close() stops the wait.
        lockTimeoutMs: Number.POSITIVE_INFINITY,
        onProgress: (event) => {
          lastProgressAt = Date.now();
          if (event.type === 'scanned') status.filesTotal = event.filesTotal;
          if (event.type === 'file' || event.type === 'file-start') status.filesDone = event.filesDone;
          if (event.type === 'lock-wait') status.lastError = `INDEX_LOCKED: waiting for ${event.owner} to finish writing the index`;
          const described = describeEvent(event);
          if (described) logger[described.level](described.message);
        },
      });
      if (controller.signal.aborted) return true;
      const finished = Date.now();
      const latency = finished - coversFrom;
      stats.syncs++;
      stats.lastLatencyMs = latency;
      stats.maxLatencyMs = Math.max(stats.maxLatencyMs, latency);
      status.lastSuccessAt = new Date(finished).toISOString();
      delete status.lastError;
      const changed = summary.indexed.length + summary.removed.length + summary.failed.length;
      if (changed > 0) {
        logger.info(`sync done in ${(summary.milliseconds / 1000).toFixed(1)} s: ${summary.indexed.length} indexed, ${summary.skipped.length} unchanged, ${summary.failed.length} failed, ${summary.removed.length} removed; answerable ${(latency / 1000).toFixed(1)} s after the change was seen`);
      }
      for (const problem of summary.dictionary?.problems ?? []) logger.warn(`terms.txt line ${problem.line} skipped: ${problem.problem}`);
      const intents = summary.intents;
      if (intents) {
        logger.info(`${intents.path}: ${intents.intents} intents, ${intents.examples} examples; ${intents.trained ? `intent classifier trained in ${(intents.milliseconds / 1000).toFixed(1)} s` : 'examples unchanged, classifier kept'}`);
        for (const warning of intents.warnings) logger.warn(`${intents.path}: ${warning}`);
      }
      options.onSync?.(summary);
      return true;
    } catch (error) {
      if (controller.signal.aborted) return true;
      // A store or model failure: the scheduler keeps the changes waiting and tries again after a pause.
      stats.failures++;
      status.lastError = publicErrorText(error);
      logger.error(`sync failed: ${describeError(error)}`);
      return false;
    } finally {
      lastProgressAt = Date.now();
      status.state = 'idle';
      resolveReady();
    }
  }

  const scheduler = createSyncScheduler({ debounceMs: config.ingest.watchDebounceMs, maxWaitMs: config.ingest.watchMaxWaitMs, run: runSync });
  const debounceMs = config.ingest.watchDebounceMs;
  const maxWaitMs = Math.max(debounceMs, config.ingest.watchMaxWaitMs);

  let watcher: FSWatcher | undefined;
  const ready = (async () => {
    // Watch first, then sync: whatever changes while the first sync runs is seen and synced after it.
    watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: WRITE_STABLE_MS, pollInterval: 100 },
      ignored: (candidate: string) => candidate !== root && isIgnoredName(path.basename(candidate)),
    });
    for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(event, () => scheduler.changed());
    watcher.on('error', (error) => logger.warn(`watch: ${describeError(error)}`));
    await new Promise<void>((resolve) => watcher?.once('ready', () => resolve()));
    if (closed) return;
    logger.info(`watching ${root}`);
    scheduler.syncNow();
    await firstSync;
  })();

  return {
    root,
    ready,
    status() {
      const now = Date.now();
      const snapshot: WatchStatus = { ...status };
      if (scheduler.running) {
        snapshot.state = now - lastProgressAt > SILENT_SYNC_MS ? 'stalled' : 'syncing';
      } else if (status.state !== 'starting') {
        const pendingSince = scheduler.pendingSince;
        const waitingTooLong = pendingSince !== undefined && now - pendingSince > debounceMs + maxWaitMs + STALL_GRACE_MS;
        snapshot.state = scheduler.failures > 0 || waitingTooLong ? 'stalled' : 'idle';
      }
      return snapshot;
    },
    stats() {
      return { ...stats };
    },
    async close() {
      closed = true;
      controller.abort();
      resolveReady();
      await ready.catch(() => {});
      await watcher?.close();
      await scheduler.close();
      await parser.close();
    },
  };
}
