/**
 * Incremental sync of a folder into the index: new and changed files are parsed, chunked, embedded and
 * written; unchanged files are skipped by size + modification time, then by content hash; deleted files
 * are removed; a file that fails is recorded with its reason while the rest of the batch goes on.
 *
 * Crash safety: each document is written as one commit for its chunks followed by one for its record.
 * A run that starts removes chunks left without a record and re-does documents whose stored chunk count
 * does not match their record, so a kill at any point leaves a searchable index and the next run finishes.
 *
 * @example
 *   const summary = await syncFolder({ config, store, embedder, root: config.inboxDir });
 *   console.log(summary.indexed.length, summary.failed);
 */
import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../src/config/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { KefuError, type ErrorCode } from '../src/errors/index.ts';
import { formatOf } from '../src/formats/index.ts';
import { isIntentsFileName } from '../src/intents/intents-file.ts';
import { describeHolder, keywordSource, type ChunkStore } from '../src/store/index.ts';
import type { DocumentRecord } from '../src/store/types.ts';
import { bigramText, detectLanguage, keywordText, useAnalyzer } from '../src/text/index.ts';
import { toPlainText } from '../src/text/markdown.ts';
import { chunkDocument } from './chunker.ts';
import { dictionaryNeedsSync, syncDictionary, TERMS_FILE, type DictionaryReport } from './dictionary.ts';
import { createDocumentParser, type DocumentParser } from './document-parser.ts';
import { syncIntentsFile, type IntentsReport } from './intents.ts';
import { embedChunks, withVectors, writeLargeDocument, type PendingChunk } from './large-document.ts';
import type { FaqBatch, FaqStream, FaqStreamEnd } from './loaders/faq.ts';
import { pipelineVersion } from './pipeline-version.ts';
import { openTitles, type FolderTitles } from './titles.ts';
import type { ChunkDraft, ParsedDocument } from './types.ts';

export interface IndexedFile {
  path: string;
  chunks: number;
  pages: number;
  /** Chunks whose vectors were computed in this run. */
  embedded: number;
  /** Chunks whose vectors were reused because their embedded text was already in the index. */
  reused: number;
  /** Problems that did not stop the file from being indexed (e.g. FAQ rows without an answer). */
  warnings: string[];
}

export interface FailedFile {
  path: string;
  code: ErrorCode;
  /** The error message, for people. */
  reason: string;
  hint: string;
}

export interface SyncSummary {
  /** Folder the paths are relative to. */
  root: string;
  indexed: IndexedFile[];
  /** Unchanged since the last run. */
  skipped: string[];
  failed: FailedFile[];
  removed: string[];
  chunksEmbedded: number;
  chunksReused: number;
  /** The model id the index held before, when this run re-embedded everything because it changed. */
  modelChangedFrom?: string;
  /** Set when the index was built by another ingest pipeline version: every document is re-indexed (vectors reused). */
  pipelineChanged?: { previousVersion?: string; version: string };
  /** True when the signal stopped the run early (the rest is done by the next run). */
  aborted: boolean;
  /** The user dictionary (knowledge-base words, the inbox's terms.txt), when this run rebuilt it. */
  dictionary?: DictionaryReport;
  /** The inbox's intents file, when this run read it (trained or found the saved model still right). */
  intents?: IntentsReport;
  milliseconds: number;
}

export type SyncEvent =
  | { type: 'model-changed'; previousModelId: string; modelId: string }
  | { type: 'pipeline-changed'; previousVersion?: string; version: string }
  | { type: 'lock-wait'; holder: string; owner: string }
  | { type: 'reconciled'; orphanChunks: number; duplicateChunks: number; duplicateRecords: number; staleDocuments: number }
  | { type: 'scanned'; root: string; filesTotal: number; files: string[] }
  | { type: 'file-start'; path: string; filesDone: number; filesTotal: number }
  | { type: 'chunks'; path: string; chunksDone: number; chunksInFile: number; filesDone: number; filesTotal: number }
  | { type: 'file'; outcome: 'indexed' | 'skipped' | 'failed' | 'removed'; path: string; detail?: IndexedFile | FailedFile; filesDone: number; filesTotal: number; chunksDone: number };

export interface SyncFolderOptions {
  config: Config;
  store: ChunkStore;
  embedder: Embedder;
  /** The folder document keys are relative to. */
  root: string;
  /** Files or folders inside `root` to sync (default: all of `root`). Deletions are detected only inside them. */
  paths?: string[];
  onProgress?: (event: SyncEvent) => void;
  signal?: AbortSignal;
  /** Who writes, for the message another kefu process shows while it waits for the writer lock ("kefu serve"). */
  owner?: string;
  /** How long to wait for another writer (default KEFU_LOCK_TIMEOUT_S); Infinity waits until `signal` aborts. */
  lockTimeoutMs?: number;
  /** The parser thread to use (the watcher keeps one across syncs); by default one is started for this sync. */
  parser?: DocumentParser;
  /** Documents with more chunks are written in batches of this many (default 1000; FAQ sheets stream as many rows). */
  batchChunks?: number;
}

