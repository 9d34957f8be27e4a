/**
 * Opens everything answering needs — config, embedding model, index, answer service — and keeps the
 * ingest folder in step first. Shared by `kefu serve`, `kefu ask` and friends (this folder is the
 * composition root, so it may join src/ and ingest/).
 */
import { cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActionRunner, loadActions, type ActionRunner } from '../src/actions/index.ts';
import { createAnswerService } from '../src/answer/index.ts';
import type { AnswerService } from '../src/answer/types.ts';
import type { Config } from '../src/config/index.ts';
import { createEmbedder, type KefuEmbedder } from '../src/embeddings/index.ts';
import { createAnswerWriter } from '../src/llm/index.ts';
import { INTENT_MODEL_FILE, openStoredIntents, type StoredIntents } from '../src/intents/stored-model.ts';
import { indexLocation, openStore, type ChunkStore } from '../src/store/index.ts';
import { syncFolder, type SyncSummary } from '../ingest/sync.ts';

/** The sample knowledge base shipped with kefu. */
export const SAMPLE_DIR = fileURLToPath(new URL('../data/sample/', import.meta.url));

export interface KnowledgeBase {
  config: Config;
  embedder: KefuEmbedder;
  store: ChunkStore;
  answerService: AnswerService;
  /** Intents (trained by sync) and business actions (actions.yaml), for other answer services (a release's candidate). */
  routing: { intents: StoredIntents; actions?: ActionRunner };
  close(): Promise<void>;
}

/** On first start (no ingest folder, or an empty one) the sample knowledge base is copied in. */
export async function seedInbox(config: Config): Promise<boolean> {
  const entries = await readdir(config.inboxDir).catch(() => undefined);
  if (entries && entries.length > 0) return false;
  await mkdir(config.inboxDir, { recursive: true });
  await cp(SAMPLE_DIR, config.inboxDir, { recursive: true, filter: (source) => path.basename(source) !== 'README.md' });
  return true;
}

/** How a reader replica opens the index: follow new versions, say why it waits or stays on an older one. */
export function readerOptions(config: Config, logger?: { warn(object: object, message: string): void }) {
  const warn = (message: string, error?: unknown) => (logger ? logger.warn(error ? { err: error } : {}, message) : console.error(message));
  return { refreshMs: config.indexRefreshMs, onWait: (message: string) => warn(message), onStale: (message: string, error: unknown) => warn(message, error) };
}

export async function openKnowledgeBase(options: {
  config: Config;
  /** Sync the ingest folder before answering (seeding it with the sample on first start). */
  sync?: boolean;
  onSynced?: (summary: SyncSummary, seeded: boolean) => void;
  logger?: { warn(object: object, message: string): void };
  /** A reader replica (KEFU_ROLE=reader): the index is opened read-only and followed every KEFU_INDEX_REFRESH_MS. */
  readOnly?: boolean;
}): Promise<KnowledgeBase> {
  const { config } = options;
  // The actions file first: a broken file or a secret it needs that is not set stops kefu here, at start, not at
  // the first customer (and before the model loads).
  const catalogue = await loadActions({ config });
  const embedder = await createEmbedder({ config, logger: { warn: (message) => console.error(message) } });
  const store = await openStore({ ...indexLocation(config), ...(options.readOnly ? { readOnly: readerOptions(config, options.logger) } : {}) });
  if (options.sync) {
    const seeded = await seedInbox(config);
    // Another kefu process writing the index (a serve indexing its folder) is waited for: say so, not a silent pause.
    const summary = await syncFolder({
      config, store, embedder, root: config.inboxDir,
      onProgress: (event) => { if (event.type === 'lock-wait') console.error(`Waiting for ${event.holder} (the index has one writer at a time)…`); },
    });
    options.onSynced?.(summary, seeded);
  }
  const writer = createAnswerWriter({ config, logger: options.logger });
  const intents = openStoredIntents({ file: path.join(config.indexDir, INTENT_MODEL_FILE), embedderModelId: embedder.modelId, ...(options.logger ? { logger: options.logger } : {}) });
  const actions = catalogue ? createActionRunner({ catalogue, secret: config.actions.secret, maxResponseBytes: config.actions.maxResponseBytes, ...(options.logger ? { logger: options.logger } : {}) }) : undefined;
  const routing = { intents, ...(actions ? { actions } : {}) };
  const answerService = createAnswerService({ config, store, embedder, writer, logger: options.logger, ...routing });
  return {
    config,
    embedder,
    store,
    answerService,
    routing,
    async close() {
      await store.close();
      await embedder.dispose();
    },
  };
}
