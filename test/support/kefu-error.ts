import { KefuError } from '../../src/errors/index.ts';

/**
 * The KefuError a promise rejects with (any other error is rethrown; no error at all fails the test).
 *
 * @example
 *   expect((await failure(parseFile({ path }))).code).toBe('INGEST_LIMIT');
 */
export async function failure(promise: Promise<unknown>): Promise<KefuError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KefuError) return error;
    throw error;
  }
  throw new Error('no error');
}
