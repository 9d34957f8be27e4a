/**
 * The one `RecordsStore` implementation, over any `SqlDatabase`: SQLite (`sqlite.ts`) or PostgreSQL (`postgres.ts`).
 * Migrations run before the first use; every failure of the database reaches callers as `RECORDS_FAILED` (kefu's own errors, such as CONVERSATION_NOT_FOUND, pass through).
 */
import { KefuError } from '../errors/index.ts';
import { migrate } from './migrations.ts';
import { createSqlAccounts } from './sql-accounts.ts';
import { createSqlChannels } from './sql-channels.ts';
import { createSqlConversations } from './sql-conversations.ts';
import { createSqlOwner } from './sql-owner.ts';
import type { SqlDatabase } from './sql-database.ts';
import { createSqlWebhooks } from './sql-webhooks.ts';
import type { RecordsStore } from './types.ts';

export interface CreateSqlRecordsOptions {
  database: SqlDatabase;
  /** Named in RECORDS_FAILED errors (a path or a URL without its password). */
  location: string;
  /** The clock (tests move it). */
  now?: () => Date;
  /**
   * A database server that is not reachable yet at start (PostgreSQL starting beside kefu): the migrations are
   * retried with back-off (0.5 s doubling up to 10 s) for this long before every call fails with RECORDS_FAILED.
   * Only errors `isRetryable` accepts are retried; a bad statement or a newer schema fails at once.
   */
  startup?: {
    retryForMs: number;
    isRetryable: (error: unknown) => boolean;
    /** Told before each wait, so the operator sees why kefu is not ready. */
    onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
  };
}

async function migrateWithRetry(options: CreateSqlRecordsOptions, isClosed: () => boolean): Promise<void> {
  const { startup } = options;
  const deadline = Date.now() + (startup?.retryForMs ?? 0);
  for (let attempt = 1; ; attempt += 1) {
    try {
      await migrate({ database: options.database });
      return;
    } catch (error) {
      if (!startup || isClosed() || !startup.isRetryable(error) || Date.now() >= deadline) throw error;
      const delayMs = Math.min(10_000, 500 * 2 ** (attempt - 1), Math.max(0, deadline - Date.now()));
      startup.onRetry?.({ attempt, delayMs, error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * A records store over a database; migrations run once, before the first call completes.
 *
 * @example
 *   const records = createSqlRecords({ database: openSqliteDatabase({ path }), location: path });
 */
export function createSqlRecords(options: CreateSqlRecordsOptions): RecordsStore {
  const { database, location } = options;
  const now = options.now ?? (() => new Date());
  let closed = false;
  const ready = migrateWithRetry(options, () => closed);
  // An unhandled rejection must not crash the process before anyone asks: the first call reports it.
  ready.catch(() => undefined);

  const parts = {
    ...createSqlConversations({ database, now }),
    ...createSqlAccounts({ database, now }),
    ...createSqlWebhooks({ database, now }),
    ...createSqlOwner({ database, now }),
    ...createSqlChannels({ database, now }),
  };

  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) throw new KefuError('RECORDS_FAILED', { detail: 'the records database is closed' });
    try {
      await ready;
      return await work();
    } catch (error) {
      if (error instanceof KefuError) throw error;
      throw new KefuError('RECORDS_FAILED', { detail: location, cause: error });
    }
  };

  const guarded = Object.fromEntries(
    Object.entries(parts).map(([name, method]) => [name, (...args: unknown[]) => guard(() => (method as (...inner: unknown[]) => Promise<unknown>)(...args))]),
  ) as typeof parts;

  return {
    ...guarded,
    ping: async () => {
      if (closed) return false;
      try {
        await ready;
        await database.get('SELECT 1 AS ok');
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await ready.catch(() => undefined);
      await database.close();
    },
  };
}
