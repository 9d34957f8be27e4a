/**
 * When the watcher syncs: after a quiet spell (debounce), but never later than a maximum wait after the oldest
 * change still waiting, one sync at a time, retrying failed syncs after a growing pause. Kept apart from chokidar
 * and the sync itself so its timing can be tested exactly.
 *
 * The rule that fixes the watcher that stopped for good: `running` is a plain flag set when a sync starts and
 * cleared in `finally` when it ends, and every end looks again for changes that arrived meanwhile. (The old
 * watcher kept the promise of its sync loop; when a timer fired after that loop had consumed the last change, the
 * loop finished synchronously, its `running = undefined` ran before the promise was stored, and the settled
 * promise stayed in `running` forever, so every later change was ignored.)
 *
 * @example
 *   const scheduler = createSyncScheduler({ debounceMs: 1500, maxWaitMs: 5000, run: async (since) => sync() });
 *   watcher.on('all', () => scheduler.changed());
 */

export interface SyncSchedulerOptions {
  /** Quiet time after the last change before syncing. */
  debounceMs: number;
  /** Longest a change waits, however many changes follow it. */
  maxWaitMs: number;
  /** Runs one sync covering every change seen up to the moment it starts; resolves false when it failed. */
  run: (coversFrom: number) => Promise<boolean>;
  /** Pause before retrying a failed sync: doubles from `retryMinMs` up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface SyncScheduler {
  /** A change was seen now. */
  changed(): void;
  /** Asks for a sync as soon as possible (the first full sync). */
  syncNow(): void;
  /** True while a sync runs. */
  readonly running: boolean;
  /** When the oldest change no sync has started to cover was seen (undefined when none waits). */
  readonly pendingSince: number | undefined;
  /** Consecutive failed syncs (0 after a success). */
  readonly failures: number;
  /** Stops planning syncs and waits for the running one. */
  close(): Promise<void>;
}

/**
 * Creates the scheduler; nothing runs until `changed()` or `syncNow()`.
 *
 * @example
 *   const scheduler = createSyncScheduler({ debounceMs: 300, maxWaitMs: 5000, run: (since) => syncOnce(since) });
 */
export function createSyncScheduler(options: SyncSchedulerOptions): SyncScheduler {
  const { debounceMs, run } = options;
  const maxWaitMs = Math.max(debounceMs, options.maxWaitMs);
  const retryMinMs = options.retryMinMs ?? 2000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  let closed = false;
  let running = false;
  let current: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pendingSince: number | undefined;
  let lastChangeAt = 0;
  let failures = 0;
  let retryAt: number | undefined;
  /** Set by syncNow: the next sync does not wait for quiet. */
  let immediate = false;

  async function runOne(): Promise<void> {
    if (running || closed || pendingSince === undefined) return;
    running = true;
    immediate = false;
    const coversFrom = pendingSince;
    pendingSince = undefined; // changes from now on need another sync
    let succeeded = false;
    try {
      succeeded = await run(coversFrom);
    } catch {
      succeeded = false;
    } finally {
      running = false;
      if (succeeded) {
        failures = 0;
        retryAt = undefined;
      } else if (!closed) {
        // Nothing is dropped: the oldest change waits again, retried after a growing pause.
        failures++;
        pendingSince = Math.min(pendingSince ?? coversFrom, coversFrom);
        retryAt = Date.now() + Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(failures - 1, 20));
      }
      plan();
    }
  }

  function plan(): void {
    if (closed || running || pendingSince === undefined) return;
    let due = immediate ? Date.now() : Math.min(lastChangeAt + debounceMs, pendingSince + maxWaitMs);
    if (retryAt !== undefined) due = Math.max(due, retryAt);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      current = runOne();
    }, Math.max(0, due - Date.now()));
  }

  return {
    changed() {
      if (closed) return;
      const now = Date.now();
      lastChangeAt = now;
      pendingSince ??= now;
      plan();
    },
    syncNow() {
      if (closed) return;
      pendingSince ??= Date.now();
      immediate = true;
      plan();
    },
    get running() {
      return running;
    },
    get pendingSince() {
      return pendingSince;
    },
    get failures() {
      return failures;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
