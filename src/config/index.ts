/**
 * The one place that reads the environment. Settings come from `KEFU_*` variables (and an optional
 * `.env` file in the working directory; real environment variables win), are validated against one
 * schema, and are handed on as a frozen, typed object. A bad value fails fast, naming the variable.
 *
 * @example
 *   const config = loadConfig();            // from process.env (+ .env)
 *   const config = loadConfig({ env: { KEFU_PORT: '8080' } }); // in tests
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { KefuError } from '../errors/index.ts';

const PositiveInteger = (defaultValue: number, description: string, maximum = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ minimum: 1, maximum, default: defaultValue, description });
const UnitInterval = (defaultValue: number, description: string) =>
  Type.Number({ minimum: 0, maximum: 1, default: defaultValue, description });

/** Every setting kefu reads, with its default and meaning. `kefu config` prints this table. */
export const settingsSchema = Type.Object({
  KEFU_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Where the index, models and records live' }),
  KEFU_INBOX: Type.String({ default: '', description: 'Folder of documents to ingest and watch (default: <data dir>/inbox)' }),
  KEFU_EMBEDDING_MODEL: Type.String({ minLength: 1, default: 'bundled', description: '"bundled", a Hugging Face model id, or a local model folder' }),
  KEFU_EMBEDDING_DTYPE: Type.Union([Type.Literal('fp32'), Type.Literal('q8')], { default: 'fp32', description: 'Embedding weights: fp32, or q8 (int8, faster)' }),
  KEFU_EMBEDDING_BATCH_SIZE: PositiveInteger(32, 'Texts embedded per model call', 1024),
  KEFU_MODEL_CACHE_DIR: Type.String({ default: '', description: 'Cache for downloaded hub models (default: <data dir>/models/hub)' }),
  KEFU_OFFLINE: Type.Boolean({ default: false, description: 'Never try to download models' }),
  KEFU_CHUNK_TOKENS: PositiveInteger(220, 'Target chunk size in model tokens', 512),
  KEFU_CHUNK_OVERLAP: Type.Integer({ minimum: 0, maximum: 200, default: 30, description: 'Overlap between chunks in model tokens' }),
  KEFU_MAX_FILE_MB: Type.Number({ exclusiveMinimum: 0, default: 50, description: 'Files above this size are not ingested' }),
  KEFU_MAX_UNZIPPED_MB: Type.Number({ exclusiveMinimum: 0, default: 200, description: 'Largest decompressed size of a .docx/.xlsx (checked while inflating: zip bombs are refused)' }),
  KEFU_MAX_ZIP_RATIO: PositiveInteger(100, 'Largest compression ratio of a part of a .docx/.xlsx (zip bombs compress 1000:1; Apache POI uses 100)'),
  KEFU_MAX_TEXT_CHARS: PositiveInteger(5_000_000, 'Most text taken from one document (about 2,500 pages); longer documents are refused'),
  KEFU_MAX_CHUNKS_PER_FILE: PositiveInteger(250_000, 'Most chunks (passages or FAQ rows) from one file'),
  KEFU_PARSER_MEMORY_MB: Type.Integer({ minimum: 64, default: 768, description: 'Memory (JavaScript heap) the document parser may use; a file needing more is recorded as failed' }),
  KEFU_PARSER_TIMEOUT_S: PositiveInteger(120, 'A file whose parser shows no progress for this long is recorded as failed'),
  KEFU_LOCK_TIMEOUT_S: Type.Integer({ minimum: 0, default: 600, description: 'How long `kefu ingest` waits for another kefu process writing the index' }),
  KEFU_WATCH_DEBOUNCE_MS: Type.Integer({ minimum: 0, default: 1500, description: 'Quiet time before a changed folder is re-synced' }),
  KEFU_WATCH_MAX_WAIT_MS: Type.Integer({ minimum: 0, default: 5000, description: 'Longest a change waits for quiet: under a steady stream of changes the folder is re-synced at least this often' }),
  KEFU_HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address the chat service listens on' }),
  KEFU_PORT: PositiveInteger(3000, 'Port the chat service listens on', 65535),
  KEFU_LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), { default: 'info', description: 'Log level' }),
  KEFU_CORS_ORIGINS: Type.String({ default: '', description: 'Comma-separated origins allowed to call the API from a browser ("*" for any)' }),
  KEFU_RATE_LIMIT_PER_MINUTE: PositiveInteger(120, 'Requests per minute per client'),
  KEFU_MAX_QUESTION_CHARS: PositiveInteger(2000, 'Longest question accepted over HTTP', 100_000),
  KEFU_BODY_LIMIT_BYTES: PositiveInteger(64 * 1024, 'Largest request body accepted'),
  KEFU_RETRIEVAL_TOP_K: PositiveInteger(8, 'Passages retrieved per question', 100),
  KEFU_FUSION: Type.Union([Type.Literal('adaptive'), Type.Literal('weighted'), Type.Literal('rrf')], { default: 'adaptive', description: 'How keyword and vector results are fused' }),
  KEFU_VECTOR_WEIGHT: UnitInterval(0.35, 'Weight of the vector side in weighted fusion (keyword side gets the rest)'),
  KEFU_FAQ_THRESHOLD: UnitInterval(0.8, 'Similarity above which an FAQ answer is returned verbatim'),
  KEFU_ANSWER_THRESHOLD: Type.Number({ minimum: 0, maximum: 1, default: 0.25, description: 'Confidence below which kefu says it could not find the answer (calibrated: see eval/README.md)' }),
  KEFU_MAX_ANSWER_SENTENCES: PositiveInteger(4, 'Longest extractive answer in sentences', 20),
  KEFU_LLM_PROVIDER: Type.Union([Type.Literal('none'), Type.Literal('ollama'), Type.Literal('openai')], { default: 'none', description: 'Optional language model: none, ollama, or openai (any OpenAI-compatible endpoint)' }),
  KEFU_LLM_BASE_URL: Type.String({ default: '', description: 'LLM endpoint, e.g. http://localhost:11434 (Ollama) or http://host/v1' }),
  KEFU_LLM_MODEL: Type.String({ default: '', description: 'LLM model name' }),
  KEFU_LLM_API_KEY: Type.String({ default: '', description: 'LLM API key, when the endpoint needs one' }),
  KEFU_LLM_TIMEOUT_MS: PositiveInteger(15_000, 'Give up on the LLM after this long and answer extractively'),
});

