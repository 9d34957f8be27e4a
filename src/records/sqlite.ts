/**
 * The embedded records database: one SQLite file (Node's built-in `node:sqlite`) in WAL mode, holding the records
 * through the portable store (`sql-records.ts`). Durability is described in `sqlite-database.ts` and the README.
 */
import { KefuError } from '../errors/index.ts';
import { createSqlRecords } from './sql-records.ts';
import { openSqliteDatabase } from './sqlite-database.ts';
import type { RecordsStore } from './types.ts';

export { ticketNumber } from './sql-conversations.ts';

export interface OpenSqliteRecordsOptions {
  /** The database file, e.g. `config.databasePath`; its folder is created. `':memory:'` for a throwaway store. */
  path: string;
  /** 'normal' (default) survives process kills; 'full' also survives power loss (one fsync per write). */
  synchronous?: 'normal' | 'full';
  /** The clock (tests move it). */
  now?: () => Date;
}

/**
 * Opens (creating and migrating if needed) the records database.
 *
 * @example
 *   const records = openSqliteRecords({ path: config.databasePath });
 *   const conversation = await records.createConversation({ channel: 'web' });
 */
export function openSqliteRecords(options: OpenSqliteRecordsOptions): RecordsStore {
  let database;
  try {
    database = openSqliteDatabase({ path: options.path, synchronous: options.synchronous });
  } catch (error) {
    throw new KefuError('RECORDS_FAILED', { detail: options.path, cause: error });
  }
  return createSqlRecords({ database, location: options.path, ...(options.now ? { now: options.now } : {}) });
}
