/** Durable records of conversations, messages, feedback, tickets, the event log, accounts and webhooks. See README.md. */
export type * from './types.ts';
export { openSqliteRecords, ticketNumber, type OpenSqliteRecordsOptions } from './sqlite.ts';
export { createSqlRecords, type CreateSqlRecordsOptions } from './sql-records.ts';
export { openSqliteDatabase, sqliteDialect } from './sqlite-database.ts';
export type { Dialect, SqlDatabase, SqlExecutor, SqlRow, SqlValue } from './sql-database.ts';
export { OUTBOX_CURSOR as CHANNEL_OUTBOX_CURSOR } from './sql-channels.ts';
export { MIGRATIONS, SCHEMA_VERSION, migrate, appliedMigrations, type Migration } from './migrations.ts';
export { openPostgresRecords, type OpenPostgresRecordsOptions } from './postgres.ts';
export { openPostgresDatabase, postgresDialect, isConnectionError, redactUrl } from './postgres-database.ts';
export { openRecords, type OpenRecordsOptions } from './open.ts';
export { isRecordsFailure } from './failure.ts';
export { acquireWriterRole, type WriterRole, type AcquireWriterRoleOptions } from './postgres-writer-lock.ts';