type Settings = Static<typeof settingsSchema>;

export interface Config {
  readonly dataDir: string;
  readonly inboxDir: string;
  readonly indexDir: string;
  readonly databasePath: string;
  readonly embedding: {
    readonly model: string;
    readonly dtype: 'fp32' | 'q8';
    readonly batchSize: number;
    readonly bundledModelDir: string;
    readonly cacheDir: string;
    readonly offline: boolean;
  };
  readonly ingest: {
    readonly chunkTokens: number;
    readonly chunkOverlap: number;
    readonly maxFileBytes: number;
    readonly maxUnzippedBytes: number;
    readonly maxZipRatio: number;
    readonly maxTextChars: number;
    readonly maxChunksPerFile: number;
    readonly parserMemoryMb: number;
    readonly parserTimeoutMs: number;
    readonly lockTimeoutMs: number;
    readonly watchDebounceMs: number;
    readonly watchMaxWaitMs: number;
  };
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly logLevel: string;
    readonly corsOrigins: readonly string[];
    readonly rateLimitPerMinute: number;
    readonly maxQuestionChars: number;
    readonly bodyLimitBytes: number;
  };
  readonly retrieval: {
    readonly topK: number;
    readonly fusion: 'adaptive' | 'weighted' | 'rrf';
    readonly vectorWeight: number;
  };
  readonly answer: {
    readonly faqThreshold: number;
    readonly answerThreshold: number;
    readonly maxSentences: number;
  };
  readonly llm: {
    readonly provider: 'none' | 'ollama' | 'openai';
    readonly baseUrl: string;
    readonly model: string;
    readonly apiKey: string;
    readonly timeoutMs: number;
  };
}

export interface LoadConfigOptions {
  /** Variables to read; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Folder holding an optional `.env`; defaults to the working directory. Pass `null` to skip. */
  dotenvDir?: string | null;
  /** Folder relative paths are resolved against; defaults to the working directory. */
  cwd?: string;
}

