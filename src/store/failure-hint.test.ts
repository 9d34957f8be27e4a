import { describe, expect, it } from 'vitest';
import { storeFailureHint } from './index.ts';

describe('the hint of a failed index write', () => {
  it('names the real cause: another writer, a full disk, permissions; nothing specific otherwise', () => {
    expect(storeFailureHint(new Error('Commit conflict for version 8: Failed to commit the transaction after 5 retries.'))).toMatch(/Another process wrote the index/);
    expect(storeFailureHint(new Error('Commit conflict for version 8'))).not.toMatch(/free space|full/);
    expect(storeFailureHint(Object.assign(new Error('write failed'), { code: 'ENOSPC' }))).toMatch(/full/);
    expect(storeFailureHint(new Error('IO error: Permission denied (os error 13)'))).toMatch(/permissions/);
    expect(storeFailureHint(new Error('something else'))).toBeUndefined();
  });
});
