/**
 * `SqlDatabase` over one SQLite file through Node's built-in `node:sqlite`, in WAL mode.
 *
 * Durability: every write is one transaction, committed before the promise resolves. In WAL mode a commit is
 * appended to the `-wal` file with write(2) before `COMMIT` returns, so with the default `synchronous: 'normal'` a
 * process that is killed (`kill -9`, a crash, an OOM kill) loses nothing that was acknowledged: the bytes are in
 * the operating system's page cache and the next open replays the WAL. Only a power cut or kernel crash could lose
 * the last commits; `synchronous: 'full'` also fsyncs each commit and survives that too, at one fsync per write.
 *
 * node:sqlite is synchronous, so statements never interleave; a transaction's work is async (the store is written
 * for engines with network round trips), so statements issued outside it wait until it ends. That wait covers every
 * connection this process has open on the same file: a second connection blocking synchronously on the file's lock
 * would otherwise stop the event loop, and with it the transaction holding the lock (a deadlock until busy_timeout).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Dialect, SqlDatabase, SqlExecutor, SqlRow, SqlValue } from './sql-database.ts';

export interface OpenSqliteDatabaseOptions {
  /** The database file; its folder is created. `':memory:'` for a throwaway database. */
  path: string;
  /** 'normal' (default) survives process kills; 'full' also survives power loss (one fsync per write). */
  synchronous?: 'normal' | 'full';
}

/** Transactions in progress per database file in this process (see above). */
interface FileLock {
  inTransaction: boolean;
  tail: Promise<unknown>;
  connections: number;
}
const fileLocks = new Map<string, FileLock>();
let memoryDatabases = 0;

function lockFor(file: string): FileLock {
  // Each in-memory database is its own; files are shared by every connection on them.
  const key = file === ':memory:' ? `:memory:${++memoryDatabases}` : path.resolve(file);
  let lock = fileLocks.get(key);
  if (!lock) {
    lock = { inTransaction: false, tail: Promise.resolve(), connections: 0 };
    fileLocks.set(key, lock);
  }
  lock.connections += 1;
  return Object.assign(lock, { key });
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  autoIncrementKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  double: 'REAL',
  async columnExists(executor, table, column) {
    // PRAGMA table_info is SQLite's information_schema.columns.
    const rows = await executor.all(`PRAGMA table_info(${table})`);
    return rows.some((row) => row.name === column);
  },
};

/**
 * Opens the file (synchronously: a missing folder is created, an unreadable file throws at once).
 *
 * @example
 *   const database = openSqliteDatabase({ path: config.databasePath });
 *   await database.transaction(async (tx) => tx.run('UPDATE conversations SET updated_at = ? WHERE id = ?', [now, id]));
 */
export function openSqliteDatabase(options: OpenSqliteDatabaseOptions): SqlDatabase {
  if (options.path !== ':memory:') mkdirSync(path.dirname(options.path), { recursive: true });
  const database = new DatabaseSync(options.path);
  try {
    database.exec('PRAGMA journal_mode = WAL');
    database.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    database.exec('PRAGMA foreign_keys = ON');
    // Another process (the `kefu users` command beside a running server) may hold the write lock for a moment.
    database.exec('PRAGMA busy_timeout = 5000');
  } catch (error) {
    database.close();
    throw error;
  }

  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const bind = (params: readonly SqlValue[] = []): SQLInputValue[] => params as SQLInputValue[];

  const direct: SqlExecutor = {
    all: async (sql, params) => prepare(sql).all(...bind(params)) as SqlRow[],
    get: async (sql, params) => prepare(sql).get(...bind(params)) as SqlRow | undefined,
    run: async (sql, params) => ({ changes: Number(prepare(sql).run(...bind(params)).changes) }),
  };

  const lock = lockFor(options.path) as FileLock & { key: string };
  const idle = async (): Promise<void> => {
    while (lock.inTransaction) await lock.tail;
  };
  let open = true;

  return {
    dialect: sqliteDialect,
    all: async (sql, params) => {
      await idle();
      return direct.all(sql, params);
    },
    get: async (sql, params) => {
      await idle();
      return direct.get(sql, params);
    },
    run: async (sql, params) => {
      await idle();
      return direct.run(sql, params);
    },
    transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        lock.inTransaction = true;
        try {
          // IMMEDIATE takes the write lock before the first read, so a look-up and the write that depends on it
          // cannot be split by another connection (or process) writing in between.
          database.exec('BEGIN IMMEDIATE');
          try {
            const result = await work(direct);
            database.exec('COMMIT');
            return result;
          } catch (error) {
            if (database.isTransaction) database.exec('ROLLBACK');
            throw error;
          }
        } finally {
          lock.inTransaction = false;
        }
      };
      const result = lock.tail.then(run, run);
      lock.tail = result.catch(() => undefined);
      return result;
    },
    close: async () => {
      await idle();
      if (!open) return;
      open = false;
      statements.clear();
      if (database.isOpen) database.close();
      lock.connections -= 1;
      if (lock.connections === 0) fileLocks.delete(lock.key);
    },
  };
}