function readDotenv(dir: string): Record<string, string> {
  const file = path.join(dir, '.env');
  if (!existsSync(file)) return {};
  try {
    return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new KefuError('CONFIG_INVALID', { detail: `${file} could not be parsed`, cause: error });
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function validate(raw: Record<string, string | undefined>): Settings {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(settingsSchema.properties)) {
    const value = raw[key];
    // An empty variable means "not set": `KEFU_PORT=` should not fail, it should default.
    if (value !== undefined && value.trim() !== '') picked[key] = value.trim();
  }
  const withDefaults = Value.Default(settingsSchema, picked);
  const converted = Value.Convert(settingsSchema, withDefaults);
  if (Value.Check(settingsSchema, converted)) return converted;
  const [first] = Value.Errors(settingsSchema, converted);
  const variable = first?.instancePath.replace(/^\//, '') || 'unknown';
  const given = raw[variable];
  const schema = (settingsSchema.properties as Record<string, { description?: string; anyOf?: Array<{ const?: unknown }> }>)[variable];
  // For a choice, name the choices rather than the validator's "must be equal to constant".
  const choices = schema?.anyOf?.map((option) => option.const).filter((value) => value !== undefined);
  const problem = choices && choices.length > 0 ? `must be one of: ${choices.join(', ')}` : (first?.message ?? 'is invalid');
  throw new KefuError('CONFIG_INVALID', {
    detail: `${variable}=${JSON.stringify(given ?? '')} ${problem}`,
    hint: `Set ${variable} to a valid value (${schema?.description ?? 'see README'}) or unset it to use the default.`,
  });
}

/** Reads, validates and freezes the configuration. Throws `CONFIG_INVALID` naming the bad variable. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const dotenv = options.dotenvDir === null ? {} : readDotenv(options.dotenvDir ?? cwd);
  const settings = validate({ ...dotenv, ...(options.env ?? process.env) });
  const dataDir = path.resolve(cwd, settings.KEFU_DATA_DIR);
  const corsOrigins = settings.KEFU_CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean);
  return deepFreeze({
    dataDir,
    inboxDir: settings.KEFU_INBOX ? path.resolve(cwd, settings.KEFU_INBOX) : path.join(dataDir, 'inbox'),
    indexDir: path.join(dataDir, 'index'),
    databasePath: path.join(dataDir, 'kefu.db'),
    embedding: {
      model: settings.KEFU_EMBEDDING_MODEL,
      dtype: settings.KEFU_EMBEDDING_DTYPE,
      batchSize: settings.KEFU_EMBEDDING_BATCH_SIZE,
      bundledModelDir: path.join(dataDir, 'models', 'bundled'),
      cacheDir: settings.KEFU_MODEL_CACHE_DIR ? path.resolve(cwd, settings.KEFU_MODEL_CACHE_DIR) : path.join(dataDir, 'models', 'hub'),
      offline: settings.KEFU_OFFLINE,
    },
    ingest: {
      chunkTokens: settings.KEFU_CHUNK_TOKENS,
      chunkOverlap: settings.KEFU_CHUNK_OVERLAP,
      maxFileBytes: Math.round(settings.KEFU_MAX_FILE_MB * 1024 * 1024),
      maxUnzippedBytes: Math.round(settings.KEFU_MAX_UNZIPPED_MB * 1024 * 1024),
      maxZipRatio: settings.KEFU_MAX_ZIP_RATIO,
      maxTextChars: settings.KEFU_MAX_TEXT_CHARS,
      maxChunksPerFile: settings.KEFU_MAX_CHUNKS_PER_FILE,
      parserMemoryMb: settings.KEFU_PARSER_MEMORY_MB,
      parserTimeoutMs: settings.KEFU_PARSER_TIMEOUT_S * 1000,
      lockTimeoutMs: settings.KEFU_LOCK_TIMEOUT_S * 1000,
      watchDebounceMs: settings.KEFU_WATCH_DEBOUNCE_MS,
      watchMaxWaitMs: settings.KEFU_WATCH_MAX_WAIT_MS,
    },
    server: {
      host: settings.KEFU_HOST,
      port: settings.KEFU_PORT,
      logLevel: settings.KEFU_LOG_LEVEL,
      corsOrigins,
      rateLimitPerMinute: settings.KEFU_RATE_LIMIT_PER_MINUTE,
      maxQuestionChars: settings.KEFU_MAX_QUESTION_CHARS,
      bodyLimitBytes: settings.KEFU_BODY_LIMIT_BYTES,
    },
    retrieval: {
      topK: settings.KEFU_RETRIEVAL_TOP_K,
      fusion: settings.KEFU_FUSION,
      vectorWeight: settings.KEFU_VECTOR_WEIGHT,
    },
    answer: {
      faqThreshold: settings.KEFU_FAQ_THRESHOLD,
      answerThreshold: settings.KEFU_ANSWER_THRESHOLD,
      maxSentences: settings.KEFU_MAX_ANSWER_SENTENCES,
    },
    llm: {
      provider: settings.KEFU_LLM_PROVIDER,
      baseUrl: settings.KEFU_LLM_BASE_URL,
      model: settings.KEFU_LLM_MODEL,
      apiKey: settings.KEFU_LLM_API_KEY,
      timeoutMs: settings.KEFU_LLM_TIMEOUT_MS,
    },
  } satisfies Config);
}

/** The settings table (name, default, description), for `kefu config` and the README. */
export function describeSettings(): Array<{ name: string; default: unknown; description: string }> {
  return Object.entries(settingsSchema.properties).map(([name, schema]) => {
    const described = schema as { default?: unknown; description?: string };
    return { name, default: described.default, description: described.description ?? '' };
  });
}
