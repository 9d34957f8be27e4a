/**
 * The owner console's services, wired from the index, the ingest folder, the records and the evaluation harness
 * (the server's `OwnerConsole` interface; `src/` may not import `ingest/` or `eval/`, so this lives in the
 * composition root). Used by `kefu serve` and by the `kefu gaps`, `kefu report` and `kefu release` commands.
 *
 * @example
 *   const owner = createOwnerConsole({ config, records, store, embedder, answerService });
 *   const app = await buildApp({ config, answerService, records, owner, ...createDocumentServices({ config, store, isVisible: owner.isVisible }) });
 */
import path from 'node:path';
import { createAnswerService, type AnswerServiceOptions } from '../src/answer/index.ts';
import type { AnswerService } from '../src/answer/types.ts';
import { withAnswerSettings, type Config } from '../src/config/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { KefuError } from '../src/errors/index.ts';
import { formatOf } from '../src/formats/index.ts';
import { createGapService, createKnowledgeFiles, liveOfStaged, type KnowledgeFiles } from '../src/gaps/index.ts';
import { createAnswerWriter } from '../src/llm/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { openRecords } from '../src/records/index.ts';
import { createReleaseService, promotedSettings } from '../src/release/index.ts';
import { createReportService, type ReportService } from '../src/reports/index.ts';
import type { AdminDocument, OwnerConsole } from '../src/server/owner-console.ts';
import type { ChunkStore, DocumentRecord } from '../src/store/index.ts';
import { openKnowledgeBase } from './knowledge-base.ts';
import { createPublishCheck, latestAccuracy } from './publish-check.ts';

export interface OwnerConsoleParts extends OwnerConsole {
  files: KnowledgeFiles;
  /** For the document routes: whether customers may open a document. */
  isVisible(document: DocumentRecord): Promise<boolean>;
}

/**
 * The KPI report over the records, with the settings in force (resolution window, costs) and the accuracy of the
 * latest evaluation run. Needs neither the model nor the index (`kefu report`).
 *
 * @example
 *   const report = await createOwnerReports({ config, records }).report({ since: '30d' });
 */
export function createOwnerReports(options: { config: Config; records: RecordsStore }): ReportService {
  const { config, records } = options;
  return createReportService({
    records,
    timeZone: config.handover.timeZone,
    settings: {
      resolutionWindowMs: config.owner.resolutionWindowHours * 3_600_000,
      humanConversationCost: config.owner.humanConversationCost,
      botConversationCost: config.owner.botConversationCost,
      currency: config.owner.currency,
    },
    accuracy: () => latestAccuracy(config),
  });
}

/**
 * Opens what the owner commands need (records, the index and the model, no sync), runs `work` with the owner
 * console's services, and closes everything, also when `work` throws.
 *
 * @example
 *   await withOwnerConsole({ config }, async (owner) => console.log((await owner.gaps.list()).groups.length));
 */
export async function withOwnerConsole<T>(options: { config: Config }, work: (owner: OwnerConsoleParts) => Promise<T>): Promise<T> {
  const records = openRecords({ url: options.config.databaseUrl, path: options.config.databasePath, startupRetryMs: options.config.databaseStartupRetryMs });
  try {
    const config = withAnswerSettings(options.config, await promotedSettings(records));
    const knowledgeBase = await openKnowledgeBase({ config, sync: false });
    try {
      return await work(createOwnerConsole({ config, records, store: knowledgeBase.store, embedder: knowledgeBase.embedder, answerService: knowledgeBase.answerService, routing: knowledgeBase.routing }));
    } finally {
      await knowledgeBase.close();
    }
  } finally {
    await records.close();
  }
}

export function createOwnerConsole(options: {
  config: Config;
  records: RecordsStore;
  store: ChunkStore;
  /** Groups gap questions by meaning; without it, by words (the CLI passes it when it loads the model anyway). */
  embedder?: Embedder;
  answerService: AnswerService;
  /** Intents and actions, so a release's candidate routes messages as the live service does. */
  routing?: Pick<AnswerServiceOptions, 'intents' | 'actions'>;
}): OwnerConsoleParts {
  const { config, records, store, embedder } = options;
  const files = createKnowledgeFiles({ inboxDir: config.inboxDir, records });
  const writer = embedder ? createAnswerWriter({ config }) : undefined;
  const releases = createReleaseService({
    records,
    files,
    answerService: options.answerService,
    ...(embedder ? { candidateService: (settings: Record<string, string>) => createAnswerService({ config: withAnswerSettings(config, settings), store, embedder, ...(writer ? { writer } : {}), ...options.routing }) } : {}),
    documentPaths: async () => (await store.listDocuments()).map((document) => document.path),
  });
  const gaps = createGapService({
    records,
    files,
    ...(embedder ? { embedder } : {}),
    settings: { lowConfidence: config.owner.gapsLowConfidence, windowDays: config.owner.gapsWindowDays },
  });
  const reports = createOwnerReports({ config, records });
  const check = createPublishCheck({ config });

  return {
    files,
    gaps,
    releases,
    reports,
    ...(check ? { check } : {}),
    isVisible: async (document) => releases.isCustomerVisible(document.path),

    documents: {
      maxBytes: config.ingest.maxFileBytes,
      async list() {
        const [documents, internal] = await Promise.all([store.listDocuments(), releases.internalPaths()]);
        return documents.map(
          (document): AdminDocument => ({
            path: document.path,
            title: document.title,
            type: document.type,
            status: document.status,
            reason: document.reason,
            pages: document.pageCount,
            chunks: document.chunkCount,
            size: document.size,
            indexedAt: document.indexedAt,
            modifiedAt: document.modifiedAt,
            visibility: internal.has(liveOfStaged(document.path) ?? document.path) ? 'internal' : 'customers',
            staged: liveOfStaged(document.path) !== undefined,
          }),
        );
      },
      async upload({ name, bytes, gradual, by }) {
        if (!formatOf(name)) throw new KefuError('INGEST_UNSUPPORTED_TYPE', { detail: name });
        if (bytes.length > config.ingest.maxFileBytes) throw new KefuError('INGEST_TOO_LARGE', { detail: `${name} (${bytes.length} bytes)` });
        const release = gradual ? await releases.current() : undefined;
        if (gradual && !release) throw new KefuError('RELEASE_NOT_RUNNING', { detail: 'a gradual upload needs a running release' });
        const written = await files.writeDocument({ file: name, bytes, staged: Boolean(release) });
        if (release) {
          const live = liveOfStaged(written) ?? written;
          await records.recordKnowledgeChange({
            change: { id: `upload-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, kind: 'upload', file: live, entryId: '', question: '', answer: '', wordings: [], category: '', status: 'staged', releaseId: release.id, ...(by ? { createdBy: by } : {}) },
          });
        }
        return { path: written, staged: Boolean(release) };
      },
      async remove({ path: documentPath }) {
        const known = await store.getDocument(documentPath);
        if (!known) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: documentPath });
        await files.trashDocument({ file: documentPath, trashDir: path.join(config.dataDir, 'trash') });
        return { path: documentPath };
      },
    },

    async faqEntries() {
      return (await store.faqChunks())
        .filter((chunk) => liveOfStaged(chunk.docPath) === undefined && chunk.faqId)
        .map((chunk) => {
          const questions = chunk.questions.split('\n').filter(Boolean);
          return { file: chunk.docPath, id: chunk.faqId, question: questions[0] ?? '', alternates: Math.max(0, questions.length - 1), answer: chunk.answer.slice(0, 300), category: chunk.category };
        });
    },
  };
}
