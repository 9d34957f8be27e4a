/**
 * Whether an error is the records database failing (down, unreachable, full, closed): every store call reports that
 * as `RECORDS_FAILED`. kefu's own errors (CONVERSATION_NOT_FOUND, …) are not. Callers that can serve a customer
 * without the records (a turn answered but not stored, the last good routing view) carry on for these only.
 *
 * @example
 *   try { await records.appendMessages(messages); } catch (error) { if (!isRecordsFailure(error)) throw error; … }
 */
import { KefuError } from '../errors/index.ts';

export function isRecordsFailure(error: unknown): error is KefuError {
  return error instanceof KefuError && error.code === 'RECORDS_FAILED';
}
