/**
 * How a reader replica follows the writer's index. A reader's tables stay on the version they opened (no consistency
 * check per query); every `refreshMs` each table moves to its latest version, and is read once there (a row count
 * and one row) before it is trusted. When that version cannot be read (its files disappeared under the reader, or a
 * writer left a damaged manifest) the table goes back to the last version that worked, and answers keep coming from
 * it; the next tick tries again.
 */
import type * as lancedb from '@lancedb/lancedb';

export interface IndexRefresher {
  /** One refresh now (tests, and the first one at start). Resolves to the tables' versions after it. */
  refresh(): Promise<number[]>;
  /** Stops the timer and waits for a refresh in progress (a table must not be closed under it). */
  stop(): Promise<void>;
}

export interface CreateIndexRefresherOptions {
  /** The tables to follow right now (the chunks table may appear or be re-created later). */
  tables: () => lancedb.Table[];
  refreshMs: number;
  /** Told when a table stays on its last good version, with why. */
  onStale?: (message: string, error: unknown) => void;
}

async function readable(table: lancedb.Table): Promise<void> {
  await table.countRows();
  await table.query().limit(1).toArray();
}

/**
 * @example
 *   const refresher = createIndexRefresher({ tables: () => [documents, meta, chunks], refreshMs: 2000, onStale: (message) => log.warn(message) });
 */
export function createIndexRefresher(options: CreateIndexRefresherOptions): IndexRefresher {
  let running: Promise<number[]> | undefined;
  const refreshOne = async (table: lancedb.Table): Promise<number> => {
    let before: number | undefined;
    try {
      before = await table.version();
    } catch {
      before = undefined;
    }
    try {
      await table.checkoutLatest();
      await readable(table);
      return await table.version();
    } catch (error) {
      if (before !== undefined) {
        try {
          await table.checkout(before);
          await readable(table);
        } catch {
          // The last good version is gone too: the next tick tries the latest again.
        }
      }
      options.onStale?.(`index table ${table.name}: the newest version could not be read; answering from version ${String(before)}`, error);
      return before ?? 0;
    }
  };
  const refresh = (): Promise<number[]> => {
    running ??= Promise.all(options.tables().map(refreshOne)).finally(() => (running = undefined));
    return running;
  };
  const timer = options.refreshMs > 0 ? setInterval(() => void refresh().catch(() => undefined), options.refreshMs) : undefined;
  timer?.unref();
  return {
    refresh,
    stop: async () => {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
