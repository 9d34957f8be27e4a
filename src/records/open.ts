/**
 * Chooses the records database: PostgreSQL when a `postgres://` URL is given (replicas sharing one database),
 * otherwise the SQLite file (the zero-setup default).
 */
import { openPostgresRecords } from './postgres.ts';
import { openSqliteRecords } from './sqlite.ts';
import type { RecordsStore } from './types.ts';

export interface OpenRecordsOptions {
  /** `KEFU_DATABASE_URL`: empty for SQLite. */
  url: string;
  /** The SQLite file used when `url` is empty. */
  path: string;
  /** PostgreSQL only: how long a server not reachable at start is waited for. */
  startupRetryMs?: number;
  /** PostgreSQL only: told before each wait while the server is not reachable at start. */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown; location: string }) => void;
}

/**
 * @example
 *   const records = openRecords({ url: config.databaseUrl, path: config.databasePath });
 */
export function openRecords(options: OpenRecordsOptions): RecordsStore {
  if (options.url) {
    return openPostgresRecords({
      url: options.url,
      ...(options.startupRetryMs !== undefined ? { startupRetryMs: options.startupRetryMs } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }
  return openSqliteRecords({ path: options.path });
}
