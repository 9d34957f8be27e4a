/**
 * Where questions go. Local: the dataset's corpus is ingested with the normal pipeline into its
 * own index under `<data dir>/eval/<name>/index` (incremental, so a second run reuses it) and the
 * AnswerService answers. Remote: a running kefu server, asked over HTTP as customers ask it.
 *
 * @example
 *   const local = await prepareLocalTarget({ config, dataset, onSync: console.log });
 *   const remote = createRemoteTarget({ url: 'http://localhost:3000', token: config.server.evalToken });
 */
import path from 'node:path';
import type { Config } from '../src/config/index.ts';
import { createAnswerService } from '../src/answer/index.ts';
import type { AnswerRequest, AnswerResult } from '../src/answer/types.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { KefuError } from '../src/errors/index.ts';
import { indexLocation, openStore } from '../src/store/index.ts';
import { syncFolder, type SyncEvent, type SyncSummary } from '../ingest/sync.ts';
import { datasetCacheDir } from './datasets.ts';
import type { DatasetIssue, EvalTarget, LoadedDataset } from './types.ts';

export interface LocalTarget {
  target: EvalTarget;
  sync: SyncSummary;
  /** Files the pipeline could not ingest, as dataset issues. */
  issues: DatasetIssue[];
  close(): Promise<void>;
}

/**
 * The configuration an evaluation runs under: the user's settings (model, thresholds, fusion),
 * but its own data folder so the evaluation never touches the real index or conversations.
 */
export function evaluationConfig(config: Config, dataset: LoadedDataset, evalDir = path.join(config.dataDir, 'eval')): Config {
  const cacheDir = datasetCacheDir(evalDir, dataset);
  return Object.freeze({
    ...config,
    inboxDir: dataset.corpusDir,
    indexDir: path.join(cacheDir, 'index'),
    indexLockPath: path.join(cacheDir, 'index.lock'),
    indexStorageOptions: {},
    databasePath: path.join(cacheDir, 'kefu.db'),
    // Never the shared PostgreSQL of a replica deployment, and always the writer of its own index.
    databaseUrl: '',
    role: 'writer',
  });
}

/** Ingests the dataset's corpus into its own index and answers with the local AnswerService. */
export async function prepareLocalTarget(options: {
  config: Config;
  dataset: LoadedDataset;
  /** Where evaluation indexes live; default `<data dir>/eval`. */
  evalDir?: string;
  onSync?: (event: SyncEvent) => void;
}): Promise<LocalTarget> {
  const config = evaluationConfig(options.config, options.dataset, options.evalDir);
  const embedder = await createEmbedder({ config: options.config, logger: { warn: () => {} } });
  const store = await openStore(indexLocation(config));
  try {
    const sync = await syncFolder({ config, store, embedder, root: options.dataset.corpusDir, ...(options.onSync ? { onProgress: options.onSync } : {}) });
    const service = createAnswerService({ config, store, embedder });
    const issues: DatasetIssue[] = sync.failed.map((failed) => ({ kind: 'parse', file: failed.path, message: `not ingested: ${failed.code} ${failed.reason}` }));
    return {
      target: { description: `local index ${config.indexDir}`, ask: (request) => service.answer(request) },
      sync,
      issues,
      close: async () => {
        await store.close();
        await embedder.dispose();
      },
    };
  } catch (error) {
    await store.close();
    await embedder.dispose();
    throw error;
  }
}

/** The route a running server answers evaluation requests on (nothing is stored; see eval/README.md). */
export const EVAL_ROUTE = '/api/eval/ask';

