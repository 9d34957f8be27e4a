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
import { isIP } from 'node:net';
import path from 'node:path';
import { parseEnv } from 'node:util';
import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { KefuError } from '../errors/index.ts';
import { checkTimeZone, parseBusinessHours, type OpenRange } from './business-hours.ts';

export type { OpenRange } from './business-hours.ts';

const PositiveInteger = (defaultValue: number, description: string, maximum = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ minimum: 1, maximum, default: defaultValue, description });
const UnitInterval = (defaultValue: number, description: string) =>
  Type.Number({ minimum: 0, maximum: 1, default: defaultValue, description });

/** Every setting kefu reads, with its default and meaning. `kefu config` prints this table. */
export const settingsSchema = Type.Object({
  KEFU_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Where the index, models and records live' }),
  KEFU_DATABASE_URL: Type.String({ default: '', description: 'Records in PostgreSQL (postgres://user:password@host:port/database), shared by several replicas; empty = the SQLite file <data dir>/kefu.db' }),
  KEFU_DATABASE_START_TIMEOUT_S: Type.Integer({ minimum: 0, default: 60, description: 'At start, how long kefu retries (with back-off) a PostgreSQL server it cannot reach before giving up' }),
  KEFU_ROLE: Type.Union([Type.Literal('writer'), Type.Literal('reader')], { default: 'writer', description: 'writer: this process indexes the ingest folder (one per index); reader: a replica that only answers from the shared index and never writes it (needs KEFU_DATABASE_URL)' }),
  KEFU_INDEX_REFRESH_MS: Type.Integer({ minimum: 0, default: 2000, description: 'A reader checks for a new index version this often (0 = before every query)' }),
  KEFU_INDEX_URI: Type.String({ default: '', description: 'Where the index lives: a folder, or an object-storage URI LanceDB reads (s3://bucket/path, gs://…, az://…); default <data dir>/index. See docs/scale-out.md' }),
  KEFU_INDEX_STORAGE_OPTIONS: Type.String({ default: '', description: 'LanceDB storage options for KEFU_INDEX_URI as a JSON object of strings, e.g. {"aws_endpoint":"http://rgw:7480","aws_region":"us-east-1","allow_http":"true"} (credentials better in the standard AWS_* variables)' }),
  KEFU_INBOX: Type.String({ default: '', description: 'Folder of documents to ingest and watch (default: <data dir>/inbox)' }),
  KEFU_EMBEDDING_MODEL: Type.String({ minLength: 1, default: 'bundled', description: '"bundled", a Hugging Face model id, or a local model folder' }),
  KEFU_EMBEDDING_DTYPE: Type.Union([Type.Literal('fp32'), Type.Literal('q8')], { default: 'fp32', description: 'Embedding weights: fp32, or q8 (int8, faster)' }),
  KEFU_EMBEDDING_LANGUAGES: Type.String({ default: '', description: 'Languages the embedding model understands: "all", or a comma list of en, zh, other (default: en for the bundled model, else from the model name, else all)' }),
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
  KEFU_RATE_LIMIT_PER_MINUTE: PositiveInteger(120, 'API requests (/api/*) per minute per client; page assets, /api/health and /metrics are not counted'),
  KEFU_TRUST_PROXY: Type.String({ default: '', description: 'Behind a reverse proxy: "true" (trust X-Forwarded-For from any hop), a hop count, or comma-separated proxy addresses/CIDRs; empty = no proxy (the client is the socket address)' }),
  KEFU_EVAL_TOKEN: Type.String({ default: '', description: 'Enables POST /api/eval/ask for `kefu eval --url` with Authorization: Bearer <token>; empty = the route does not exist' }),
  KEFU_EVAL_RATE_LIMIT_PER_MINUTE: PositiveInteger(6000, 'Requests per minute per client to /api/eval/ask'),
  KEFU_HEADERS_TIMEOUT_MS: PositiveInteger(10_000, 'A client must send the request headers within this time'),
  KEFU_REQUEST_TIMEOUT_MS: PositiveInteger(30_000, 'A client must send the whole request (headers and body) within this time'),
  KEFU_KEEP_ALIVE_TIMEOUT_MS: PositiveInteger(5_000, 'An idle keep-alive connection is closed after this time'),
  KEFU_IDLE_TIMEOUT_MS: PositiveInteger(120_000, 'A connection on which nothing moves either way (no request bytes, no answer bytes) is closed after this time'),
  KEFU_MAX_QUESTION_CHARS: PositiveInteger(2000, 'Longest question accepted over HTTP', 100_000),
  KEFU_BODY_LIMIT_BYTES: PositiveInteger(64 * 1024, 'Largest request body accepted'),
  KEFU_RETRIEVAL_TOP_K: PositiveInteger(8, 'Passages retrieved per question', 100),
  KEFU_FUSION: Type.Union([Type.Literal('adaptive'), Type.Literal('weighted'), Type.Literal('rrf')], { default: 'adaptive', description: 'How keyword and vector results are fused' }),
  KEFU_VECTOR_WEIGHT: UnitInterval(0.35, 'Weight of the vector side in weighted fusion (keyword side gets the rest)'),
  KEFU_QUERY_CACHE_SIZE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 2000, description: 'Question vectors kept in memory (least recently used go first; about 2 KB each); 0 = embed every question' }),
  KEFU_FAQ_GATE_MODEL: Type.String({ default: '', description: 'A retrained FAQ fast-path model file; default: the shipped model' }),
  KEFU_FAQ_VERBATIM_AT: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Probability of the right FAQ entry at which its answer is returned verbatim (default: the model\'s, chosen for precision >= .97)' })),
  KEFU_ANSWER_THRESHOLD: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Answerability probability below which kefu says it could not find the answer (default: the one the answerability model was trained with; see eval/README.md)' })),
  KEFU_ANSWERABILITY_MODEL: Type.String({ default: '', description: 'A retrained answerability model file (`kefu eval --train-answerability` writes one); default: the shipped model' }),
  KEFU_MAX_ANSWER_SENTENCES: PositiveInteger(4, 'Longest extractive answer in sentences', 20),
  KEFU_LLM_PROVIDER: Type.Union([Type.Literal('none'), Type.Literal('ollama'), Type.Literal('openai')], { default: 'none', description: 'Optional language model: none, ollama, or openai (any OpenAI-compatible endpoint)' }),
  KEFU_LLM_BASE_URL: Type.String({ default: '', description: 'LLM endpoint, e.g. http://localhost:11434 (Ollama) or http://host/v1' }),
  KEFU_LLM_MODEL: Type.String({ default: '', description: 'LLM model name' }),
  KEFU_LLM_API_KEY: Type.String({ default: '', description: 'LLM API key, when the endpoint needs one' }),
  KEFU_LLM_TIMEOUT_MS: PositiveInteger(15_000, 'Give up on the LLM after this long and answer extractively'),
  KEFU_HANDOVER_AFTER_REFUSALS: Type.Integer({ minimum: 0, maximum: 100, default: 2, description: 'Hand the conversation to people after this many refused answers in a row (0 = never)' }),
  KEFU_BUSINESS_HOURS: Type.String({ default: '', description: 'When people answer, e.g. "mon-fri 09:00-18:00; sat 10:00-14:00" (in KEFU_TIME_ZONE); empty = always. Outside them customers are told when people are back and may leave an email or phone' }),
  KEFU_TIME_ZONE: Type.String({ default: '', description: 'Time zone of the business hours, e.g. Asia/Shanghai (default: this machine\'s)' }),
  KEFU_FIRST_RESPONSE_TARGET_MINUTES: PositiveInteger(5, 'First-response target for handed-over conversations: the queue turns amber at half of it and red past it', 10_080),
  KEFU_MAX_AGENT_MESSAGE_CHARS: PositiveInteger(10_000, 'Longest agent reply or note', 100_000),
  KEFU_SESSION_HOURS: PositiveInteger(12, 'How long a sign-in to the agent workspace lasts', 24 * 90),
  KEFU_SIGN_IN_MAX_FAILURES: PositiveInteger(5, 'Failed sign-ins for one name before it is locked'),
  KEFU_SIGN_IN_LOCKOUT_MINUTES: PositiveInteger(15, 'How long a name stays locked after too many failed sign-ins'),
  KEFU_WEBHOOK_URLS: Type.String({ default: '', description: 'Comma-separated http(s) URLs that receive ticket.created, ticket.assigned, message.created and ticket.resolved (signed with KEFU_WEBHOOK_SECRET)' }),
  KEFU_WEBHOOK_SECRET: Type.String({ default: '', description: 'Shared secret for the X-Kefu-Signature HMAC-SHA256 header (at least 16 characters; required with KEFU_WEBHOOK_URLS)' }),
  KEFU_WEBHOOK_TIMEOUT_MS: PositiveInteger(5_000, 'A webhook receiver must answer within this time'),
  KEFU_WEBHOOK_MAX_ATTEMPTS: PositiveInteger(8, 'Attempts per webhook delivery before it is marked failed', 50),
  KEFU_WEBHOOK_RETRY_MS: PositiveInteger(2_000, 'Wait before the first webhook retry; doubled for each further attempt (at most an hour)'),
  KEFU_CHANNEL_IDLE_HOURS: PositiveInteger(24, 'A channel user\'s conversation with kefu that has been quiet this long ends: their next message starts a new one (so does a message after an agent resolved it)', 24 * 90),
  KEFU_CHANNEL_RATE_LIMIT_PER_MINUTE: PositiveInteger(6000, 'Requests per minute per client to the channel API (/api/channels/*): one backend speaks for many customers'),
  KEFU_WECHAT_TOKEN: Type.String({ default: '', description: 'The Token of the WeChat Official Account\'s server configuration (enables GET/POST /wechat); empty = no WeChat endpoint' }),
  KEFU_WECHAT_APP_ID: Type.String({ default: '', description: 'The Official Account\'s AppID (for the customer-service message API: agent replies and slow answers)' }),
  KEFU_WECHAT_APP_SECRET: Type.String({ default: '', description: 'The Official Account\'s AppSecret (never logged)' }),
  KEFU_WECHAT_API_BASE_URL: Type.String({ default: 'https://api.weixin.qq.com', description: 'Base URL of the WeChat API (tests point it at a simulated server)' }),
  KEFU_WECHAT_REPLY_DEADLINE_MS: Type.Integer({ minimum: 1, maximum: 4_800, default: 4_000, description: 'Answer a WeChat message within this time as its passive reply; a slower answer is sent through the customer-service message API instead (WeChat waits 5 s)' }),
  KEFU_WECHAT_WELCOME: Type.String({ default: '', description: 'What a new follower is told (default: a short welcome in Chinese and English)' }),
  KEFU_LIVE_HEARTBEAT_MS: PositiveInteger(15_000, 'Live update streams (SSE) send a heartbeat this often, so proxies and idle timeouts keep them open', 600_000),
  KEFU_MAX_LIVE_STREAMS: PositiveInteger(10_000, 'Live update streams (SSE) open at once, customers and agents together'),
  KEFU_EVAL_DATASET: Type.String({ default: '', description: 'The knowledge base\'s own evaluation dataset (a folder or .jsonl, see eval/README.md): the owner console checks changes against it before publishing, and the KPI report shows its latest run as answer accuracy' }),
  KEFU_GAPS_LOW_CONFIDENCE: UnitInterval(0.5, 'Answers below this confidence are knowledge gaps (with refusals, thumbs-down and hand-overs); 0.5 = kefu thought the answer more likely wrong than right'),
  KEFU_GAPS_WINDOW_DAYS: PositiveInteger(90, 'How many days back the owner console looks for knowledge gaps', 3650),
  KEFU_RESOLUTION_WINDOW_HOURS: PositiveInteger(24, 'A conversation kefu answered counts as resolved (assumed) when the customer asks nothing more, asks for no person and gives no thumbs-down for this long', 24 * 30),
  KEFU_COST_HUMAN_CONVERSATION: Type.Number({ minimum: 0, default: 5, description: 'What one conversation handled by people costs you, for "cost saved" (a placeholder: set your own, in your currency)' }),
  KEFU_COST_BOT_CONVERSATION: Type.Number({ minimum: 0, default: 0.5, description: 'What one conversation answered by kefu costs you (machine, maintenance), for "cost saved" (a placeholder: set your own)' }),
  KEFU_COST_CURRENCY: Type.String({ default: '', description: 'Currency shown with "cost saved", e.g. CNY or EUR' }),
  KEFU_ACTIONS_FILE: Type.String({ default: '', description: 'Business actions (order status from your order system…): a YAML file, read at start (default: <data dir>/actions.yaml; none there = no actions). README "Business actions"' }),
  KEFU_ACTION_TIMEOUT_MS: PositiveInteger(5_000, 'An action\'s HTTP request must answer within this time (an action may set a shorter or longer `timeoutMs`)', 120_000),
  KEFU_ACTION_MAX_RESPONSE_KB: PositiveInteger(1024, 'Largest action response read (counted while streaming); a bigger one is a failure: apology and hand-over', 100 * 1024),
});