/** "kefu ask" when run as `kefu ask …`, else the script's name. */
function defaultOwner(): string {
  const script = path.basename(process.argv[1] ?? 'node');
  return script === 'kefu.js' || script === 'kefu' ? `kefu ${process.argv[2] ?? ''}`.trim() : `a kefu process (${script})`;
}

/** Names that are never documents: hidden files, editor swap files, partial downloads, Office lock files. */
export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    name.startsWith('.') ||
    name.startsWith('~$') ||
    name.endsWith('~') ||
    /\.(swp|swx|swo|tmp|temp|part|partial|crdownload|download|lock)$/.test(lower) ||
    lower === 'thumbs.db' ||
    lower === 'desktop.ini'
  );
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Stable chunk id: `${sha1(docPath)[0..12]}-${ordinal}`. */
export function chunkId(docPath: string, ordinal: number): string {
  return `${createHash('sha1').update(docPath).digest('hex').slice(0, 12)}-${ordinal}`;
}

function toKey(root: string, absolute: string): string {
  return path.relative(root, absolute).split(path.sep).join('/');
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function typeFromName(name: string): string {
  return formatOf(name)?.documentType ?? 'unknown';
}

function asKefuError(error: unknown, filePath: string): KefuError {
  if (error instanceof KefuError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') return new KefuError('INGEST_VANISHED', { detail: path.basename(filePath), cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new KefuError('INGEST_UNREADABLE', { detail: path.basename(filePath), cause: error });
  // A loader that throws something other than a KefuError met input it did not expect: damaged, as far as we can tell.
  return new KefuError('INGEST_CORRUPT', { detail: path.basename(filePath), cause: error });
}

/**
 * What is embedded for a passage: the title and heading path give a chunk the context it was written in, and
 * the text is the plain form of its Markdown (a table row reads "Plan: Basic; Price: $5").
 */
export function embeddingText(title: string, draft: ChunkDraft): string {
  if (draft.kind === 'faq') return draft.text;
  const headings = draft.headingPath.filter((heading, index) => !(index === 0 && heading === title));
  const context = [title, ...headings].filter(Boolean).join(' > ');
  const text = toPlainText(draft.text, { tables: 'records' });
  return context ? `${context}: ${text}` : text;
}

function toChunkRecord(docPath: string, title: string, parsed: ParsedDocument, draft: ChunkDraft): PendingChunk {
  const headingPath = draft.headingPath.join(' > ');
  const faq = draft.faq;
  const questions = faq ? [faq.question, ...faq.alternates].join('\n') : '';
  const embedText = embeddingText(title, draft);
  const keywords = keywordSource({ kind: draft.kind, questions, answer: faq?.answer ?? '', headingPath, text: draft.text });
  return {
    id: chunkId(docPath, draft.ordinal),
    docPath,
    title,
    docType: parsed.type,
    kind: draft.kind,
    ordinal: draft.ordinal,
    headingPath,
    page: draft.page ?? 0,
    text: draft.text,
    language: detectLanguage(draft.text),
    questions,
    answer: faq?.answer ?? '',
    category: faq?.category ?? '',
    faqId: faq?.id ?? '',
    keywords: keywordText(keywords),
    bigrams: bigramText(keywords),
    textHash: sha256(embedText),
    embedText,
  };
}

interface FileEntry {
  key: string;
  absolute: string;
  /** Set when the entry is already known to be bad (outside the root via a symlink, broken link). */
  problem?: KefuError;
}

/** Lists the documents under `scope` (a file or folder inside `root`), sorted by key. */
async function listFiles(root: string, realRoot: string, scope: string): Promise<{ files: FileEntry[]; missing: boolean }> {
  const files: FileEntry[] = [];
  let scopeStats: Stats;
  try {
    scopeStats = await lstat(scope);
  } catch {
    return { files, missing: true };
  }

  async function visitEntry(absolute: string, isDirectory: boolean, isSymbolicLink: boolean): Promise<void> {
    const key = toKey(root, absolute);
    if (isSymbolicLink) {
      let target: string;
      try {
        target = await realpath(absolute);
      } catch (error) {
        const loop = (error as { code?: unknown } | undefined)?.code === 'ELOOP';
        files.push({ key, absolute, problem: loop ? new KefuError('INGEST_LINK_LOOP', { detail: `${key} (the link leads back to itself)`, cause: error }) : new KefuError('INGEST_NOT_FOUND', { detail: `${key} (a link to a missing file)`, cause: error }) });
        return;
      }
      if (!isInside(realRoot, target)) {
        files.push({ key, absolute, problem: new KefuError('INGEST_OUTSIDE_INBOX', { detail: `${key} → ${target}` }) });
        return;
      }
      // Links to folders inside the root are not followed: their files are listed under their real path already.
      if ((await stat(absolute)).isDirectory()) return;
      files.push({ key, absolute });
      return;
    }
    if (isDirectory) {
      await visitFolder(absolute);
      return;
    }
    files.push({ key, absolute });
  }

  async function visitFolder(folder: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return; // vanished while listing: its documents count as deleted
    }
    for (const entry of entries) {
      if (isIgnoredName(entry.name)) continue;
      if (!entry.isFile() && !entry.isDirectory() && !entry.isSymbolicLink()) continue; // sockets, fifos
      await visitEntry(path.join(folder, entry.name), entry.isDirectory(), entry.isSymbolicLink());
    }
  }

  if (scopeStats.isDirectory()) await visitFolder(scope);
  else await visitEntry(scope, false, scopeStats.isSymbolicLink());
  return { files, missing: false };
}

/** Small documents are embedded and written together up to these sizes. */
const BATCH_CHUNKS = 64;
const BATCH_FILES = 50;
/**
 * A document with more chunks than this is written in batches of this size (its record says `indexing` meanwhile)
 * instead of in one commit: memory stays bounded and a killed run keeps what it committed. An FAQ sheet streams in
 * batches of as many rows.
 */
const LARGE_DOCUMENT_CHUNKS = 1000;

/** A file read, parsed and chunked, waiting for its vectors. */
type Prepared =
  | { kind: 'skipped'; key: string; refreshRecord?: DocumentRecord }
  | { kind: 'failed'; key: string; error: KefuError; record: DocumentRecord }
  | { kind: 'ready'; key: string; record: DocumentRecord; warnings: string[]; chunks: PendingChunk[] }
  | { kind: 'large'; key: string; record: DocumentRecord; batches: AsyncGenerator<PendingChunk[], string[]> };
type Ready = Extract<Prepared, { kind: 'ready' }>;
type Large = Extract<Prepared, { kind: 'large' }>;

/**
 * Syncs `root` (or the given files and folders inside it) into the store.
 *
 * @example
 *   const summary = await syncFolder({ config, store, embedder, root: '/srv/kefu/inbox', onProgress: console.log });
 */
export async function syncFolder(options: SyncFolderOptions): Promise<SyncSummary> {
  const started = performance.now();
  const { config, store, signal } = options;
  const emit = options.onProgress ?? (() => {});
  const root = path.resolve(options.root);
  let realRoot: string;
  try {
    // Records keep the real path, so the same folder reached through a symlink is still the same root.
    realRoot = await realpath(root);
  } catch (error) {
    throw new KefuError('INGEST_NOT_FOUND', { detail: root, cause: error });
  }
  const summary: SyncSummary = { root: realRoot, indexed: [], skipped: [], failed: [], removed: [], chunksEmbedded: 0, chunksReused: 0, aborted: false, milliseconds: 0 };

  // 0. One writer at a time: two processes writing at once duplicate rows (LanceDB's merge-insert does not
  //    detect concurrent inserts of the same key) and embed the same files twice.
  const lock = await store.lockForWriting({
    owner: options.owner ?? defaultOwner(),
    activity: `indexing ${realRoot}`,
    timeoutMs: options.lockTimeoutMs ?? config.ingest.lockTimeoutMs,
    onWait: (holder) => emit({ type: 'lock-wait', holder: describeHolder(holder), owner: holder?.owner ?? 'another kefu process' }),
    ...(signal ? { signal } : {}),
  });
  try {
    return await syncLocked({ ...options, root, realRoot, summary, started, emit });
  } finally {
    lock.release();
  }
}

async function syncLocked(options: SyncFolderOptions & { realRoot: string; summary: SyncSummary; started: number; emit: (event: SyncEvent) => void }): Promise<SyncSummary> {
  const { config, store, embedder, signal, root, realRoot, summary, started, emit } = options;
  const inboxRoot = await realpath(path.resolve(config.inboxDir)).catch(() => path.resolve(config.inboxDir));
  const termsPath = path.join(config.inboxDir, TERMS_FILE);

  // 1. The model: vectors of another model are never mixed with this one's.
  const change = await store.useModel({ modelId: embedder.modelId, dimension: embedder.dimension });
  if (change.changed && change.previousModelId) {
    summary.modelChangedFrom = change.previousModelId;
    emit({ type: 'model-changed', previousModelId: change.previousModelId, modelId: embedder.modelId });
  }
  // The pipeline: documents indexed by another version of the loaders and chunker are re-indexed (vectors reused).
  const version = pipelineVersion({ modelId: embedder.modelId, chunkTokens: config.ingest.chunkTokens, chunkOverlap: config.ingest.chunkOverlap });
  const pipeline = await store.usePipeline({ version });
  if (pipeline.changed) {
    summary.pipelineChanged = { ...(pipeline.previousVersion ? { previousVersion: pipeline.previousVersion } : {}), version };
    emit({ type: 'pipeline-changed', ...(pipeline.previousVersion ? { previousVersion: pipeline.previousVersion } : {}), version });
  }
  const titles = await openTitles({ store, root: realRoot });
  // New chunks are analysed as the index's keyword columns were (its recorded user dictionary).
  useAnalyzer(await store.analyzer());

  // 2. Repair what a crash or an older concurrent writer left: duplicate records and chunk rows, chunks without a
  //    record, records whose chunks do not match (those are re-done from their files, reusing stored vectors).
  const repair = await store.repair();
  const orphanChunks = repair.orphanChunks;
  const repaired = orphanChunks > 0 || repair.duplicateChunks > 0 || repair.duplicateRecords > 0;
  const counts = await store.chunkCountsByDocument();
  const records = new Map((await store.listDocuments()).map((record) => [record.path, record]));
  // A record still `indexing` is a large document a stopped run was writing: it is written again from its file.
  const stale = new Set([...records.values()].filter((record) => record.status === 'indexing' || (record.status === 'indexed' && (counts.get(record.path) ?? 0) !== record.chunkCount)).map((record) => record.path));
  for (const redo of repair.redo) if (records.get(redo)?.status === 'indexed') stale.add(redo);

  // 3. List the files in scope.
  const scopes = (options.paths && options.paths.length > 0 ? options.paths : [root]).map((scope) => path.resolve(root, scope));
  const files = new Map<string, FileEntry>();
  const intentsFiles = new Map<string, FileEntry>();
  const scopeKeys: string[] = [];
  const inScope = (key: string) => scopeKeys.some((scopeKey) => scopeKey === '' || key === scopeKey || key.startsWith(`${scopeKey}/`));
  for (const scope of scopes) {
    if (!isInside(root, scope)) throw new KefuError('INGEST_OUTSIDE_INBOX', { detail: `${scope} is not inside ${root}` });
    const listed = await listFiles(root, realRoot, scope);
    const scopeKey = toKey(root, scope);
    scopeKeys.push(scopeKey);
    const known = [...records.values()].some((record) => record.path === scopeKey || record.path.startsWith(`${scopeKey}/`));
    if (listed.missing && !known) summary.failed.push(failure(scopeKey, new KefuError('INGEST_NOT_FOUND', { detail: scope })));
    // The owner's terms file is configuration (the user dictionary), not a document; so is an intents file (trained
    // into the intent classifier below, for the inbox only).
    const isTermsFile = (key: string) => key === TERMS_FILE && realRoot === inboxRoot;
    for (const file of listed.files) {
      if (isIntentsFileName(file.key)) {
        if (!file.problem) intentsFiles.set(file.key, file);
      } else if (!isTermsFile(file.key)) files.set(file.key, file);
    }
  }
  const fileList = [...files.values()].sort((left, right) => left.key.localeCompare(right.key));
  const filesTotal = fileList.length;
  // Reported: what this run repairs. Stale records of other folders wait for a sync of their own folder.
  const staleHere = [...stale].filter((key) => files.has(key) || ((records.get(key)?.root ?? '') === realRoot && inScope(key))).length;
  if (repaired || staleHere > 0) {
    emit({ type: 'reconciled', orphanChunks, duplicateChunks: repair.duplicateChunks, duplicateRecords: repair.duplicateRecords, staleDocuments: staleHere });
  }
  emit({ type: 'scanned', root: realRoot, filesTotal, files: fileList.map((file) => file.key) });

  let filesDone = 0;
  let chunksDone = 0;
  let changedIndex = false;
  /** True while documents are indexed a second time under a corrected title (they were counted already). */
  let retitling = false;
  const fileDone = (outcome: 'indexed' | 'skipped' | 'failed' | 'removed', key: string, detail?: IndexedFile | FailedFile) => {
    if (outcome !== 'removed' && !retitling) filesDone++;
    emit({ type: 'file', outcome, path: key, ...(detail ? { detail } : {}), filesDone, filesTotal, chunksDone });
  };

  // 4. Deleted files: records of this root, inside the synced scopes, whose file is gone.
  for (const record of records.values()) {
    if (signal?.aborted) break;
    if ((record.root ?? '') !== realRoot || !inScope(record.path) || files.has(record.path) || isIntentsFileName(record.path)) continue;
    await store.removeDocument(record.path);
    titles.forget(record.path);
    changedIndex = true;
    summary.removed.push(record.path);
    fileDone('removed', record.path);
  }

  // 5. Parse the next file while the current batch is embedded: the model runs on onnxruntime's threads,
  //    parsing on this one, so both cores stay busy. Small documents are batched (one embedding call and two
  //    commits for many files); a large one is a batch of its own.
  const largeChunks = options.batchChunks ?? LARGE_DOCUMENT_CHUNKS;
  const parser = options.parser ?? createDocumentParser({ config, faqBatchRows: largeChunks });
  const prepare = (file: FileEntry, forced = stale.has(file.key)): Promise<Prepared> => prepareFile({ config, embedder, parser, root: realRoot, file, record: records.get(file.key), forced, titles, largeChunks });
  let batch: Ready[] = [];
  const fileFailed = async (key: string, record: DocumentRecord, kefuError: KefuError): Promise<void> => {
    titles.forget(key);
    await recordFailure(store, record, kefuError);
    changedIndex = true;
    const failed = failure(key, kefuError);
    summary.failed.push(failed);
    fileDone('failed', key, failed);
  };
  /** A large document, batch after batch; a failure half-way is the file's (its rows are removed), not the run's. */
  const writeLarge = async (large: Large): Promise<void> => {
    const warnings: string[] = [];
    const batches = large.batches;
    const collected = (async function* () {
      for (;;) {
        const step = await batches.next();
        if (step.done) {
          warnings.push(...step.value);
          return;
        }
        yield step.value;
      }
    })();
    try {
      const result = await writeLargeDocument({
        store, embedder, record: large.record, batches: collected, signal,
        reasonAtEnd: () => warnings.join('; '),
        onChunks: (done) => emit({ type: 'chunks', path: large.key, chunksDone: chunksDone + done, chunksInFile: done, filesDone, filesTotal }),
      });
      changedIndex = true;
      const indexed: IndexedFile = { path: large.key, chunks: result.chunks, pages: large.record.pageCount, embedded: result.embedded, reused: result.reused, warnings };
      chunksDone += result.chunks;
      summary.chunksEmbedded += result.embedded;
      summary.chunksReused += result.reused;
      summary.indexed.push(indexed);
      fileDone('indexed', large.key, indexed);
    } catch (error) {
      changedIndex = true;
      if (error instanceof KefuError && (error.code === 'STORE_FAILED' || error.code.startsWith('MODEL_'))) throw error; // not the file's fault: stop
      if (signal?.aborted) return; // its record stays `indexing`: the next run writes it again
      await fileFailed(large.key, large.record, asKefuError(error, large.key));
    } finally {
      await batches.return([]);
    }
  };
  const flush = async (): Promise<void> => {
    const current = batch;
    batch = [];
    if (current.length === 0) return;
    try {
      const results = await embedAndWrite({ store, embedder, batch: current, signal, onChunks: (done) => {
        emit({ type: 'chunks', path: current[current.length - 1]?.key ?? '', chunksDone: chunksDone + done, chunksInFile: current.reduce((sum, ready) => sum + ready.chunks.length, 0), filesDone, filesTotal });
      } });
      changedIndex = true;
      for (const result of results) {
        chunksDone += result.chunks;
        summary.chunksEmbedded += result.embedded;
        summary.chunksReused += result.reused;
        summary.indexed.push(result);
        fileDone('indexed', result.path, result);
      }
    } catch (error) {
      if (error instanceof KefuError && (error.code === 'STORE_FAILED' || error.code.startsWith('MODEL_'))) throw error; // not the files' fault: stop
      if (signal?.aborted) return;
      for (const ready of current) await fileFailed(ready.key, ready.record, asKefuError(error, ready.key));
    }
  };
  const handle = async (prepared: Prepared): Promise<void> => {
    if (prepared.kind === 'skipped') {
      if (prepared.refreshRecord) await store.updateDocument(prepared.refreshRecord);
      summary.skipped.push(prepared.key);
      fileDone('skipped', prepared.key);
      return;
    }
    if (prepared.kind === 'failed') {
      await fileFailed(prepared.key, prepared.record, prepared.error);
      return;
    }
    if (prepared.kind === 'large') {
      await flush();
      await writeLarge(prepared);
      return;
    }
    batch.push(prepared);
    if (batch.reduce((sum, ready) => sum + ready.chunks.length, 0) >= BATCH_CHUNKS || batch.length >= BATCH_FILES) await flush();
  };
  let next = fileList[0] ? prepare(fileList[0]) : undefined;
  try {
    for (let index = 0; index < fileList.length && next; index++) {
      const file = fileList[index];
      if (!file) break;
      emit({ type: 'file-start', path: file.key, filesDone, filesTotal });
      const prepared = await next;
      // The next file is read and parsed (in the parser thread) while this one is embedded.
      next = signal?.aborted ? undefined : fileList[index + 1] ? prepare(fileList[index + 1] as FileEntry) : undefined;
      await handle(prepared);
      if (signal?.aborted) break;
    }
    if (!signal?.aborted) await flush();
    // Titles: a document read early in the run may have chosen a title that a later one turned out to share
    // (both covers say "Contoso Electronics"); such documents are indexed once more under their real title.
    if (!signal?.aborted) {
      retitling = true;
      for (const key of titles.outdated({ records, removed: new Set(summary.removed) })) {
        const file = files.get(key);
        if (!file) continue; // outside the scope of this run: corrected by the next sync of its folder
        summary.indexed = summary.indexed.filter((indexed) => indexed.path !== key);
        await handle(await prepare(file, true));
        if (signal?.aborted) break;
      }
      if (!signal?.aborted) await flush();
      retitling = false;
    }
  } finally {
    // A file prepared but not written (stopped early or failed): let its parse end before the parser closes.
    const pending = await next?.catch(() => undefined);
    if (pending?.kind === 'large') await pending.batches.return([]);
    if (!options.parser) await parser.close();
  }
  await titles.save();
  summary.aborted = signal?.aborted ?? false;

  // 5b. The intents file: validated and the classifier trained (failures recorded like any failed file; the previous
  //     model stays in use).
  if (!summary.aborted && realRoot === inboxRoot) {
    const intents = await syncIntentsFile({ config, store, embedder, root: realRoot, files: [...intentsFiles.values()], covers: inScope, records });
    for (const { key, error } of intents.failed) {
      const size = await stat(path.join(realRoot, key)).then((stats) => stats.size, () => 0);
      await recordFailure(store, { path: key, root: realRoot, title: path.basename(key), type: 'intents', contentHash: '', size, status: 'failed', reason: '', chunkCount: 0, pageCount: 0, modifiedAt: '', indexedAt: new Date().toISOString() }, error);
      const failed = failure(key, error);
      summary.failed.push(failed);
      emit({ type: 'file', outcome: 'failed', path: key, detail: failed, filesDone, filesTotal, chunksDone });
    }
    if (intents.report) summary.intents = intents.report;
  }

  // 6. The user dictionary: rebuilt from the knowledge base and terms.txt when either changed; a new one
  //    rewrites the keyword columns (no re-embedding).
  let rewritten = false;
  if (!summary.aborted && (changedIndex || repaired || (await dictionaryNeedsSync({ store, termsPath })))) {
    summary.dictionary = await syncDictionary({ store, termsPath });
    rewritten = (summary.dictionary.rewritten?.changed ?? 0) > 0;
  }

  // 7. Fold new rows into the full-text index and compact the small per-document commits.
  if (changedIndex || repaired || rewritten) await store.optimize();
  summary.milliseconds = Math.round(performance.now() - started);
  return summary;
}

function failure(key: string, error: KefuError): FailedFile {
  return { path: key, code: error.code, reason: error.message, hint: error.hint };
}

async function recordFailure(store: ChunkStore, record: DocumentRecord, error: KefuError): Promise<void> {
  await store.recordDocument({ ...record, status: 'failed', reason: `${error.code}: ${error.message}`, chunkCount: 0, indexedAt: new Date().toISOString() });
}

/** Chunk records of a parsed document (or of one batch of an FAQ sheet, numbered from `firstOrdinal`). */
function pendingChunks(options: { key: string; title: string; parsed: ParsedDocument; drafts: ChunkDraft[]; firstOrdinal?: number }): PendingChunk[] {
  const offset = options.firstOrdinal ?? 0;
  return options.drafts.map((draft) => toChunkRecord(options.key, options.title, options.parsed, offset === 0 ? draft : { ...draft, ordinal: draft.ordinal + offset }));
}

async function prepareFile(options: { config: Config; embedder: Embedder; parser: DocumentParser; root: string; file: FileEntry; record: DocumentRecord | undefined; forced: boolean; titles: FolderTitles; largeChunks: number }): Promise<Prepared> {
  const { config, embedder, parser, root, file, record, forced, titles, largeChunks } = options;
  const base: DocumentRecord = {
    path: file.key, root, title: path.basename(file.key), type: typeFromName(file.key), contentHash: '', size: 0, status: 'failed',
    reason: '', chunkCount: 0, pageCount: 0, modifiedAt: '', indexedAt: new Date().toISOString(),
  };
  const fail = (error: unknown): Prepared => ({ kind: 'failed', key: file.key, error: asKefuError(error, file.absolute), record: base });
  if (file.problem) return fail(file.problem);
  try {
    const stats = await stat(file.absolute);
    base.size = stats.size;
    base.modifiedAt = stats.mtime.toISOString();
    const unchangedRecord = record && !forced && record.status === 'indexed' && record.contentHash !== '' && (record.root ?? '') === root;
    // Size and modification time unchanged: do not even read the file.
    if (unchangedRecord && record.size === stats.size && record.modifiedAt === base.modifiedAt) return { kind: 'skipped', key: file.key };
    if (stats.size > config.ingest.maxFileBytes) {
      const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
      return fail(new KefuError('INGEST_TOO_LARGE', { detail: `${path.basename(file.key)} (${megabytes(stats.size)}, limit ${megabytes(config.ingest.maxFileBytes)})` }));
    }
    if (stats.size === 0) return fail(new KefuError('INGEST_EMPTY', { detail: path.basename(file.key) }));
    const bytes = await readFile(file.absolute);
    base.contentHash = sha256(bytes);
    base.size = bytes.length;
    // Touched but identical (copied over, re-saved): keep the chunks, just remember the new time.
    if (unchangedRecord && record.contentHash === base.contentHash) return { kind: 'skipped', key: file.key, refreshRecord: { ...record, size: base.size, modifiedAt: base.modifiedAt } };
    if (bytes.length === 0) return fail(new KefuError('INGEST_EMPTY', { detail: path.basename(file.key) }));
    // Parsed in the parser thread: a file that needs too much memory or hangs fails alone (INGEST_LIMIT).
    const parsedFile = await parser.parse({ path: file.absolute, bytes });
    const chunkOptions = { countTokens: (text: string) => embedder.countTokens(text), targetTokens: config.ingest.chunkTokens, overlapTokens: config.ingest.chunkOverlap };
    if (parsedFile.kind === 'faq') return await prepareFaq({ key: file.key, base, stream: parsedFile.stream, chunkOptions, titles });
    const parsed = parsedFile.document;
    const title = titles.choose(file.key, parsed);
    base.title = title || base.title;
    base.type = parsed.type;
    base.pageCount = parsed.pageCount ?? 0;
    const drafts = chunkDocument({ document: parsed, ...chunkOptions });
    if (drafts.length === 0) return fail(new KefuError('INGEST_NO_TEXT', { detail: path.basename(file.key), hint: 'The file has no text kefu can index.' }));
    if (drafts.length > config.ingest.maxChunksPerFile) {
      return fail(new KefuError('INGEST_LIMIT', { detail: `${path.basename(file.key)} (${drafts.length} chunks, more than KEFU_MAX_CHUNKS_PER_FILE=${config.ingest.maxChunksPerFile})` }));
    }
    // Warnings (e.g. FAQ rows skipped) ride along in `reason`, so `kefu docs list` shows them.
    const reason = (parsed.warnings ?? []).join('; ');
    const indexedRecord: DocumentRecord = { ...base, status: 'indexed', reason, chunkCount: drafts.length };
    if (drafts.length > largeChunks) {
      // Chunk records are built a batch at a time: the drafts are small, the records (with keywords) are not.
      const batches = (async function* (): AsyncGenerator<PendingChunk[], string[]> {
        for (let start = 0; start < drafts.length; start += largeChunks) yield pendingChunks({ key: file.key, title, parsed, drafts: drafts.slice(start, start + largeChunks) });
        return parsed.warnings ?? [];
      })();
      return { kind: 'large', key: file.key, record: indexedRecord, batches };
    }
    return { kind: 'ready', key: file.key, record: indexedRecord, warnings: parsed.warnings ?? [], chunks: pendingChunks({ key: file.key, title, parsed, drafts }) };
  } catch (error) {
    return fail(error);
  }
}

/**
 * An FAQ sheet from the parser thread: one batch (the sheet fits) is an ordinary small document, written in one
 * commit with others; more is a large document, written batch by batch as the rows arrive.
 */
async function prepareFaq(options: { key: string; base: DocumentRecord; stream: FaqStream; chunkOptions: Omit<Parameters<typeof chunkDocument>[0], 'document'>; titles: FolderTitles }): Promise<Prepared> {
  const { key, base, stream, chunkOptions } = options;
  const first = await stream.next();
  if (first.done) throw new KefuError('INGEST_EMPTY', { detail: `${path.basename(key)} (no rows)` });
  // A sheet's title is its own (file name, or file name and sheet): no candidates to weigh against the folder.
  const title = options.titles.choose(key, { type: 'faq', title: first.value.title, sections: [], faq: [] }) || base.title;
  const toPending = (batch: FaqBatch, firstOrdinal: number): PendingChunk[] => {
    const parsed: ParsedDocument = { type: 'faq', title, sections: [], faq: batch.entries };
    return pendingChunks({ key, title, parsed, drafts: chunkDocument({ document: parsed, ...chunkOptions }), firstOrdinal });
  };
  const record: DocumentRecord = { ...base, title, type: 'faq', status: 'indexed', pageCount: 0 };
  const second = await stream.next();
  if (second.done) {
    const chunks = toPending(first.value, 0);
    return { kind: 'ready', key, record: { ...record, reason: second.value.warnings.join('; '), chunkCount: chunks.length }, warnings: second.value.warnings, chunks };
  }
  const batches = (async function* (): AsyncGenerator<PendingChunk[], string[]> {
    let ordinal = 0;
    let step: IteratorResult<FaqBatch, FaqStreamEnd> = second;
    let pending: FaqBatch | undefined = first.value;
    try {
      while (pending) {
        const chunks = toPending(pending, ordinal);
        ordinal += chunks.length;
        yield chunks;
        if (step.done) return step.value.warnings;
        pending = step.value;
        step = await stream.next();
      }
      return [];
    } finally {
      // Stopped early (failed, Ctrl-C): the parser thread is told to drop the rest.
      await stream.return({ warnings: [], entries: 0 });
    }
  })();
  return { kind: 'large', key, record, batches };
}

/** Embeds the texts of a batch of documents that are not in the index yet, then writes the batch. */
async function embedAndWrite(options: { store: ChunkStore; embedder: Embedder; batch: Ready[]; signal: AbortSignal | undefined; onChunks: (done: number) => void }): Promise<IndexedFile[]> {
  const { store, embedder, batch, signal, onChunks } = options;
  // Identical texts (within a document or across the batch) are embedded once; texts already indexed are reused.
  const { vectors, embedded: embeddedHere } = await embedChunks({ store, embedder, chunks: batch.flatMap((ready) => ready.chunks), signal, onChunks });
  const indexedAt = new Date().toISOString();
  await store.replaceDocuments(batch.map((ready) => ({ document: { ...ready.record, indexedAt }, chunks: withVectors(ready.chunks, vectors) })));
  return batch.map((ready) => {
    // A text shared by several files of the batch is counted as embedded for the first of them only.
    let embedded = 0;
    for (const chunk of ready.chunks) {
      if (embeddedHere.delete(chunk.textHash)) embedded++;
    }
    return { path: ready.key, chunks: ready.chunks.length, pages: ready.record.pageCount, embedded, reused: ready.chunks.length - embedded, warnings: ready.warnings };
  });
}

export interface IngestFilesOptions extends Omit<SyncFolderOptions, 'root' | 'paths'> {
  /** Files or folders. Inside the inbox: keys relative to the inbox. A folder outside it: keys relative to that folder. */
  paths: string[];
}

/**
 * Ingests explicit files and folders: each is synced under the root its keys are relative to (the inbox when
 * it lies inside the inbox, else the folder itself, or a file's folder).
 *
 * @example
 *   const summaries = await ingestFiles({ config, store, embedder, paths: ['../shared/eval-data/northwind/pdfs'] });
 */
export async function ingestFiles(options: IngestFilesOptions): Promise<SyncSummary[]> {
  const inbox = path.resolve(options.config.inboxDir);
  const groups = new Map<string, string[]>();
  const summaries: SyncSummary[] = [];
  for (const given of options.paths) {
    const absolute = path.resolve(given);
    let root: string;
    if (isInside(inbox, absolute)) root = inbox;
    else {
      let stats: Stats;
      try {
        stats = await lstat(absolute);
      } catch (error) {
        const notFound = new KefuError('INGEST_NOT_FOUND', { detail: given, cause: error });
        summaries.push({ root: path.dirname(absolute), indexed: [], skipped: [], failed: [failure(given, notFound)], removed: [], chunksEmbedded: 0, chunksReused: 0, aborted: false, milliseconds: 0 });
        continue;
      }
      root = stats.isDirectory() ? absolute : path.dirname(absolute);
    }
    const list = groups.get(root) ?? [];
    list.push(absolute);
    groups.set(root, list);
  }
  for (const [root, paths] of groups) {
    if (options.signal?.aborted) break;
    summaries.push(await syncFolder({ ...options, root, paths: paths.includes(root) ? [] : paths }));
  }
  return summaries;
}
