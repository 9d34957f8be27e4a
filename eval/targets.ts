/**
 * Where questions go. Local: the dataset's corpus is ingested with the normal pipeline into its
 * own index under `<data dir>/eval/<name>/index` (incremental, so a second run reuses it) and the
 * AnswerService answers. Remote: a running kefu server, asked over HTTP as customers ask it.
 *
 * @example
 *   const local = await prepareLocalTarget({ config, dataset, onSync: console.log });
 *   const remote = createRemoteTarget({ url: 'http://localhost:3000' });
 */
import path from 'node:path';
import type { Config } from '../src/config/index.ts';
import { createAnswerService } from '../src/answer/index.ts';
import type { AnswerRequest, AnswerResult } from '../src/answer/types.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { KefuError } from '../src/errors/index.ts';
import { openStore } from '../src/store/index.ts';
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
    databasePath: path.join(cacheDir, 'kefu.db'),
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
  const store = await openStore({ directory: config.indexDir });
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

/** Asks a running kefu server: POST `<url>/api/chat` with the evaluation fields; the response is an AnswerResult. */
export function createRemoteTarget(options: { url: string; timeoutMs?: number; fetchImplementation?: typeof fetch }): EvalTarget {
  const base = options.url.replace(/\/+$/, '');
  const send = options.fetchImplementation ?? fetch;
  return {
    description: `server ${base}`,
    async ask(request: AnswerRequest): Promise<AnswerResult> {
      const started = performance.now();
      let response: Response;
      try {
        response = await send(`${base}/api/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
        });
      } catch (error) {
        throw new KefuError('DATASET_INVALID', { detail: `could not reach ${base}/api/chat`, hint: 'Check --url and that `kefu serve` is running there.', cause: error });
      }
      const body = (await response.json().catch(() => undefined)) as (AnswerResult & { code?: string; message?: string }) | undefined;
      if (!response.ok || !body) {
        const error = new Error(body?.message ?? `HTTP ${response.status}`) as Error & { code: string };
        error.code = body?.code ?? `HTTP_${response.status}`;
        throw error;
      }
      // The server's own timings leave out the network; keep them, and fill total with the round trip if absent.
      const timings = body.timings ?? { retrievalMs: 0, compositionMs: 0, totalMs: performance.now() - started };
      return { ...body, retrieved: body.retrieved ?? [], citations: body.citations ?? [], timings };
    },
  };
}
