import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Embeddings } from '@langchain/core/embeddings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { MODEL_FILES } from './convert.ts';
import { createEmbedder, type KefuEmbedder } from './index.ts';

function dot(left: number[], right: number[]): number {
  return left.reduce((total, value, index) => total + value * (right[index] ?? 0), 0);
}

describe('embedder (bundled model)', () => {
  let workDir: string;
  let embedder: KefuEmbedder;
  const warnings: string[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'kefu-embedder-'));
    // No converted model in this fresh data dir: the embedder must prepare it on first use.
    const config = loadConfig({ env: { KEFU_DATA_DIR: workDir, KEFU_EMBEDDING_BATCH_SIZE: '4' }, dotenvDir: null, cwd: workDir });
    embedder = await createEmbedder({ config, logger: { warn: (message) => warnings.push(message) } });
  });

  afterAll(async () => {
    await embedder.dispose();
    await rm(workDir, { recursive: true, force: true });
  });

  it('is a LangChain Embeddings with a model id naming model and weights', () => {
    expect(embedder).toBeInstanceOf(Embeddings);
    expect(embedder.modelId).toMatch(/^bundled:all-MiniLM-L6-v2:fp32:[0-9a-f]{12}$/);
    expect(embedder.dimension).toBe(384);
    expect(embedder.maxTokens).toBe(512);
  });

  it('puts a question closer to the passage that answers it', async () => {
    const query = await embedder.embedQuery('How do I return an item?');
    const [returns = [], office = []] = await embedder.embedDocuments(['Returns are accepted within 30 days', 'Our office is in Berlin']);
    expect(dot(query, returns)).toBeGreaterThan(dot(query, office) + 0.1);
    expect(Math.hypot(...query)).toBeCloseTo(1, 5);
  });

  it('keeps input order across length-sorted batches and matches one-at-a-time results', async () => {
    const texts = ['short', 'a somewhat longer sentence about shipping costs', 'mid length text here', 'x', 'the longest sentence of them all, about refunds, returns, exchanges and store credit', 'ok'];
    const together = await embedder.embedDocuments(texts);
    for (const [index, text] of texts.entries()) {
      const [alone = []] = await embedder.embedDocuments([text]);
      expect(dot(together[index] ?? [], alone)).toBeGreaterThan(0.9999);
    }
  });

  it('embeds empty strings and 50,000-character inputs without crashing, counting the truncation', async () => {
    const before = embedder.truncatedCount;
    const warningsBefore = warnings.length;
    const huge = 'Our refund policy covers every item bought in the last thirty days. '.repeat(740);
    expect(huge.length).toBeGreaterThanOrEqual(50_000);
    const vectors = await embedder.embedDocuments(['', huge, 'x'.repeat(50_000)]);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(384);
      expect(vector.every(Number.isFinite)).toBe(true);
    }
    expect(embedder.truncatedCount).toBe(before + 1);
    expect(warnings.slice(warningsBefore).join('\n')).toMatch(/1 of 3 texts .*truncated/);
  });

  it('counts tokens without special tokens, quickly', () => {
    expect(embedder.countTokens('How do I return an item?')).toBe(7);
    expect(embedder.countTokens('')).toBe(0);
    const started = performance.now();
    for (let index = 0; index < 1000; index++) embedder.countTokens(`Sentence number ${index} about the warranty period for laptops and phones.`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('names the weights in its model id, so other weights of the same model re-embed the index', async () => {
    // Two copies of one model folder whose manifests disagree on the ONNX file's hash, as after a re-quantisation.
    const bundled = path.join(workDir, 'models', 'bundled');
    const ids: string[] = [];
    for (const [copy, hash] of [['one', undefined], ['two', 'f'.repeat(64)]] as const) {
      const folder = path.join(workDir, copy, 'model');
      await mkdir(path.join(folder, 'onnx'), { recursive: true });
      for (const name of MODEL_FILES) await symlink(path.join(bundled, name), path.join(folder, name));
      const manifest = JSON.parse(await readFile(path.join(bundled, 'kefu-model.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
      const entry = manifest.files['onnx/model.onnx'];
      if (entry && hash) entry.sha256 = hash;
      await writeFile(path.join(folder, 'kefu-model.json'), JSON.stringify(manifest));
      const local = await createEmbedder({ config: loadConfig({ env: { KEFU_DATA_DIR: workDir, KEFU_EMBEDDING_MODEL: folder, KEFU_EMBEDDING_DTYPE: 'fp32' }, dotenvDir: null, cwd: workDir }), logger: { warn: () => {} } });
      ids.push(local.modelId);
      await local.dispose();
    }
    expect(ids[0]).toMatch(/^local:model:fp32:[0-9a-f]{12}$/);
    expect(ids[1]).toBe('local:model:fp32:ffffffffffff');
    expect(ids[0]).not.toBe(ids[1]);
  });
});
