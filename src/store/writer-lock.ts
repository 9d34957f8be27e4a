/**
 * One writer at a time: an operating-system lock beside the index, so two kefu processes (a `kefu serve`
 * that is watching and a `kefu ingest`, or two ingests) never write the index at once.
 *
 * The lock is an exclusive SQLite transaction (`node:sqlite`, `BEGIN EXCLUSIVE`) held open on
 * `<index>.lock`. SQLite takes it with fcntl byte-range locks, which the kernel drops when the process
 * ends however it ends (kill -9, out of memory, power-off of the process): there is never a stale lock to
 * guess about, unlike a pid file. Who holds it is written to `<index>.lock.json` after the lock is taken,
 * only so a waiting process can say whom it waits for.
 *
 * @example
 *   const lock = await acquireWriterLock({ path: '/srv/kefu/data/index.lock', holder: { owner: 'kefu ingest', activity: 'indexing /srv/inbox' }, timeoutMs: 600_000 });
 *   try { ... write ... } finally { lock.release(); }
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { KefuError } from '../errors/index.ts';

/** Who holds the lock, as the holder described itself. */
export interface LockHolder {
  pid: number;
  /** The command, e.g. "kefu serve". */
  owner: string;
  /** What it is doing, e.g. "indexing /srv/inbox". */
  activity: string;
  /** ISO time the lock was taken. */
  since: string;
}

export interface WriterLock {
  /** Releases the lock (idempotent). */
  release(): void;
}

export interface AcquireWriterLockOptions {
  /** The lock file (a SQLite database that stays empty). Its folder must exist. */
  path: string;
  holder: { owner: string; activity: string };
  /** Give up after this long with INDEX_LOCKED. 0 = try once. Infinity = wait until `signal` aborts. */
  timeoutMs: number;
  /** Called when the lock is found taken, and again whenever the holder changes. */
  onWait?: (holder: LockHolder | undefined) => void;
  signal?: AbortSignal;
  /** How often a waiting process tries again. */
  pollMs?: number;
}

/** "kefu serve (pid 123), which is indexing /srv/inbox since 10:31:02" */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another kefu process';
  const since = holder.since.length >= 19 ? ` since ${holder.since.slice(11, 19)} UTC` : '';
  return `${holder.owner} (pid ${holder.pid}), which is ${holder.activity}${since}`;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.owner !== 'string') return undefined;
    return { pid: parsed.pid, owner: parsed.owner, activity: String(parsed.activity ?? 'writing the index'), since: String(parsed.since ?? '') };
  } catch {
    return undefined;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | undefined)?.errcode;
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), including extended codes.
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, milliseconds);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Takes the writer lock, waiting for the current holder (reporting who it is) up to `timeoutMs`.
 * Throws INDEX_LOCKED naming the holder when the time is up, or the signal's reason when aborted.
 *
 * @example
 *   const lock = await acquireWriterLock({ path, holder: { owner: 'kefu watch', activity: 'indexing ./inbox' }, timeoutMs: Infinity, signal });
 */
export async function acquireWriterLock(options: AcquireWriterLockOptions): Promise<WriterLock> {
  const { path: lockPath, timeoutMs, signal } = options;
  const holderPath = `${lockPath}.json`;
  const deadline = Date.now() + timeoutMs;
  let database: DatabaseSync;
  try {
    database = new DatabaseSync(lockPath, { timeout: 0 });
  } catch (error) {
    throw new KefuError('STORE_FAILED', { detail: lockPath, cause: error, hint: 'Check that KEFU_DATA_DIR is writable: kefu keeps its writer lock there.' });
  }
  let reported: string | undefined;
  for (;;) {
    try {
      database.exec('BEGIN EXCLUSIVE');
      break;
    } catch (error) {
      if (!isBusy(error)) {
        database.close();
        throw new KefuError('STORE_FAILED', { detail: lockPath, cause: error, hint: 'Check that KEFU_DATA_DIR is writable: kefu keeps its writer lock there.' });
      }
    }
    const holder = readHolder(holderPath);
    const description = describeHolder(holder);
    if (description !== reported) {
      reported = description;
      options.onWait?.(holder);
    }
    if (signal?.aborted) {
      database.close();
      throw signal.reason instanceof Error ? signal.reason : new Error('aborted while waiting for the index lock');
    }
    if (Date.now() >= deadline) {
      database.close();
      throw new KefuError('INDEX_LOCKED', { detail: description });
    }
    await sleep(Math.min(options.pollMs ?? 250, Math.max(0, deadline - Date.now())), signal);
  }
  const holder: LockHolder = { pid: process.pid, owner: options.holder.owner, activity: options.holder.activity, since: new Date().toISOString() };
  try {
    // Written whole and renamed, so a waiting process never reads half of it.
    writeFileSync(`${holderPath}.${process.pid}.tmp`, JSON.stringify(holder));
    renameSync(`${holderPath}.${process.pid}.tmp`, holderPath);
  } catch {
    // Only a nicer waiting message depends on it.
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // The next holder writes its own description; remove ours only if it is still ours.
      if (readHolder(holderPath)?.pid === process.pid && readHolder(holderPath)?.since === holder.since) {
        try {
          unlinkSync(holderPath);
        } catch {
          // already gone
        }
      }
      try {
        database.exec('ROLLBACK');
      } finally {
        database.close();
      }
    },
  };
}
