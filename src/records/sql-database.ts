/**
 * The little a records store needs from a SQL database, so one store (`sql-records.ts`) runs on SQLite today and on
 * PostgreSQL later. SQL is written once, portably: `?` placeholders (a PostgreSQL client numbers them), TEXT for
 * ISO times and JSON, INTEGER 0/1 for booleans, `INSERT … ON CONFLICT`, `RETURNING`, no engine functions. The only
 * engine-specific text is in `Dialect` (used by the migrations).
 */

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

/** A row as the driver returns it: column name → value. */
export type SqlRow = Record<string, SqlValue>;

export interface SqlExecutor {
  /** Rows of a SELECT (or of a statement with RETURNING). */
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** The first row, or undefined. */
  get(sql: string, params?: readonly SqlValue[]): Promise<SqlRow | undefined>;
  /** A statement without rows; `changes` is the number of rows it inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Statements outside the
   * transaction wait until it ends. A state-changing transaction starts by touching the conversation's row
   * (`UPDATE conversations … WHERE id = ?`), which serialises changes to one conversation on every engine (SQLite
   * takes the database's write lock, PostgreSQL the row lock).
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Engine-specific pieces of DDL. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** An auto-numbered integer primary key column type, e.g. `INTEGER PRIMARY KEY AUTOINCREMENT`. */
  readonly autoIncrementKey: string;
  /** A floating point column type. */
  readonly double: string;
  /** True when a column exists (migrations that add columns to tables older databases may already have). */
  columnExists(executor: SqlExecutor, table: string, column: string): Promise<boolean>;
  /**
   * Called first inside the migration transaction, where the engine needs it to keep two processes from migrating
   * at once (PostgreSQL: an advisory lock held to the end of the transaction). SQLite's `BEGIN IMMEDIATE` already
   * serialises them.
   */
  lockMigrations?(executor: SqlExecutor): Promise<void>;
}

/** Reads a TEXT column holding JSON, with a fallback for NULL or damaged values. */
export function parseJson<T>(value: SqlValue | undefined, fallback: T): T {
  if (typeof value !== 'string' || value === '') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

export function text(value: SqlValue | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

export function optionalText(value: SqlValue | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

export function optionalNumber(value: SqlValue | undefined): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/** "?, ?, ?" for an IN (…) list of `count` values. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}
