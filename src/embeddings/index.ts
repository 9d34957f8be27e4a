/**
 * Sentence embeddings over Transformers.js (onnxruntime-node on the CPU), as kefu's `Embedder` and as a
 * LangChain `Embeddings`. The default model is the bundled all-MiniLM-L6-v2, converted from an npm
 * package at install (see convert.ts); a Hugging Face model id or a local model folder also works.
 *
 * @example
 *   const embedder = await createEmbedder({ config: loadConfig() });
 *   const [vector] = await embedder.embedDocuments(['Returns are accepted within 30 days.']);
 *   const query = await embedder.embedQuery('How do I return an item?');
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AutoModel, AutoTokenizer, type PreTrainedModel, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { Embeddings } from '@langchain/core/embeddings';
import type { Config } from '../config/index.ts';
import { KefuError } from '../errors/index.ts';
import { BUNDLED_MODEL_NAME, MANIFEST_FILE, checkBundledModel, ensureConvertedModel } from './convert.ts';
import type { Embedder, EmbedderLanguages } from './types.ts';

export type { Embedder } from './types.ts';
export { checkBundledModel, convertBundledModel, MODEL_FILES } from './convert.ts';

export interface EmbedderLogger {
  warn(message: string): void;
  info?(message: string): void;
}

export interface CreateEmbedderOptions {
  config: Config;
  /** Where warnings go (truncated inputs, model conversion); defaults to the console. */
  logger?: EmbedderLogger;
}

/** Where a configured model comes from and how it is named in the index. */
export interface ModelSource {
  kind: 'bundled' | 'local' | 'hub';
  /** What Transformers.js loads: an absolute folder for bundled/local, a repo id for the hub. */
  location: string;
  /** Human name of the model (folder name or repo id). */
  name: string;
}

/** Per-family conventions: some models were trained with prefixes or CLS pooling. */
interface ModelFamily {
  queryPrefix: string;
  passagePrefix: string;
  pooling: 'mean' | 'cls';
}

function familyOf(name: string): ModelFamily {
  const lower = name.toLowerCase();
  if (/(^|[/_-])e5([_-]|$)/.test(lower) || lower.includes('multilingual-e5')) return { queryPrefix: 'query: ', passagePrefix: 'passage: ', pooling: 'mean' };
  if (lower.includes('bge-') && lower.includes('-en')) return { queryPrefix: 'Represent this sentence for searching relevant passages: ', passagePrefix: '', pooling: 'cls' };
  if (lower.includes('bge-')) return { queryPrefix: '', passagePrefix: '', pooling: 'cls' };
  return { queryPrefix: '', passagePrefix: '', pooling: 'mean' };
}

function looksLikePath(value: string): boolean {
  return path.isAbsolute(value) || value.startsWith('./') || value.startsWith('../') || value.startsWith('~') || value.includes('\\');
}

/** Decides what `config.embedding.model` refers to: "bundled", a local folder, or a hub model id. */
export function resolveModelSource(config: Config): ModelSource {
  const value = config.embedding.model;
  if (value === 'bundled') return { kind: 'bundled', location: path.resolve(config.embedding.bundledModelDir), name: BUNDLED_MODEL_NAME };
  const asPath = path.resolve(value);
  if (looksLikePath(value) || existsSync(asPath)) return { kind: 'local', location: asPath, name: path.basename(asPath) };
  return { kind: 'hub', location: value, name: value };
}

function onnxFileFor(dtype: Config['embedding']['dtype']): string {
  return dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx';
}

/**
 * Fails with MODEL_NOT_FOUND (missing files) or MODEL_CORRUPT (manifest mismatch) before onnxruntime sees the folder.
 * Resolves with the weights' fingerprint (the first 12 hex digits of the ONNX file's sha256 in the folder's
 * manifest) when the folder has a manifest, so the index records exactly which weights made its vectors.
 */
async function checkLocalFolder(folder: string, dtype: Config['embedding']['dtype']): Promise<string | undefined> {
  const required = ['config.json', 'tokenizer.json', onnxFileFor(dtype)];
  const missing = required.filter((name) => !existsSync(path.join(folder, name)));
  if (missing.length > 0) throw new KefuError('MODEL_NOT_FOUND', { detail: `${folder} has no ${missing.join(', ')}` });
  if (existsSync(path.join(folder, MANIFEST_FILE))) {
    const check = await checkBundledModel({ modelDir: folder });
    const damaged = check.problems.filter((problem) => !problem.includes('converter version') && !problem.includes('installed is'));
    if (damaged.length > 0) throw new KefuError('MODEL_CORRUPT', { detail: `${folder}: ${damaged.join('; ')}` });
    return check.manifest?.files?.[onnxFileFor(dtype)]?.sha256.slice(0, 12);
  }
  return undefined;
}

/**
 * Makes sure the bundled model is converted and valid in `config.embedding.bundledModelDir`,
 * converting it (a few seconds) when missing or damaged.
 *
 * @example
 *   const { modelDir, converted } = await ensureBundledModel(loadConfig());
 */