type Settings = Static<typeof settingsSchema>;

export interface Config {
  readonly dataDir: string;
  readonly inboxDir: string;
  /** The index: a folder, or an object-storage URI (KEFU_INDEX_URI). */
  readonly indexDir: string;
  /** LanceDB storage options for an object-storage index (KEFU_INDEX_STORAGE_OPTIONS). */
  readonly indexStorageOptions: Readonly<Record<string, string>>;
  /** The writer lock beside the index; always on local disk (an object store has no such lock). */
  readonly indexLockPath: string;
  readonly databasePath: string;
  /** KEFU_DATABASE_URL: '' for the SQLite file at `databasePath`. */
  readonly databaseUrl: string;
  readonly databaseStartupRetryMs: number;
  /** One writer per index; readers answer from it and never write it. */
  readonly role: 'writer' | 'reader';
  readonly indexRefreshMs: number;
  readonly embedding: {
    readonly model: string;
    readonly dtype: 'fp32' | 'q8';
    readonly batchSize: number;
    /** Configured languages of the model (empty: decided by the embedder). */
    readonly languages: readonly string[];
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
    /** Fastify's trustProxy: false, true, a hop count, or proxy addresses/CIDRs. */
    readonly trustProxy: boolean | number | readonly string[];
    /** '' when POST /api/eval/ask is off. */
    readonly evalToken: string;
    readonly evalRateLimitPerMinute: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly idleTimeoutMs: number;
  };
  readonly retrieval: {
    readonly topK: number;
    readonly fusion: 'adaptive' | 'weighted' | 'rrf';
    readonly vectorWeight: number;
    /** Query vectors kept in the LRU cache (0 = off). */
    readonly queryCacheSize: number;
  };
  readonly answer: {
    readonly faqGateModel: string;
    readonly faqVerbatimAt: number | undefined;
    /** Overrides the answerability model's own threshold when set. */
    readonly answerThreshold: number | undefined;
    /** An owner-trained answerability model file; '' for the shipped one. */
    readonly answerabilityModel: string;
    readonly maxSentences: number;
  };
  readonly handover: {
    /** 0 = never hand over for refusals. */
    readonly afterRefusals: number;
    /** Empty = always open. */
    readonly businessHours: readonly OpenRange[];
    /** KEFU_BUSINESS_HOURS as written (shown to admins). */
    readonly businessHoursText: string;
    readonly timeZone: string;
    readonly firstResponseTargetMinutes: number;
    readonly maxAgentMessageChars: number;
  };
  readonly accounts: {
    readonly sessionHours: number;
    readonly signInMaxFailures: number;
    readonly signInLockoutMinutes: number;
  };
  readonly webhooks: {
    /** Empty = no webhooks. */
    readonly urls: readonly string[];
    readonly secret: string;
    readonly timeoutMs: number;
    readonly maxAttempts: number;
    readonly retryMs: number;
  };
  /** Channels: the channel API and the WeChat Official Account endpoint (src/channels). */
  readonly channels: {
    readonly idleMs: number;
    readonly rateLimitPerMinute: number;
    /** Undefined when KEFU_WECHAT_TOKEN is empty (no WeChat endpoint). */
    readonly wechat?: {
      readonly token: string;
      readonly appId: string;
      readonly appSecret: string;
      readonly apiBaseUrl: string;
      readonly replyDeadlineMs: number;
      readonly welcome: string;
    };
  };
  readonly live: {
    readonly heartbeatMs: number;
    readonly maxStreams: number;
  };
  /** The owner console: knowledge gaps, the KPI report, checks before publishing. */
  readonly owner: {
    /** '' when there is no evaluation dataset of the knowledge base. */
    readonly evalDataset: string;
    readonly gapsLowConfidence: number;
    readonly gapsWindowDays: number;
    readonly resolutionWindowHours: number;
    readonly humanConversationCost: number;
    readonly botConversationCost: number;
    readonly currency: string;
  };
  /** Business actions (src/actions): where they are declared, request limits, and the secrets they name. */
  readonly actions: {
    readonly file: string;
    /** True when KEFU_ACTIONS_FILE was set (then the file must exist). */
    readonly fileConfigured: boolean;
    readonly timeoutMs: number;
    readonly maxResponseBytes: number;
    /**
     * The value of an environment variable (or .env entry) an actions file names for a secret (an API token);
     * undefined when unset or empty. Only variables an actions file names are ever read through it.
     */
    readonly secret: (name: string) => string | undefined;
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

/** KEFU_TRUST_PROXY → Fastify's trustProxy. Throws CONFIG_INVALID for a value that is none of the accepted forms. */
function parseTrustProxy(value: string): boolean | number | string[] {
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.find((entry) => !isAddressOrRange(entry));
  if (bad !== undefined) {
    throw new KefuError('CONFIG_INVALID', {
      detail: `KEFU_TRUST_PROXY=${JSON.stringify(value)}: "${bad}" is not an IP address or CIDR range`,
      hint: 'Set KEFU_TRUST_PROXY to true, a number of proxy hops, or the proxy addresses (e.g. 127.0.0.1,10.0.0.0/8); leave it empty when there is no proxy.',
    });
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
  return prefix >= 0 && prefix <= (family === 4 ? 32 : 128);
}

/** The WeChat endpoint's settings, when KEFU_WECHAT_TOKEN is set; a token WeChat would refuse, or a bad base URL, stops kefu at start. */
function parseWechat(settings: Settings): { wechat?: Config['channels']['wechat'] } {
  const token = settings.KEFU_WECHAT_TOKEN.trim();
  if (!token) return {};
  // The Official Account console takes 3 to 32 letters and digits.
  if (!/^[A-Za-z0-9]{3,32}$/.test(token)) {
    throw new KefuError('CONFIG_INVALID', { detail: 'KEFU_WECHAT_TOKEN must be 3 to 32 letters and digits', hint: 'Use the same Token as in the Official Account\'s server configuration (基本配置 → 服务器配置).' });
  }
  let base: URL | undefined;
  try {
    base = new URL(settings.KEFU_WECHAT_API_BASE_URL);
  } catch {
    base = undefined;
  }
  if (!base || (base.protocol !== 'https:' && base.protocol !== 'http:')) {
    throw new KefuError('CONFIG_INVALID', { detail: `KEFU_WECHAT_API_BASE_URL: "${settings.KEFU_WECHAT_API_BASE_URL}" is not an http(s) URL` });
  }
  if (Boolean(settings.KEFU_WECHAT_APP_ID) !== Boolean(settings.KEFU_WECHAT_APP_SECRET)) {
    throw new KefuError('CONFIG_INVALID', { detail: 'KEFU_WECHAT_APP_ID and KEFU_WECHAT_APP_SECRET go together', hint: 'Set both (from the Official Account\'s 基本配置 page), or neither (then agent replies and slow answers cannot reach WeChat users).' });
  }
  return {
    wechat: {
      token,
      appId: settings.KEFU_WECHAT_APP_ID,
      appSecret: settings.KEFU_WECHAT_APP_SECRET,
      apiBaseUrl: base.toString().replace(/\/+$/, ''),
      replyDeadlineMs: settings.KEFU_WECHAT_REPLY_DEADLINE_MS,
      welcome: settings.KEFU_WECHAT_WELCOME,
    },
  };
}

/** KEFU_WEBHOOK_URLS → http(s) URLs, and a secret to sign with whenever there is one. */
function parseWebhooks(urls: string, secret: string): string[] {
  const list = urls.split(',').map((url) => url.trim()).filter(Boolean);
  for (const url of list) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new KefuError('CONFIG_INVALID', { detail: `KEFU_WEBHOOK_URLS: "${url}" is not an http(s) URL`, hint: 'List full URLs such as https://hooks.example.com/kefu, separated by commas.' });
    }
  }
  if (list.length > 0 && secret.length < 16) {
    throw new KefuError('CONFIG_INVALID', {
      detail: 'KEFU_WEBHOOK_SECRET must be set (at least 16 characters) when KEFU_WEBHOOK_URLS is',
      hint: 'Set KEFU_WEBHOOK_SECRET to a long random string (e.g. `openssl rand -hex 32`); receivers check the X-Kefu-Signature header with it.',
    });
  }
  return list;
}

/** True for `scheme://…` (s3, gs, az, file), as opposed to a folder path. */
function isUri(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/** KEFU_INDEX_STORAGE_OPTIONS: a JSON object of strings (LanceDB's storage options), or nothing. */
function parseStorageOptions(value: string): Record<string, string> {
  if (!value.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new KefuError('CONFIG_INVALID', { detail: 'KEFU_INDEX_STORAGE_OPTIONS is not valid JSON', cause: error, hint: 'Write a JSON object of strings, e.g. {"aws_endpoint":"http://rgw:7480","aws_region":"us-east-1"}.' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((option) => typeof option !== 'string')) {
    throw new KefuError('CONFIG_INVALID', { detail: 'KEFU_INDEX_STORAGE_OPTIONS must be a JSON object whose values are strings', hint: 'Quote every value, e.g. {"allow_http":"true"}.' });
  }
  return parsed as Record<string, string>;
}

/** KEFU_DATABASE_URL: a postgres:// URL or nothing; a reader replica needs one (its records and live events are shared). */
function parseDatabaseUrl(url: string, role: 'writer' | 'reader'): string {
  const value = url.trim();
  if (value && !/^postgres(ql)?:\/\//.test(value)) {
    throw new KefuError('CONFIG_INVALID', { detail: 'KEFU_DATABASE_URL must start with postgres:// (or be empty for SQLite)', hint: 'Write it as postgres://user:password@host:5432/database.' });
  }
  if (!value && role === 'reader') {
    throw new KefuError('CONFIG_INVALID', {
      detail: 'KEFU_ROLE=reader needs KEFU_DATABASE_URL',
      hint: 'Replicas share their records and live events through PostgreSQL: set KEFU_DATABASE_URL=postgres://… on every replica, or drop KEFU_ROLE for a single kefu on SQLite.',
    });
  }
  return value;
}

/** Reads, validates and freezes the configuration. Throws `CONFIG_INVALID` naming the bad variable. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const dotenv = options.dotenvDir === null ? {} : readDotenv(options.dotenvDir ?? cwd);
  const raw = { ...dotenv, ...(options.env ?? process.env) };
  const settings = validate(raw);
  const dataDir = path.resolve(cwd, settings.KEFU_DATA_DIR);
  const corsOrigins = settings.KEFU_CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean);
  return deepFreeze({
    dataDir,
    inboxDir: settings.KEFU_INBOX ? path.resolve(cwd, settings.KEFU_INBOX) : path.join(dataDir, 'inbox'),
    indexDir: settings.KEFU_INDEX_URI ? (isUri(settings.KEFU_INDEX_URI) ? settings.KEFU_INDEX_URI : path.resolve(cwd, settings.KEFU_INDEX_URI)) : path.join(dataDir, 'index'),
    indexStorageOptions: parseStorageOptions(settings.KEFU_INDEX_STORAGE_OPTIONS),
    indexLockPath: settings.KEFU_INDEX_URI && !isUri(settings.KEFU_INDEX_URI) ? `${path.resolve(cwd, settings.KEFU_INDEX_URI)}.lock` : path.join(dataDir, 'index.lock'),
    databasePath: path.join(dataDir, 'kefu.db'),
    databaseUrl: parseDatabaseUrl(settings.KEFU_DATABASE_URL, settings.KEFU_ROLE),
    databaseStartupRetryMs: settings.KEFU_DATABASE_START_TIMEOUT_S * 1000,
    role: settings.KEFU_ROLE,
    indexRefreshMs: settings.KEFU_INDEX_REFRESH_MS,
    embedding: {
      model: settings.KEFU_EMBEDDING_MODEL,
      dtype: settings.KEFU_EMBEDDING_DTYPE,
      batchSize: settings.KEFU_EMBEDDING_BATCH_SIZE,
      languages: settings.KEFU_EMBEDDING_LANGUAGES.split(',').map((language) => language.trim().toLowerCase()).filter(Boolean),
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
      trustProxy: parseTrustProxy(settings.KEFU_TRUST_PROXY),
      evalToken: settings.KEFU_EVAL_TOKEN,
      evalRateLimitPerMinute: settings.KEFU_EVAL_RATE_LIMIT_PER_MINUTE,
      headersTimeoutMs: settings.KEFU_HEADERS_TIMEOUT_MS,
      // Node requires the whole-request deadline to be at least the headers deadline.
      requestTimeoutMs: Math.max(settings.KEFU_REQUEST_TIMEOUT_MS, settings.KEFU_HEADERS_TIMEOUT_MS),
      keepAliveTimeoutMs: settings.KEFU_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: settings.KEFU_IDLE_TIMEOUT_MS,
    },
    retrieval: {
      topK: settings.KEFU_RETRIEVAL_TOP_K,
      fusion: settings.KEFU_FUSION,
      vectorWeight: settings.KEFU_VECTOR_WEIGHT,
      queryCacheSize: settings.KEFU_QUERY_CACHE_SIZE,
    },
    answer: {
      faqGateModel: settings.KEFU_FAQ_GATE_MODEL ? path.resolve(cwd, settings.KEFU_FAQ_GATE_MODEL) : '',
      faqVerbatimAt: settings.KEFU_FAQ_VERBATIM_AT,
      answerThreshold: settings.KEFU_ANSWER_THRESHOLD,
      answerabilityModel: settings.KEFU_ANSWERABILITY_MODEL ? path.resolve(cwd, settings.KEFU_ANSWERABILITY_MODEL) : '',
      maxSentences: settings.KEFU_MAX_ANSWER_SENTENCES,
    },
    handover: {
      afterRefusals: settings.KEFU_HANDOVER_AFTER_REFUSALS,
      businessHours: parseBusinessHours(settings.KEFU_BUSINESS_HOURS),
      businessHoursText: settings.KEFU_BUSINESS_HOURS,
      timeZone: checkTimeZone(settings.KEFU_TIME_ZONE || Intl.DateTimeFormat().resolvedOptions().timeZone),
      firstResponseTargetMinutes: settings.KEFU_FIRST_RESPONSE_TARGET_MINUTES,
      maxAgentMessageChars: settings.KEFU_MAX_AGENT_MESSAGE_CHARS,
    },
    accounts: {
      sessionHours: settings.KEFU_SESSION_HOURS,
      signInMaxFailures: settings.KEFU_SIGN_IN_MAX_FAILURES,
      signInLockoutMinutes: settings.KEFU_SIGN_IN_LOCKOUT_MINUTES,
    },
    webhooks: {
      urls: parseWebhooks(settings.KEFU_WEBHOOK_URLS, settings.KEFU_WEBHOOK_SECRET),
      secret: settings.KEFU_WEBHOOK_SECRET,
      timeoutMs: settings.KEFU_WEBHOOK_TIMEOUT_MS,
      maxAttempts: settings.KEFU_WEBHOOK_MAX_ATTEMPTS,
      retryMs: settings.KEFU_WEBHOOK_RETRY_MS,
    },
    channels: {
      idleMs: settings.KEFU_CHANNEL_IDLE_HOURS * 3_600_000,
      rateLimitPerMinute: settings.KEFU_CHANNEL_RATE_LIMIT_PER_MINUTE,
      ...parseWechat(settings),
    },
    live: {
      heartbeatMs: settings.KEFU_LIVE_HEARTBEAT_MS,
      maxStreams: settings.KEFU_MAX_LIVE_STREAMS,
    },
    owner: {
      evalDataset: settings.KEFU_EVAL_DATASET ? path.resolve(cwd, settings.KEFU_EVAL_DATASET) : '',
      gapsLowConfidence: settings.KEFU_GAPS_LOW_CONFIDENCE,
      gapsWindowDays: settings.KEFU_GAPS_WINDOW_DAYS,
      resolutionWindowHours: settings.KEFU_RESOLUTION_WINDOW_HOURS,
      humanConversationCost: settings.KEFU_COST_HUMAN_CONVERSATION,
      botConversationCost: settings.KEFU_COST_BOT_CONVERSATION,
      currency: settings.KEFU_COST_CURRENCY,
    },
    actions: {
      file: settings.KEFU_ACTIONS_FILE ? path.resolve(cwd, settings.KEFU_ACTIONS_FILE) : path.join(dataDir, 'actions.yaml'),
      fileConfigured: settings.KEFU_ACTIONS_FILE !== '',
      timeoutMs: settings.KEFU_ACTION_TIMEOUT_MS,
      maxResponseBytes: settings.KEFU_ACTION_MAX_RESPONSE_KB * 1024,
      secret: (name: string) => {
        const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
        return value && value.trim() !== '' ? value : undefined;
      },
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

/** Answer settings a gradual release may change for its candidate share (and that promotion keeps in force). */
export const RELEASE_SETTINGS = ['KEFU_ANSWER_THRESHOLD', 'KEFU_FAQ_VERBATIM_AT', 'KEFU_MAX_ANSWER_SENTENCES', 'KEFU_RETRIEVAL_TOP_K', 'KEFU_FUSION', 'KEFU_VECTOR_WEIGHT'] as const;
export type ReleaseSetting = (typeof RELEASE_SETTINGS)[number];

/**
 * The configuration with some answer settings changed (a release's candidate), validated by the same schema as the
 * environment. Throws CONFIG_INVALID naming a setting that is unknown, not an answer setting, or out of range.
 *
 * @example
 *   const candidate = withAnswerSettings(config, { KEFU_ANSWER_THRESHOLD: '0.3' });
 */
export function withAnswerSettings(config: Config, changes: Readonly<Record<string, string>>): Config {
  const picked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(changes)) {
    if (!(RELEASE_SETTINGS as readonly string[]).includes(name)) {
      throw new KefuError('CONFIG_INVALID', { detail: `${name} is not an answer setting a release can change`, hint: `Use one of ${RELEASE_SETTINGS.join(', ')}.` });
    }
    picked[name] = String(value).trim();
  }
  const schema = Type.Object(Object.fromEntries(Object.keys(picked).map((name) => [name, (settingsSchema.properties as Record<string, TSchema>)[name] as TSchema])));
  const converted = Value.Convert(schema, picked) as Partial<Settings>;
  if (!Value.Check(schema, converted)) {
    const [first] = Value.Errors(schema, converted);
    const variable = first?.instancePath.replace(/^\//, '') || 'a setting';
    throw new KefuError('CONFIG_INVALID', { detail: `${variable}=${JSON.stringify(changes[variable] ?? '')} ${first?.message ?? 'is invalid'}`, hint: 'Give a value the setting accepts (`npx kefu config` describes each one).' });
  }
  return deepFreeze({
    ...config,
    retrieval: {
      ...config.retrieval,
      ...(converted.KEFU_RETRIEVAL_TOP_K === undefined ? {} : { topK: converted.KEFU_RETRIEVAL_TOP_K }),
      ...(converted.KEFU_FUSION === undefined ? {} : { fusion: converted.KEFU_FUSION }),
      ...(converted.KEFU_VECTOR_WEIGHT === undefined ? {} : { vectorWeight: converted.KEFU_VECTOR_WEIGHT }),
    },
    answer: {
      ...config.answer,
      ...(converted.KEFU_ANSWER_THRESHOLD === undefined ? {} : { answerThreshold: converted.KEFU_ANSWER_THRESHOLD }),
      ...(converted.KEFU_FAQ_VERBATIM_AT === undefined ? {} : { faqVerbatimAt: converted.KEFU_FAQ_VERBATIM_AT }),
      ...(converted.KEFU_MAX_ANSWER_SENTENCES === undefined ? {} : { maxSentences: converted.KEFU_MAX_ANSWER_SENTENCES }),
    },
  } satisfies Config);
}

/** Settings whose values are secrets: never printed. */
const SECRET_SETTINGS: ReadonlySet<string> = new Set(['KEFU_LLM_API_KEY', 'KEFU_EVAL_TOKEN', 'KEFU_WEBHOOK_SECRET', 'KEFU_WECHAT_TOKEN', 'KEFU_WECHAT_APP_SECRET', 'KEFU_DATABASE_URL', 'KEFU_INDEX_STORAGE_OPTIONS']);

export interface SettingDescription {
  name: string;
  default: unknown;
  description: string;
  /** The value in force as written (from the environment or .env), '***' for a secret that is set; undefined when the default applies. */
  current: string | undefined;
  source: 'environment' | '.env' | 'default';
}

/**
 * The settings table (name, default, current value and where it came from, description), for `kefu config`
 * and the README. Secrets that are set show as '***'.
 *
 * @example
 *   describeSettings({ env: { KEFU_PORT: '8080' }, dotenvDir: null }).find((s) => s.name === 'KEFU_PORT')
 *   // { name: 'KEFU_PORT', default: 3000, current: '8080', source: 'environment', … }
 */
export function describeSettings(options: Omit<LoadConfigOptions, 'cwd'> = {}): SettingDescription[] {
  const environment = options.env ?? process.env;
  const dotenv = options.dotenvDir === null ? {} : readDotenv(options.dotenvDir ?? process.cwd());
  return Object.entries(settingsSchema.properties).map(([name, schema]) => {
    const described = schema as { default?: unknown; description?: string };
    const fromEnvironment = environment[name]?.trim() ? environment[name] : undefined;
    const fromDotenv = dotenv[name]?.trim() ? dotenv[name] : undefined;
    const value = fromEnvironment ?? fromDotenv;
    const source = fromEnvironment !== undefined ? 'environment' : fromDotenv !== undefined ? '.env' : 'default';
    const current = value === undefined ? undefined : SECRET_SETTINGS.has(name) ? '***' : value.trim();
    return { name, default: described.default, description: described.description ?? '', current, source };
  });
}

/** Edit distance between two names (insertions, deletions, substitutions, and swaps of neighbours). */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = rows[i] as number[];
      const previous = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] ?? 0, ((rows[i - 2] as number[])[j - 2] ?? 0) + 1);
    }
  }
  return (rows[a.length] as number[])[b.length] ?? 0;
}

