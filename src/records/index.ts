/** Durable records of conversations, messages, feedback and tickets. See README.md. */
export type * from './types.ts';
export { openSqliteRecords, ticketNumber, type OpenSqliteRecordsOptions } from './sqlite.ts';
