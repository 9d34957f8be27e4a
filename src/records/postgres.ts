/**
 * The shared records database: PostgreSQL, for several kefu replicas (`KEFU_DATABASE_URL=postgres://…`). The same
 * store, rules and migrations as SQLite (`sql-records.ts`), over `postgres-database.ts`.
 */
import { KefuError } from '../errors/index.ts';
import { isConnectionError, openPostgresDatabase, redactUrl } from './postgres-database.ts';
import { createSqlRecords } from './sql-records.ts';
import type { RecordsStore } from './types.ts';

export interface OpenPostgresRecordsOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** How long a server that is not reachable at start is waited for (default 60 s); 0 = fail at once. */
  startupRetryMs?: number;
  /** Told before each wait while the server is not reachable at start. */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown; location: string }) => void;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** The clock (tests move it). */
  now?: () => Date;
}

/**
 * Opens the records on PostgreSQL; the migrations run (under an advisory lock) before the first call answers.
 *
 * @example
 *   const records = openPostgresRecords({ url: config.databaseUrl, onRetry: ({ delayMs }) => log.warn(`database down, retrying in ${delayMs} ms`) });
 */
export function openPostgresRecords(options: OpenPostgresRecordsOptions): RecordsStore {
  const location = redactUrl(options.url);
  let database;
  try {
    database = openPostgresDatabase({ url: options.url, ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}) });
  } catch (error) {
    throw new KefuError('RECORDS_FAILED', { detail: location, cause: error, hint: 'Check KEFU_DATABASE_URL: postgres://user:password@host:port/database.' });
  }
  return createSqlRecords({
    database,
    location,
    ...(options.now ? { now: options.now } : {}),
    startup: {
      retryForMs: options.startupRetryMs ?? 60_000,
      isRetryable: isConnectionError,
      onRetry: (event) => options.onRetry?.({ ...event, location }),
    },
  });
}