export interface UnknownSetting {
  name: string;
  source: 'environment' | '.env';
  /** The closest setting kefu knows, when one is close enough to be a likely misspelling. */
  suggestion: string | undefined;
}

/**
 * `KEFU_*` variables that are set (in the environment or .env) but that kefu does not read: usually a
 * misspelling, which would otherwise be silently ignored.
 *
 * @example
 *   unknownSettings({ env: { KEFU_PROT: '8080' }, dotenvDir: null }) // [{ name: 'KEFU_PROT', source: 'environment', suggestion: 'KEFU_PORT' }]
 */
export function unknownSettings(options: Omit<LoadConfigOptions, 'cwd'> = {}): UnknownSetting[] {
  const environment = options.env ?? process.env;
  let dotenv: Record<string, string> = {};
  try {
    dotenv = options.dotenvDir === null ? {} : readDotenv(options.dotenvDir ?? process.cwd());
  } catch {
    // An unreadable .env is reported by loadConfig itself.
  }
  const known = Object.keys(settingsSchema.properties);
  const found = new Map<string, UnknownSetting['source']>();
  for (const name of Object.keys(dotenv)) if (name.startsWith('KEFU_')) found.set(name, '.env');
  for (const name of Object.keys(environment)) if (name.startsWith('KEFU_')) found.set(name, 'environment');
  return [...found]
    .filter(([name]) => !known.includes(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, source]) => {
      const [best] = known.map((candidate) => ({ candidate, cost: distance(name, candidate) })).sort((a, b) => a.cost - b.cost);
      // Close enough to be a typo: a few edits, fewer for short names.
      const allowed = Math.max(2, Math.floor((name.length - 'KEFU_'.length) / 3));
      return { name, source, suggestion: best && best.cost <= allowed ? best.candidate : undefined };
    });
}