export interface RemoteTargetOptions {
  url: string;
  /** Bearer token: the server's KEFU_EVAL_TOKEN. */
  token: string;
  timeoutMs?: number;
  /** Attempts per question when the server says 429 or 503 (default 6). */
  attempts?: number;
  /** Longest wait between attempts, in milliseconds (default 30 s). */
  maxWaitMs?: number;
  fetchImplementation?: typeof fetch;
  /** How to wait (tests pass a fast clock). */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** An error of the evaluated server; `fatal` stops the run (every later question would fail the same way). */
export class EvalServerError extends KefuError {
  readonly fatal: boolean;
  /** The server's HTTP status, when it answered. */
  readonly httpStatus: number | undefined;
  constructor(options: { detail: string; fatal: boolean; status?: number; hint?: string; cause?: unknown }) {
    super('EVAL_SERVER', { detail: options.detail, ...(options.hint ? { hint: options.hint } : {}), ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.fatal = options.fatal;
    this.httpStatus = options.status;
  }
}

/** Seconds or an HTTP date in Retry-After, as milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isAnswerResult(body: unknown): body is AnswerResult {
  const value = body as Partial<AnswerResult> | null;
  return Boolean(value && typeof value === 'object' && typeof value.answer === 'string' && typeof value.outcome === 'string' && Array.isArray(value.retrieved));
}

/**
 * Asks a running kefu server: `POST <url>/api/eval/ask` with `Authorization: Bearer <token>` and the
 * AnswerRequest as JSON; the reply is the full AnswerResult. 429 and 503 are retried with back-off
 * (honouring Retry-After); 401, 403 and 404 stop the run (wrong token, or the route is off because
 * the server has no KEFU_EVAL_TOKEN); any other HTTP error or a reply that is not an AnswerResult
 * fails that question.
 */
export function createRemoteTarget(options: RemoteTargetOptions): EvalTarget {
  const base = options.url.replace(/\/+$/, '');
  const endpoint = `${base}${EVAL_ROUTE}`;
  const send = options.fetchImplementation ?? fetch;
  const attempts = options.attempts ?? 6;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  return {
    description: `server ${base}`,
    async ask(request: AnswerRequest): Promise<AnswerResult> {
      for (let attempt = 1; ; attempt++) {
        const started = performance.now();
        let response: Response;
        try {
          response = await send(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${options.token}` },
            body: JSON.stringify(request),
            signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
          });
        } catch (error) {
          throw new EvalServerError({ detail: `could not reach ${endpoint}`, fatal: true, hint: 'Check --url and that `kefu serve` is running there.', cause: error });
        }
        const body: unknown = await response.json().catch(() => undefined);
        if (response.ok) {
          if (!isAnswerResult(body)) throw new EvalServerError({ detail: `${endpoint} answered HTTP ${response.status} without an AnswerResult`, fatal: false, status: response.status });
          // The server's own timings leave out the network; keep them, and fill total with the round trip if absent.
          const timings = body.timings ?? { retrievalMs: 0, compositionMs: 0, totalMs: performance.now() - started };
          return { ...body, retrieved: body.retrieved ?? [], citations: body.citations ?? [], timings };
        }
        const reported = body as { code?: unknown; message?: unknown } | undefined;
        const said = typeof reported?.message === 'string' ? `: ${typeof reported.code === 'string' ? `${reported.code} ` : ''}${reported.message}` : '';
        if ((response.status === 429 || response.status === 503) && attempt < attempts) {
          const wait = Math.min(maxWaitMs, retryAfterMs(response.headers.get('retry-after')) ?? 500 * 2 ** (attempt - 1));
          await sleep(wait);
          continue;
        }
        if (response.status === 401 || response.status === 403) {
          throw new EvalServerError({ detail: `${endpoint} refused the token (HTTP ${response.status}${said})`, fatal: true, status: response.status, hint: 'Pass the server\'s KEFU_EVAL_TOKEN with --token or set KEFU_EVAL_TOKEN.' });
        }
        if (response.status === 404) {
          throw new EvalServerError({ detail: `${endpoint} not found (HTTP 404${said})`, fatal: true, status: 404, hint: 'The evaluation route is off unless the server is started with KEFU_EVAL_TOKEN set; check --url too.' });
        }
        const retried = response.status === 429 || response.status === 503 ? ` after ${attempts} attempts` : '';
        throw new EvalServerError({ detail: `${endpoint} answered HTTP ${response.status}${retried}${said}`, fatal: response.status === 429 || response.status === 503, status: response.status });
      }
    },
  };
}