export async function ensureBundledModel(config: Config): Promise<{ modelDir: string; converted: boolean }> {
  const { modelDir, converted } = await ensureConvertedModel({ modelDir: path.resolve(config.embedding.bundledModelDir) });
  return { modelDir, converted };
}

function meanPool(hidden: Float32Array, mask: BigInt64Array, batch: number, tokens: number, dimension: number, pooling: ModelFamily['pooling']): number[][] {
  const vectors: number[][] = [];
  for (let row = 0; row < batch; row++) {
    const sum = new Float64Array(dimension);
    let count = 0;
    for (let token = 0; token < tokens; token++) {
      if (pooling === 'cls' ? token !== 0 : mask[row * tokens + token] === 0n) continue;
      count++;
      const offset = (row * tokens + token) * dimension;
      for (let index = 0; index < dimension; index++) sum[index] = (sum[index] ?? 0) + (hidden[offset + index] ?? 0);
    }
    let norm = 0;
    for (let index = 0; index < dimension; index++) norm += ((sum[index] ?? 0) / Math.max(count, 1)) ** 2;
    const scale = 1 / (Math.max(count, 1) * Math.max(Math.sqrt(norm), 1e-12));
    vectors.push(Array.from(sum, (value) => value * scale));
  }
  return vectors;
}

/**
 * What a model understands: the configured KEFU_EMBEDDING_LANGUAGES, else the bundled model's English,
 * else what the model's name says (multilingual families), else every language.
 */
export function languagesOf(source: ModelSource, configured: readonly string[]): EmbedderLanguages {
  if (configured.length > 0) return configured.includes('all') ? 'all' : (configured.filter((language): language is 'en' | 'zh' | 'other' => ['en', 'zh', 'other'].includes(language)));
  if (source.kind === 'bundled') return ['en'];
  const name = source.name.toLowerCase();
  if (/multilingual|m3|xlm|labse|paraphrase-multi|mpnet-base-multi|distiluse|-zh|chinese|text2vec|bge-[a-z]+-zh|gte-multi/.test(name)) return 'all';
  if (/-en(-|$|_)|english/.test(name)) return ['en'];
  return 'all';
}

export interface KefuEmbedder extends Embedder {
  readonly source: ModelSource;
  readonly dtype: Config['embedding']['dtype'];
}

class TransformersEmbedder extends Embeddings implements KefuEmbedder {
  readonly modelId: string;
  readonly dimension: number;
  readonly maxTokens: number;
  readonly languages: EmbedderLanguages;
  readonly source: ModelSource;
  readonly dtype: Config['embedding']['dtype'];
  truncatedCount = 0;
  private readonly tokenizer: PreTrainedTokenizer;
  private readonly model: PreTrainedModel;
  private readonly family: ModelFamily;
  private readonly batchSize: number;
  private readonly logger: EmbedderLogger;

