import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KefuError } from '../errors/index.ts';
import { describeSettings, loadConfig, unknownSettings } from './index.ts';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-config-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function failure(env: Record<string, string>): KefuError {
  try {
    loadConfig({ env, dotenvDir: null, cwd: directory });
  } catch (error) {
    if (error instanceof KefuError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('has working defaults: ./data, the bundled model, port 3000, inbox under the data dir', () => {
    const config = loadConfig({ env: {}, dotenvDir: null, cwd: directory });
    expect(config.dataDir).toBe(path.join(directory, 'data'));
    expect(config.inboxDir).toBe(path.join(directory, 'data', 'inbox'));
    expect(config.embedding.model).toBe('bundled');
    expect(config.server.port).toBe(3000);
    expect(config.llm.provider).toBe('none');
  });

  it('reads KEFU_* variables, converting numbers and booleans, and treats an empty value as unset', () => {
    const config = loadConfig({ env: { KEFU_PORT: '8080', KEFU_OFFLINE: 'true', KEFU_DATA_DIR: 'kb', KEFU_RETRIEVAL_TOP_K: '' }, dotenvDir: null, cwd: directory });
    expect(config.server.port).toBe(8080);
    expect(config.embedding.offline).toBe(true);
    expect(config.dataDir).toBe(path.join(directory, 'kb'));
    expect(config.retrieval.topK).toBe(8);
  });

  it('reads a .env file, and real environment variables win over it', async () => {
    await writeFile(path.join(directory, '.env'), 'KEFU_PORT=4000\nKEFU_EMBEDDING_MODEL=Xenova/all-MiniLM-L6-v2\n');
    const config = loadConfig({ env: { KEFU_PORT: '5000' }, cwd: directory });
    expect(config.server.port).toBe(5000);
    expect(config.embedding.model).toBe('Xenova/all-MiniLM-L6-v2');
  });

  it('fails fast naming the bad variable, its value and what is allowed', () => {
    const port = failure({ KEFU_PORT: 'eighty' });
    expect(port.code).toBe('CONFIG_INVALID');
    expect(port.message).toContain('KEFU_PORT="eighty"');
    expect(port.hint).toContain('KEFU_PORT');
    expect(failure({ KEFU_FUSION: 'magic' }).message).toContain('must be one of: adaptive, weighted, rrf');
    expect(failure({ KEFU_PORT: '70000' }).message).toContain('KEFU_PORT');
    expect(failure({ KEFU_ANSWER_THRESHOLD: '2' }).message).toContain('KEFU_ANSWER_THRESHOLD');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ env: {}, dotenvDir: null, cwd: directory });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('describes every setting with a default and a meaning', () => {
    const settings = describeSettings();
    expect(settings.map((setting) => setting.name)).toContain('KEFU_DATA_DIR');
    for (const setting of settings) expect(setting.description.length).toBeGreaterThan(5);
  });

  it('shows the value in force beside the default, from the environment or .env, with secrets masked', async () => {
    await writeFile(path.join(directory, '.env'), 'KEFU_TOP=1\nKEFU_RETRIEVAL_TOP_K=5\nKEFU_LLM_API_KEY=sk-secret\n');
    const settings = describeSettings({ env: { KEFU_PORT: '8080', KEFU_RETRIEVAL_TOP_K: '' }, dotenvDir: directory });
    const byName = new Map(settings.map((setting) => [setting.name, setting]));
    expect(byName.get('KEFU_PORT')).toMatchObject({ current: '8080', default: 3000, source: 'environment' });
    expect(byName.get('KEFU_RETRIEVAL_TOP_K')).toMatchObject({ current: '5', default: 8, source: '.env' });
    expect(byName.get('KEFU_HOST')).toMatchObject({ current: undefined, source: 'default' });
    expect(byName.get('KEFU_LLM_API_KEY')?.current).toBe('***');
    expect(JSON.stringify(settings)).not.toContain('sk-secret');
  });

  it('names KEFU_* variables it does not know, with the closest known name', async () => {
    await writeFile(path.join(directory, '.env'), 'KEFU_EMBEDING_MODEL=bundled\n');
    const unknown = unknownSettings({ env: { KEFU_PROT: '8080', KEFU_PORT: '1', KEFU_SOMETHING_ELSE_ENTIRELY: 'x', OTHER: 'y' }, dotenvDir: directory });
    expect(unknown).toEqual([
      { name: 'KEFU_EMBEDING_MODEL', source: '.env', suggestion: 'KEFU_EMBEDDING_MODEL' },
      { name: 'KEFU_PROT', source: 'environment', suggestion: 'KEFU_PORT' },
      { name: 'KEFU_SOMETHING_ELSE_ENTIRELY', source: 'environment', suggestion: undefined },
    ]);
  });
});

describe('KEFU_TRUST_PROXY', () => {
  it.each([
    ['', false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['127.0.0.1, 10.0.0.0/8,::1', ['127.0.0.1', '10.0.0.0/8', '::1']],
  ] as const)('reads %j', (value, expected) => {
    expect(loadConfig({ env: { KEFU_TRUST_PROXY: value }, dotenvDir: null, cwd: directory }).server.trustProxy).toEqual(expected);
  });

  it('refuses a value that is not an address, a range, a count or a boolean', () => {
    const error = failure({ KEFU_TRUST_PROXY: '10.0.0.0/33' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('KEFU_TRUST_PROXY');
    expect(failure({ KEFU_TRUST_PROXY: 'yes please' }).message).toContain('"yes please"');
  });
});

describe('the WeChat endpoint settings', () => {
  it('exist only with KEFU_WECHAT_TOKEN, with the API base URL without a trailing slash', () => {
    expect(loadConfig({ env: {}, dotenvDir: null, cwd: directory }).channels.wechat).toBeUndefined();
    const config = loadConfig({ env: { KEFU_WECHAT_TOKEN: 'abc123', KEFU_WECHAT_API_BASE_URL: 'http://127.0.0.1:9000/' }, dotenvDir: null, cwd: directory });
    expect(config.channels.wechat).toMatchObject({ token: 'abc123', apiBaseUrl: 'http://127.0.0.1:9000', replyDeadlineMs: 4000, appId: '' });
  });

  it('stops at start for a token WeChat would refuse, half of the app credentials, or a bad base URL', () => {
    expect(failure({ KEFU_WECHAT_TOKEN: 'has spaces in it' }).message).toContain('KEFU_WECHAT_TOKEN');
    const half = failure({ KEFU_WECHAT_TOKEN: 'abc123', KEFU_WECHAT_APP_ID: 'wx0123' });
    expect(half.message).toContain('KEFU_WECHAT_APP_SECRET');
    expect(failure({ KEFU_WECHAT_TOKEN: 'abc123', KEFU_WECHAT_API_BASE_URL: 'not a url' }).message).toContain('KEFU_WECHAT_API_BASE_URL');
  });

  it('never shows the token or the AppSecret', () => {
    const rows = describeSettings({ env: { KEFU_WECHAT_TOKEN: 'abc123', KEFU_WECHAT_APP_ID: 'wx0123', KEFU_WECHAT_APP_SECRET: 'the-secret-value' }, dotenvDir: null });
    expect(JSON.stringify(rows)).not.toContain('the-secret-value');
    expect(JSON.stringify(rows)).not.toContain('abc123');
  });
});
