/** The settings of several replicas: the records database, the role, the index location. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, loadConfig } from './index.ts';

const load = (env: Record<string, string>) => loadConfig({ env, dotenvDir: null, cwd: '/srv/kefu' });

describe('scale-out settings', () => {
  it('defaults to SQLite, a writer, and the index folder under the data dir with its lock beside it', () => {
    const config = load({});
    expect(config).toMatchObject({ databaseUrl: '', role: 'writer', indexDir: path.join('/srv/kefu', 'data', 'index'), indexLockPath: path.join('/srv/kefu', 'data', 'index.lock'), indexStorageOptions: {} });
  });

  it('takes a postgres:// URL and a reader role, and refuses a reader without a shared database', () => {
    expect(load({ KEFU_DATABASE_URL: 'postgres://kefu:pw@db:5432/kefu', KEFU_ROLE: 'reader' })).toMatchObject({ databaseUrl: 'postgres://kefu:pw@db:5432/kefu', role: 'reader' });
    expect(() => load({ KEFU_ROLE: 'reader' })).toThrow(/KEFU_ROLE=reader needs KEFU_DATABASE_URL/);
    expect(() => load({ KEFU_DATABASE_URL: 'mysql://db/kefu' })).toThrow(/must start with postgres:\/\//);
    expect(() => load({ KEFU_ROLE: 'replica' })).toThrow(/KEFU_ROLE/);
  });

  it('takes an object-storage index URI with storage options, keeping the lock on local disk', () => {
    const config = load({ KEFU_INDEX_URI: 's3://kefu/index', KEFU_INDEX_STORAGE_OPTIONS: '{"aws_endpoint":"http://rgw:7480","allow_http":"true"}' });
    expect(config).toMatchObject({ indexDir: 's3://kefu/index', indexStorageOptions: { aws_endpoint: 'http://rgw:7480', allow_http: 'true' }, indexLockPath: path.join('/srv/kefu', 'data', 'index.lock') });
    expect(() => load({ KEFU_INDEX_STORAGE_OPTIONS: '{not json' })).toThrow(/KEFU_INDEX_STORAGE_OPTIONS is not valid JSON/);
    expect(() => load({ KEFU_INDEX_STORAGE_OPTIONS: '{"allow_http":true}' })).toThrow(/values are strings/);
    expect(load({ KEFU_INDEX_URI: 'shared/index' }).indexLockPath).toBe(path.join('/srv/kefu', 'shared', 'index.lock'));
  });

  it('never prints the database URL or the storage options (they hold passwords and keys)', () => {
    const described = describeSettings({ env: { KEFU_DATABASE_URL: 'postgres://kefu:pw@db/kefu', KEFU_INDEX_STORAGE_OPTIONS: '{"aws_secret_access_key":"k"}' }, dotenvDir: null });
    const byName = new Map(described.map((setting) => [setting.name, setting]));
    expect(byName.get('KEFU_DATABASE_URL')?.current).toBe('***');
    expect(byName.get('KEFU_INDEX_STORAGE_OPTIONS')?.current).toBe('***');
  });
});
