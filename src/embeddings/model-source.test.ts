import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { resolveModelSource } from './index.ts';

describe('resolveModelSource', () => {
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'kefu-source-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  const sourceFor = (model: string) => resolveModelSource(loadConfig({ env: { KEFU_DATA_DIR: path.join(workDir, 'data'), KEFU_EMBEDDING_MODEL: model }, dotenvDir: null, cwd: workDir }));

  it('uses the converted bundled model in the data dir by default', () => {
    expect(sourceFor('bundled')).toEqual({ kind: 'bundled', location: path.join(workDir, 'data', 'models', 'bundled'), name: 'all-MiniLM-L6-v2' });
  });

  it('treats a Hugging Face id as a hub model', () => {
    expect(sourceFor('Xenova/multilingual-e5-small')).toEqual({ kind: 'hub', location: 'Xenova/multilingual-e5-small', name: 'Xenova/multilingual-e5-small' });
  });

  it('treats absolute, ./ and existing paths as local folders, never as hub ids', () => {
    expect(sourceFor('/opt/models/minilm')).toMatchObject({ kind: 'local', location: '/opt/models/minilm', name: 'minilm' });
    expect(sourceFor('./models/minilm')).toMatchObject({ kind: 'local', name: 'minilm' });
    // "models/x" looks like an "owner/name" hub id, but an existing folder wins.
    expect(sourceFor(path.relative(process.cwd(), workDir))).toMatchObject({ kind: 'local', location: workDir });
  });
});

describe('languages the model understands', () => {
  it('is English for the bundled model, all for multilingual names, and what the owner configured', async () => {
    const { languagesOf } = await import('./index.ts');
    expect(languagesOf({ kind: 'bundled', location: '/x', name: 'all-MiniLM-L6-v2' }, [])).toEqual(['en']);
    expect(languagesOf({ kind: 'hub', location: 'intfloat/multilingual-e5-small', name: 'intfloat/multilingual-e5-small' }, [])).toBe('all');
    expect(languagesOf({ kind: 'hub', location: 'BAAI/bge-small-en-v1.5', name: 'BAAI/bge-small-en-v1.5' }, [])).toEqual(['en']);
    expect(languagesOf({ kind: 'hub', location: 'BAAI/bge-small-en-v1.5', name: 'BAAI/bge-small-en-v1.5' }, ['en', 'zh'])).toEqual(['en', 'zh']);
    expect(languagesOf({ kind: 'bundled', location: '/x', name: 'all-MiniLM-L6-v2' }, ['all'])).toBe('all');
  });
});