  constructor(options: { source: ModelSource; dtype: Config['embedding']['dtype']; fingerprint: string | undefined; tokenizer: PreTrainedTokenizer; model: PreTrainedModel; dimension: number; maxTokens: number; batchSize: number; logger: EmbedderLogger; languages: EmbedderLanguages }) {
    super({});
    this.languages = options.languages;
    this.source = options.source;
    this.dtype = options.dtype;
    this.tokenizer = options.tokenizer;
    this.model = options.model;
    this.dimension = options.dimension;
    this.maxTokens = options.maxTokens;
    this.batchSize = options.batchSize;
    this.logger = options.logger;
    this.family = familyOf(options.source.name);
    // Kind, model and weights: a change of any (fp32 ↔ q8, a re-quantised bundled model) re-embeds the index.
    this.modelId = `${options.source.kind}:${options.source.name}:${options.dtype}${options.fingerprint ? `:${options.fingerprint}` : ''}`;
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).length;
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await this.embedAll([this.family.queryPrefix + text]);
    return vector ?? [];
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const prefix = this.family.passagePrefix;
    return this.embedAll(prefix ? texts.map((text) => prefix + text) : texts);
  }

  private async embedAll(texts: string[]): Promise<number[][]> {
    // Similar lengths batched together waste less compute on padding; results go back in input order.
    const order = texts.map((_, index) => index).sort((left, right) => (texts[right]?.length ?? 0) - (texts[left]?.length ?? 0));
    const results: number[][] = new Array<number[]>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const indexes = order.slice(start, start + this.batchSize);
      const vectors = await this.embedBatch(indexes.map((index) => texts[index] ?? ''));
      indexes.forEach((index, position) => (results[index] = vectors[position] ?? []));
    }
    return results;
  }

  private async embedBatch(batch: string[]): Promise<number[][]> {
    const inputs = this.tokenizer(batch, { padding: true, truncation: true, max_length: this.maxTokens });
    const [rows = 0, tokens = 0] = inputs.input_ids.dims;
    if (tokens >= this.maxTokens) {
      // A token covers at least one UTF-16 unit, so only long texts can have been cut: count just those.
      const truncated = batch.filter((text) => text.length > this.maxTokens - 2 && this.countTokens(text) > this.maxTokens - 2).length;
      if (truncated > 0) {
        this.truncatedCount += truncated;
        this.logger.warn(`embedding: ${truncated} of ${batch.length} texts in this batch exceeded ${this.maxTokens} tokens and were truncated (${this.truncatedCount} so far)`);
      }
    }
    let output: { last_hidden_state?: Tensor };
    try {
      output = (await this.model(inputs)) as { last_hidden_state?: Tensor };
    } catch (error) {
      throw new KefuError('MODEL_CORRUPT', { detail: `${this.modelId} failed to run`, cause: error });
    }
    const hidden = output.last_hidden_state;
    if (!hidden) throw new KefuError('MODEL_CORRUPT', { detail: `${this.modelId} has no last_hidden_state output` });
    const vectors = meanPool(hidden.data as Float32Array, inputs.attention_mask.data as BigInt64Array, rows, tokens, this.dimension, this.family.pooling);
    hidden.dispose();
    return vectors;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

async function loadFromSource(source: ModelSource, config: Config): Promise<{ tokenizer: PreTrainedTokenizer; model: PreTrainedModel }> {
  const dtype = config.embedding.dtype;
  const localOnly = source.kind !== 'hub' || config.embedding.offline;
  const loadOptions = { local_files_only: localOnly, cache_dir: config.embedding.cacheDir };
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(source.location, loadOptions);
    const model = await AutoModel.from_pretrained(source.location, { ...loadOptions, dtype, device: 'cpu' });
    return { tokenizer, model };
  } catch (error) {
    if (source.kind === 'hub') {
      throw new KefuError('MODEL_OFFLINE', {
        detail: `"${source.location}" (${dtype})`,
        cause: error,
        ...(config.embedding.offline ? { hint: `KEFU_OFFLINE is set and "${source.location}" is not in ${config.embedding.cacheDir}. Unset KEFU_OFFLINE while online once, or download the model elsewhere and set KEFU_EMBEDDING_MODEL to its local folder, or use KEFU_EMBEDDING_MODEL=bundled.` } : {}),
      });
    }
    throw new KefuError('MODEL_CORRUPT', { detail: source.location, cause: error });
  }
}

/**
 * Loads the configured embedding model. Fails with MODEL_NOT_FOUND, MODEL_CORRUPT or MODEL_OFFLINE
 * (never a raw onnxruntime error).
 *
 * @example
 *   const embedder = await createEmbedder({ config });
 *   embedder.modelId; // "bundled:all-MiniLM-L6-v2:q8:50a1020fa07e" (kind, model, weights, ONNX file fingerprint)
 */
export async function createEmbedder(options: CreateEmbedderOptions): Promise<KefuEmbedder> {
  const { config } = options;
  const logger: EmbedderLogger = options.logger ?? { warn: (message) => console.warn(message), info: (message) => console.error(message) };
  const source = resolveModelSource(config);
  if (source.kind === 'bundled') {
    const { converted } = await ensureBundledModel(config);
    if (converted) logger.info?.(`embedding: prepared the bundled model in ${source.location}`);
  }
  const fingerprint = source.kind === 'hub' ? undefined : await checkLocalFolder(source.location, config.embedding.dtype);
  const { tokenizer, model } = await loadFromSource(source, config);
  const modelConfig = model.config as unknown as { hidden_size?: number; max_position_embeddings?: number };
  const dimension = modelConfig.hidden_size ?? 384;
  const tokenizerLimit = Number(tokenizer.model_max_length) || 512;
  const maxTokens = Math.min(tokenizerLimit, modelConfig.max_position_embeddings ?? tokenizerLimit);
  return new TransformersEmbedder({ source, dtype: config.embedding.dtype, fingerprint, tokenizer, model, dimension, maxTokens, batchSize: config.embedding.batchSize, logger, languages: languagesOf(source, config.embedding.languages) });
}

/**
 * For health checks: loads the configured model and embeds one word. Resolves with what was loaded,
 * or rejects with the KefuError explaining why not.
 */
export async function checkEmbedderLoadable(config: Config): Promise<{ modelId: string; dimension: number; milliseconds: number }> {
  const started = performance.now();
  const embedder = await createEmbedder({ config, logger: { warn: () => {} } });
  try {
    const vector = await embedder.embedQuery('ok');
    if (vector.length !== embedder.dimension) throw new KefuError('MODEL_CORRUPT', { detail: `${embedder.modelId} returned ${vector.length} values, expected ${embedder.dimension}` });
    return { modelId: embedder.modelId, dimension: embedder.dimension, milliseconds: Math.round(performance.now() - started) };
  } finally {
    await embedder.dispose();
  }
}
