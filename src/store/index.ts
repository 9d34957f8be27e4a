/**
 * The index: an embedded LanceDB database with three tables.
 *
 * - `documents`: one row per file (path, root, title, type, content hash, size, status, reason, counts, times).
 * - `chunks`: one row per chunk (text, heading path, page, vector, and two keyword columns with
 *   whitespace-tokenised full-text indexes: `keywords`, the analysed words, so that 退款 matches 如何申请退款,
 *   and `bigrams`, pairs of adjacent Han characters, so a word jieba cut differently still matches).
 * - `meta`: key/value pairs; holds the embedding model id and vector dimension the chunks were made with,
 *   the analyzer fingerprint and user dictionary the keyword columns were written with, the ingest pipeline
 *   version the documents were indexed with, and small values kept for sync (`setMeta`).
 *
 * Writes of one document are one LanceDB commit for its chunks (a merge-insert that also deletes the
 * document's rows that are no longer in the new version), followed by one commit for its record, so a reader
 * sees the old version or the new one, never half of a document or both.
 *
 * @example
 *   const store = await openStore({ directory: config.indexDir });
 *   await store.useModel({ modelId: embedder.modelId, dimension: embedder.dimension });
 *   const hits = await store.keywordSearch({ query: keywordQuery('如何退款'), bigrams: bigramQuery('如何退款'), limit: 8 });
 */
import { mkdirSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { maintainVectorIndex, tuneVectorQuery } from './vector-index.ts';
import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import { KefuError } from '../errors/index.ts';
import { analyzerFor, serializeDictionary, type Analyzer } from '../text/analyzer.ts';
import { toPlainText } from '../text/markdown.ts';
import { parseTerms } from '../text/terms.ts';
import type { ChunkRecord, DocumentRecord, DocumentStatus } from './types.ts';
import { createIndexRefresher } from './reader-refresh.ts';
import { acquireWriterLock, type LockHolder, type WriterLock } from './writer-lock.ts';

export type { ChunkRecord, DocumentRecord, DocumentStatus } from './types.ts';
export { describeHolder, type LockHolder, type WriterLock } from './writer-lock.ts';

export interface ChunkFilter {
  docPath?: string[];
  docType?: string[];
  category?: string[];
  language?: string[];
  kind?: ('passage' | 'faq')[];
  /** Documents never to return (internal documents for customers, a release's other arm). */
  excludeDocPath?: string[];
}

export interface ScoredChunk {
  chunk: ChunkRecord;
  score: number;
}

/** A search hit without its record: for callers that already hold the chunks (half the cost per search). */
export interface ScoredId {
  id: string;
  score: number;
}

/** A keyword query: analysed words for `keywords`, and (for Chinese) Han character pairs for `bigrams`. */
export interface KeywordSearchOptions {
  /** `keywordQuery(question)`: words joined by spaces; any may match. */
  query: string;
  /** `bigramQuery(question)`: character pairs joined by spaces, searched in the `bigrams` column. */
  bigrams?: string;
  /** Weight of a bigram match relative to a word match (default BIGRAM_WEIGHT). */
  bigramWeight?: number;
  limit: number;
  filter?: ChunkFilter;
}

/** The analyzer the keyword columns were written with, as the index records it. */
export interface AnalyzerState {
  fingerprint: string;
  /** The user dictionary in the terms-file format (`serializeDictionary`). */
  dictionary: string;
}

export interface KeywordRewrite {
  chunks: number;
  /** Chunks whose keyword columns changed (the others were left as they were). */
  changed: number;
}

export interface ModelChange {
  /** True when the index held vectors of another model (or dimension) and they were dropped. */
  changed: boolean;
  previousModelId: string | undefined;
}

/** What `repair()` found and fixed. */
export interface RepairReport {
  /** Chunk rows whose document has no record (a crash between the chunk and record commits), deleted. */
  orphanChunks: number;
  /** Extra copies of chunk rows with the same id (two writers inserting the same document), deleted. */
  duplicateChunks: number;
  /** Extra copies of document records with the same path, deleted (the newest copy is kept). */
  duplicateRecords: number;
  /** Documents that had duplicates: which copy was right is unknowable, so their files must be indexed again. */
  redo: string[];
}

export interface PipelineChange {
  /** True when documents indexed by another pipeline version (or by one that recorded none) were marked for re-indexing. */
  changed: boolean;
  previousVersion: string | undefined;
}

export interface ChunkStore {
  /** Embedding model id the stored vectors were made with (undefined for an empty index). */
  modelId(): Promise<string | undefined>;
  /**
   * Declares the model whose vectors will be written. When the index holds vectors of a different model or
   * dimension, all chunks are dropped (vectors are never mixed) and every document record is marked for
   * re-indexing (content hash cleared, status failed with a MODEL_MISMATCH reason) until it is re-embedded.
   */
  useModel(options: { modelId: string; dimension: number }): Promise<ModelChange>;
  /**
   * Declares the ingest pipeline version (loaders, chunking, keyword analysis) the next writes use. When it differs
   * from the recorded one, every indexed document is marked for re-indexing: its content hash is cleared, while
   * its status, chunks and vectors stay, so search goes on working and the re-index reuses the vectors of
   * unchanged texts. Unlike a model change, nothing is dropped.
   */
  usePipeline(options: { version: string }): Promise<PipelineChange>;
  /** A small value kept with the index (e.g. per-folder data sync needs across runs); undefined when never set. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  listDocuments(): Promise<DocumentRecord[]>;
  getDocument(path: string): Promise<DocumentRecord | undefined>;
  /** Atomically replaces all chunks of one document (one commit), then writes its record. */
  replaceDocument(options: { document: DocumentRecord; chunks: ChunkRecord[] }): Promise<void>;
  /**
   * The same for several documents at once: one commit for all their chunks, then one for their records.
   * Many small files cost two commits per batch instead of two per file.
   */
  replaceDocuments(entries: Array<{ document: DocumentRecord; chunks: ChunkRecord[] }>): Promise<void>;
  /**
   * For a document too large for one commit (a 200,000-row FAQ sheet): upserts a batch of its chunks by id and
   * leaves its other rows alone. The writer first records the document with status `indexing`, writes batch after
   * batch, then calls `finishDocument`.
   */
  writeChunks(options: { docPath: string; chunks: ChunkRecord[] }): Promise<void>;
  /** Ends a document written in batches: deletes its rows from ordinal `document.chunkCount` on, then writes its record. */
  finishDocument(document: DocumentRecord): Promise<void>;
  /**
   * Records a document that is not indexed (failed or skipped). Its chunks, if a previous version had any,
   * are removed first: they no longer reflect the file.
   */
  recordDocument(document: DocumentRecord): Promise<void>;
  /** Writes a document's record without touching its chunks (e.g. a new modification time for identical bytes). */
  updateDocument(document: DocumentRecord): Promise<void>;
  /** Removes a document's chunks, then its record. Removing an unknown path does nothing. */
  removeDocument(path: string): Promise<void>;
  /** Vectors already stored for these text hashes (reuse instead of re-embedding). */
  vectorsByTextHash(hashes: string[]): Promise<Map<string, number[]>>;
  /**
   * BM25 full-text search over `keywords` (the words of `query`) and `bigrams` (the character pairs of
   * `bigrams`, weighted by BIGRAM_WEIGHT); a chunk's score is the sum of both.
   */
  keywordSearch(options: KeywordSearchOptions): Promise<ScoredChunk[]>;
  /** Exact cosine-similarity search; score in [-1, 1]. Result chunks carry `vector: []`. */
  vectorSearch(options: { vector: number[]; limit: number; filter?: ChunkFilter }): Promise<ScoredChunk[]>;
  /** `keywordSearch` returning only chunk ids and scores. */
  keywordSearchIds(options: KeywordSearchOptions): Promise<ScoredId[]>;
  /** `vectorSearch` returning only chunk ids and scores. */
  vectorSearchIds(options: { vector: number[]; limit: number; filter?: ChunkFilter }): Promise<ScoredId[]>;
  getChunks(ids: string[]): Promise<ChunkRecord[]>;
  /** Chunks of the same document with ordinal in [ordinal-radius, ordinal+radius], in order. */
  neighbours(options: { docPath: string; ordinal: number; radius: number }): Promise<ChunkRecord[]>;
  /** All FAQ chunks (with vectors). */
  faqChunks(): Promise<ChunkRecord[]>;
  /** All chunks without vectors (`vector: []`), for corpus statistics. */
  allChunks(): Promise<ChunkRecord[]>;
  countChunks(): Promise<number>;
  /** Number of chunks per document path, as stored (for reconciling after a crash). */
  chunkCountsByDocument(): Promise<Map<string, number>>;
  /** Deletes chunks whose document has no record (left by a crash between the two commits). Returns how many. */
  removeOrphanChunks(): Promise<number>;
  /**
   * Repairs what a crash or two concurrent writers left: duplicate document records (keeps the newest),
   * duplicate chunk rows (keeps one per id) and orphan chunks. Documents that had duplicates are listed in
   * `redo`; their chunk rows are kept so that re-indexing reuses the vectors.
   */
  repair(): Promise<RepairReport>;
  /**
   * Takes the index's writer lock (see writer-lock.ts): one writing process at a time. Waits for the holder,
   * reporting who it is through `onWait`, up to `timeoutMs`, then throws INDEX_LOCKED.
   */
  lockForWriting(options: { owner: string; activity: string; timeoutMs: number; onWait?: (holder: LockHolder | undefined) => void; signal?: AbortSignal }): Promise<WriterLock>;
  /** Brings the full-text index up to date with new rows and compacts small writes. Call after a batch. */
  optimize(): Promise<void>;
  /** Changes whenever chunks change (the chunks table version) or their analyzer does. */
  version(): Promise<number>;
  /** The analyzer fingerprint and user dictionary the keyword columns were written with (undefined: not recorded). */
  analyzerState(): Promise<AnalyzerState | undefined>;
  /** The analyzer the keyword columns were written with (the one without a user dictionary when none is recorded). */
  analyzer(): Promise<Analyzer>;
  /**
   * Rewrites `keywords` and `bigrams` of every chunk with `analyzer`, without touching vectors (one commit for
   * the chunks that change), then records the analyzer. For a new dictionary or ANALYZER_VERSION.
   */
  rewriteKeywords(options: { analyzer: Analyzer }): Promise<KeywordRewrite>;
  close(): Promise<void>;
}

const DOCUMENTS = 'documents';
const CHUNKS = 'chunks';
const META = 'meta';
const KEYWORD_INDEX_OPTIONS = { baseTokenizer: 'whitespace', stem: false, removeStopWords: false, lowercase: true, asciiFolding: false, withPosition: false } as const;
/** The full-text-indexed columns (both whitespace-tokenised: the analysis happens in src/text). */
const KEYWORD_COLUMNS = ['keywords', 'bigrams'] as const;
/**
 * Weight of a bigram match relative to a word match in one keyword search (BM25 scores of the two columns
 * are added). Measured on seeded dev halves, see eval/README.md ("Keyword analysis").
 */
export const BIGRAM_WEIGHT = 0.25;

const documentSchema = new Schema([
  new Field('path', new Utf8(), false),
  new Field('root', new Utf8(), false),
  new Field('title', new Utf8(), false),
  new Field('type', new Utf8(), false),
  new Field('contentHash', new Utf8(), false),
  new Field('size', new Float64(), false),
  new Field('status', new Utf8(), false),
  new Field('reason', new Utf8(), false),
  new Field('chunkCount', new Int32(), false),
  new Field('pageCount', new Int32(), false),
  new Field('modifiedAt', new Utf8(), false),
  new Field('indexedAt', new Utf8(), false),
]);

const metaSchema = new Schema([new Field('key', new Utf8(), false), new Field('value', new Utf8(), false)]);

const CHUNK_TEXT_COLUMNS = ['id', 'docPath', 'title', 'docType', 'kind', 'headingPath', 'text', 'language', 'questions', 'answer', 'category', 'faqId', 'keywords', 'bigrams', 'textHash'] as const;
const CHUNK_COLUMNS_WITHOUT_VECTOR = [...CHUNK_TEXT_COLUMNS, 'ordinal', 'page'];

function chunkSchema(dimension: number): Schema {
  return new Schema([
    ...CHUNK_TEXT_COLUMNS.map((name) => new Field(name, new Utf8(), false)),
    new Field('ordinal', new Int32(), false),
    new Field('page', new Int32(), false),
    new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
  ]);
}

/** A SQL string literal: single quotes doubled. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function sqlIn(column: string, values: readonly string[]): string {
  return `\`${column}\` IN (${values.map(sqlString).join(', ')})`;
}

/** The `where` clause for a filter, or undefined when it constrains nothing. Empty lists are ignored. */
export function filterToSql(filter: ChunkFilter | undefined): string | undefined {
  if (!filter) return undefined;
  const clauses: string[] = [];
  for (const column of ['docPath', 'docType', 'category', 'language', 'kind'] as const) {
    const values = filter[column];
    if (values && values.length > 0) clauses.push(sqlIn(column, values));
  }
  if (filter.excludeDocPath && filter.excludeDocPath.length > 0) clauses.push(`NOT ${sqlIn('docPath', filter.excludeDocPath)}`);
  return clauses.length > 0 ? clauses.join(' AND ') : undefined;
}

type Row = Record<string, unknown>;

/** Meta keys of the keyword analysis (separate from the model's and the ingest pipeline's keys). */
const ANALYZER_KEY = 'analyzer';
const ANALYZER_DICTIONARY_KEY = 'analyzerDictionary';
const ANALYZER_REVISION_KEY = 'analyzerRevision';

const keywordUpdateSchema = new Schema([new Field('id', new Utf8(), false), new Field('keywords', new Utf8(), false), new Field('bigrams', new Utf8(), false)]);

function analyzerStateOf(stored: Map<string, string>): AnalyzerState | undefined {
  const fingerprint = stored.get(ANALYZER_KEY);
  return fingerprint ? { fingerprint, dictionary: stored.get(ANALYZER_DICTIONARY_KEY) ?? '' } : undefined;
}

/** The analyzer a recorded state names (shared per dictionary through `analyzerFor`). */
function analyzerOf(state: AnalyzerState | undefined): Analyzer {
  return analyzerFor(state ? parseTerms(state.dictionary).dictionary : undefined);
}

const text = (row: Row, key: string): string => (typeof row[key] === 'string' ? (row[key] as string) : '');
const number = (row: Row, key: string): number => Number(row[key] ?? 0);

function vectorOf(value: unknown): number[] {
  if (value && typeof value === 'object' && Symbol.iterator in value) return Array.from(value as Iterable<number>);
  return [];
}

function rowToChunk(row: Row): ChunkRecord {
  return {
    id: text(row, 'id'),
    docPath: text(row, 'docPath'),
    title: text(row, 'title'),
    docType: text(row, 'docType'),
    kind: text(row, 'kind') === 'faq' ? 'faq' : 'passage',
    ordinal: number(row, 'ordinal'),
    headingPath: text(row, 'headingPath'),
    page: number(row, 'page'),
    text: text(row, 'text'),
    language: text(row, 'language'),
    questions: text(row, 'questions'),
    answer: text(row, 'answer'),
    category: text(row, 'category'),
    faqId: text(row, 'faqId'),
    keywords: text(row, 'keywords'),
    bigrams: text(row, 'bigrams'),
    textHash: text(row, 'textHash'),
    vector: vectorOf(row.vector),
  };
}

function rowToDocument(row: Row): DocumentRecord {
  const status = text(row, 'status');
  return {
    path: text(row, 'path'),
    root: text(row, 'root'),
    title: text(row, 'title'),
    type: text(row, 'type'),
    contentHash: text(row, 'contentHash'),
    size: number(row, 'size'),
    status: (status === 'indexed' || status === 'failed' || status === 'skipped' || status === 'indexing' ? status : 'failed') satisfies DocumentStatus,
    reason: text(row, 'reason'),
    chunkCount: number(row, 'chunkCount'),
    pageCount: number(row, 'pageCount'),
    modifiedAt: text(row, 'modifiedAt'),
    indexedAt: text(row, 'indexedAt'),
  };
}

function documentToRow(document: DocumentRecord): Row {
  return { ...document, root: document.root ?? '' };
}

function chunkToRow(chunk: ChunkRecord): Row {
  return { ...chunk, bigrams: chunk.bigrams ?? '' };
}

/**
 * The text a chunk's keyword columns are made from: an FAQ entry's questions and answer, a passage's heading
 * path and text. Ingestion and `rewriteKeywords` both use it, so a rewrite writes what an ingest would.
 */
export function keywordSource(chunk: Pick<ChunkRecord, 'kind' | 'questions' | 'answer' | 'headingPath' | 'text'>): string {
  // A passage's text is Markdown: analysed as plain text, a table row as "Header: cell; …".
  return chunk.kind === 'faq' ? `${chunk.questions}\n${chunk.answer}` : `${chunk.headingPath} ${toPlainText(chunk.text, { tables: 'records' })}`;
}

/** A full-text query over both keyword columns: word matches plus weighted bigram matches. */
function keywordFullTextQuery(words: string, bigrams: string, bigramWeight = BIGRAM_WEIGHT): lancedb.FullTextQuery | undefined {
  const clauses: Array<[lancedb.Occur, lancedb.FullTextQuery]> = [];
  if (words) clauses.push([lancedb.Occur.Should, new lancedb.MatchQuery(words, 'keywords')]);
  if (bigrams && bigramWeight > 0) clauses.push([lancedb.Occur.Should, new lancedb.MatchQuery(bigrams, 'bigrams', { boost: bigramWeight })]);
  if (clauses.length === 0) return undefined;
  if (clauses.length === 1) return clauses[0]?.[1];
  return new lancedb.BooleanQuery(clauses);
}

/**
 * Brings a chunks table written by an older kefu up to this schema: adds the `bigrams` column (empty; the
 * next sync fills it through `rewriteKeywords`, since the recorded analyzer differs) and its index. Vectors and
 * every other column stay as they are.
 */
async function migrateChunks(table: lancedb.Table): Promise<void> {
  const columns = new Set((await table.schema()).fields.map((field) => field.name));
  if (!columns.has('bigrams')) {
    try {
      await table.addColumns([{ name: 'bigrams', valueSql: "''" }]);
    } catch (error) {
      // Another process (a server beside `kefu watch`) may have added it first.
      const now = new Set((await table.schema()).fields.map((field) => field.name));
      if (!now.has('bigrams')) throw error;
    }
  }
  await ensureKeywordIndexes(table);
}

async function ensureKeywordIndexes(table: lancedb.Table): Promise<void> {
  const indices = await table.listIndices();
  for (const column of KEYWORD_COLUMNS) {
    if (!indices.some((index) => index.columns.includes(column))) await table.createIndex(column, { config: lancedb.Index.fts(KEYWORD_INDEX_OPTIONS) });
  }
}

/** The hint for a failed index operation, by its cause: a full disk, permissions, or another writer. */
export function storeFailureHint(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ENOSPC' || /no space left/i.test(message)) return 'The disk holding KEFU_DATA_DIR is full: free some space, then run again.';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || /permission denied|read-only file system/i.test(message)) return 'kefu cannot write KEFU_DATA_DIR: check its owner and permissions.';
  if (/commit conflict|conflicting|concurrent/i.test(message)) {
    return 'Another process wrote the index at the same moment. Run again: kefu takes a writer lock, so this only happens with a kefu version without it or a tool writing the index directly.';
  }
  return undefined;
}

async function wrap<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof KefuError) throw error;
    const hint = storeFailureHint(error);
    throw new KefuError('STORE_FAILED', { detail: what, cause: error, ...(hint ? { hint } : {}) });
  }
}

/**
 * Opens (creating if needed) the index in `directory`.
 *
 * @example
 *   const store = await openStore({ directory: '/srv/kefu/data/index' });
 *   console.log(await store.countChunks());
 */
export interface OpenStoreOptions {
  /** A folder, or an object-storage URI LanceDB reads (`s3://bucket/path`). */
  directory: string;
  /** LanceDB storage options for an object-storage URI (endpoint, region, …). */
  storageOptions?: Readonly<Record<string, string>>;
  /** The writer lock file (local disk); default `<directory>.lock`. */
  lockPath?: string;
  /**
   * A reader replica (KEFU_ROLE=reader): never writes the index (no tables created, writes and the writer lock refused
   * with INDEX_READ_ONLY), waits for the writer to create it, and follows new versions every `refreshMs` (keeping the
   * last good one when the newest cannot be read: reader-refresh.ts).
   */
  readOnly?: { refreshMs: number; onWait?: (message: string) => void; onStale?: (message: string, error: unknown) => void; waitMs?: number };
  /** Rows at which `optimize` builds the ANN vector index (default VECTOR_INDEX_MIN_ROWS; see vector-index.ts). */
  vectorIndexMinRows?: number;
}

/** Store methods that write the index: a reader refuses them. */
const WRITE_METHODS = [
  'useModel', 'usePipeline', 'setMeta', 'replaceDocument', 'replaceDocuments', 'writeChunks', 'finishDocument', 'recordDocument', 'updateDocument',
  'removeDocument', 'removeOrphanChunks', 'repair', 'lockForWriting', 'optimize', 'rewriteKeywords',
] as const satisfies ReadonlyArray<keyof ChunkStore>;

/**
 * Where the configured index is: its location, storage options and lock file, for `openStore`. A folder keeps its lock
 * beside it (`<folder>.lock`, also when a caller points `indexDir` elsewhere, as evaluations do); an object-storage
 * URI uses `indexLockPath` on local disk.
 */
export function indexLocation(config: { indexDir: string; indexStorageOptions: Readonly<Record<string, string>>; indexLockPath: string }): Pick<OpenStoreOptions, 'directory' | 'storageOptions' | 'lockPath'> {
  const uri = isUri(config.indexDir);
  return { directory: config.indexDir, storageOptions: uri ? config.indexStorageOptions : {}, lockPath: uri ? config.indexLockPath : `${resolvePath(config.indexDir)}.lock` };
}

function isUri(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

async function openReader(directory: string, readOnly: NonNullable<OpenStoreOptions['readOnly']>, storageOptions: Record<string, string>): Promise<ChunkStore> {
  // No consistency check per query: the refresher moves the tables forward, so a damaged new version never reaches a query.
  const db = await lancedb.connect(directory, { storageOptions });
  const deadline = Date.now() + (readOnly.waitMs ?? 600_000);
  let told = false;
  for (;;) {
    const names = new Set(await db.tableNames().catch(() => [] as string[]));
    if (names.has(DOCUMENTS) && names.has(META)) break;
    if (Date.now() > deadline) throw new KefuError('STORE_FAILED', { detail: `${directory} has no index yet`, hint: 'Start the writer (KEFU_ROLE=writer or `kefu watch`) on this index first; readers never create it.' });
    if (!told) readOnly.onWait?.(`waiting for the writer to create the index in ${directory}`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const documents = await db.openTable(DOCUMENTS);
  const meta = await db.openTable(META);
  let current: lancedb.Table | undefined = (await db.tableNames()).includes(CHUNKS) ? await db.openTable(CHUNKS) : undefined;
  const store = createStore({ directory, lockPath: `${directory}.lock`, db, documents, meta, readOnly: true, getChunks: () => current, setChunks: (table) => { current = table; } });
  const refresher = createIndexRefresher({
    tables: () => [documents, meta, ...(current ? [current] : [])],
    refreshMs: readOnly.refreshMs,
    ...(readOnly.onStale ? { onStale: readOnly.onStale } : {}),
  });
  const refused = (method: string) => async () => {
    throw new KefuError('INDEX_READ_ONLY', { detail: `${method} on ${directory}` });
  };
  const guarded = Object.fromEntries(WRITE_METHODS.map((method) => [method, refused(method)]));
  return {
    ...store,
    ...guarded,
    async close() {
      await refresher.stop();
      await store.close();
    },
  } as ChunkStore;
}

/**
 * Opens (creating if needed) the index in `directory`; with `readOnly`, a reader replica's view of it.
 *
 * @example
 *   const store = await openStore({ directory: '/srv/kefu/data/index' });
 *   console.log(await store.countChunks());
 */
export async function openStore(options: OpenStoreOptions): Promise<ChunkStore> {
  const { directory } = options;
  const storageOptions = { ...options.storageOptions };
  if (options.readOnly) {
    const readOnly = options.readOnly;
    return wrap(directory, () => openReader(directory, readOnly, storageOptions));
  }
  const lockPath = options.lockPath ?? `${resolvePath(directory)}.lock`;
  return wrap(directory, async () => {
    if (!isUri(directory)) mkdirSync(directory, { recursive: true });
    // readConsistencyInterval 0: every read checks for commits made by another process (e.g. `kefu watch`
    // writing while the server answers); on a local disk that check is a cheap directory listing.
    const db = await lancedb.connect(directory, { readConsistencyInterval: 0, storageOptions });
    const names = new Set(await db.tableNames());
    const documents = await openOrCreateTable(db, DOCUMENTS, documentSchema);
    const meta = await openOrCreateTable(db, META, metaSchema);
    const chunks: lancedb.Table | undefined = names.has(CHUNKS) ? await db.openTable(CHUNKS) : undefined;
    if (chunks) await migrateChunks(chunks);
    let current = chunks;
    return createStore({ directory, lockPath, db, documents, meta, getChunks: () => current, setChunks: (table) => { current = table; }, ...(options.vectorIndexMinRows === undefined ? {} : { vectorIndexMinRows: options.vectorIndexMinRows }) });
  });
}

/**
 * Opens a table, creating it when missing. Another process (a second `kefu ingest`, or `kefu serve`) may create it at
 * the same moment: `existOk` covers most of that race, but two creations can still collide on the first commit
 * (seen under load in CI), so a failed creation is retried a few times, opening what the other process made.
 */
async function openOrCreateTable(db: lancedb.Connection, name: string, schema: Schema): Promise<lancedb.Table> {
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await db.tableNames()).includes(name)) return await db.openTable(name);
      return await db.createEmptyTable(name, schema, { existOk: true });
    } catch (error) {
      if (attempt >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}

interface StoreParts {
  directory: string;
  /** The writer lock file, on local disk. */
  lockPath: string;
  db: lancedb.Connection;
  documents: lancedb.Table;
  meta: lancedb.Table;
  getChunks: () => lancedb.Table | undefined;
  setChunks: (table: lancedb.Table | undefined) => void;
  /** A reader never migrates (adds columns to) a table: the writer does. */
  readOnly?: boolean;
  vectorIndexMinRows?: number;
}

function createStore(parts: StoreParts): ChunkStore {
  const { db, documents, meta, getChunks, setChunks } = parts;

  async function readMeta(): Promise<Map<string, string>> {
    const rows = (await meta.query().toArray()) as Row[];
    return new Map(rows.map((row) => [text(row, 'key'), text(row, 'value')]));
  }

  async function writeMeta(values: Record<string, string>): Promise<void> {
    const rows = Object.entries(values).map(([key, value]) => ({ key, value }));
    await meta.mergeInsert('key').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows);
  }

  async function createChunksTable(dimension: number): Promise<lancedb.Table> {
    // Drop then create (not mode 'overwrite', which logs a warning for a table that does not exist yet). A crash
    // in between leaves no chunks table, which the next useModel re-creates.
    if ((await db.tableNames()).includes(CHUNKS)) await db.dropTable(CHUNKS);
    const table = await db.createEmptyTable(CHUNKS, chunkSchema(dimension));
    // Created up front on the empty table: rows added later are searched too (LanceDB scans rows the index
    // has not absorbed yet) and `optimize` folds them into the index.
    await ensureKeywordIndexes(table);
    return table;
  }

  async function recordAnalyzerIn(analyzer: Analyzer): Promise<void> {
    const stored = await readMeta();
    const dictionary = serializeDictionary(analyzer.dictionary);
    if (stored.get(ANALYZER_KEY) === analyzer.fingerprint && stored.get(ANALYZER_DICTIONARY_KEY) === dictionary) return;
    const revision = Number(stored.get(ANALYZER_REVISION_KEY) ?? 0) + 1;
    await writeMeta({ [ANALYZER_KEY]: analyzer.fingerprint, [ANALYZER_DICTIONARY_KEY]: dictionary, [ANALYZER_REVISION_KEY]: String(revision) });
  }

  /**
   * The chunks table, opened if another process created it after this store was opened (a server started on an
   * empty index while `kefu ingest` fills it), and re-opened when another process re-created it for a new model.
   */
  let openedGeneration: string | undefined;
  async function chunksTable(): Promise<lancedb.Table | undefined> {
    const table = getChunks();
    if (table) return table;
    if (!(await db.tableNames()).includes(CHUNKS)) return undefined;
    openedGeneration = (await readMeta()).get('generation');
    const opened = await db.openTable(CHUNKS);
    if (!parts.readOnly) await migrateChunks(opened);
    setChunks(opened);
    return opened;
  }

  async function queryChunks(where: string | undefined, columns: readonly string[] | undefined): Promise<ChunkRecord[]> {
    const table = await chunksTable();
    if (!table) return [];
    let query = table.query();
    if (where) query = query.where(where);
    if (columns) query = query.select([...columns]);
    return ((await query.toArray()) as Row[]).map(rowToChunk);
  }

  async function deleteChunksOf(path: string): Promise<void> {
    const table = await chunksTable();
    if (table) await table.delete(`\`docPath\` = ${sqlString(path)}`);
  }

  async function writeDocument(document: DocumentRecord): Promise<void> {
    await documents.mergeInsert('path').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute([documentToRow(document)]);
  }

  async function runKeywordSearch(options: KeywordSearchOptions & { columns: readonly string[] }): Promise<Row[]> {
    const table = await chunksTable();
    const query = table ? keywordFullTextQuery(options.query.trim(), (options.bigrams ?? '').trim(), options.bigramWeight) : undefined;
    if (!table || !query) return [];
    let search = table.query().fullTextSearch(query).select([...options.columns, '_score']).limit(options.limit);
    const where = filterToSql(options.filter);
    if (where) search = search.where(where);
    return (await search.toArray()) as Row[];
  }

  async function runVectorSearch(options: { vector: number[]; limit: number; filter?: ChunkFilter; columns: readonly string[] }): Promise<Row[]> {
    const table = await chunksTable();
    if (!table) return [];
    let search = tuneVectorQuery(table.vectorSearch(options.vector).distanceType('cosine')).select([...options.columns, '_distance']).limit(options.limit);
    const where = filterToSql(options.filter);
    if (where) search = search.where(where);
    return (await search.toArray()) as Row[];
  }

  return {
    async modelId() {
      return wrap('reading the model id', async () => (await readMeta()).get('modelId') || undefined);
    },

    async useModel({ modelId, dimension }) {
      return wrap('switching the embedding model', async () => {
        const stored = await readMeta();
        const previousModelId = stored.get('modelId') || undefined;
        const previousDimension = Number(stored.get('dimension') ?? 0);
        // Another process may have created the chunks table since this store was opened: look again, or this
        // process would drop that process's chunks as if the table were missing.
        const table = await chunksTable();
        if (table && previousModelId === modelId && previousDimension === dimension) return { changed: false, previousModelId };
        const hadVectors = table !== undefined && (await table.countRows()) > 0;
        setChunks(await createChunksTable(dimension));
        if (hadVectors || (previousModelId !== undefined && previousModelId !== modelId)) {
          // The records stay (so `kefu docs list` shows what needs re-embedding, whichever folder it came from);
          // a cleared hash makes the next sync of their folder index them again.
          const reason = `MODEL_MISMATCH: indexed with ${previousModelId ?? 'another model'}; ingest again to re-embed with ${modelId}`;
          await documents.update({
            valuesSql: { contentHash: "''", chunkCount: '0', status: "'failed'", reason: sqlString(reason) },
            where: "`status` = 'indexed'",
          });
        }
        const generation = Number(stored.get('generation') ?? 0) + 1;
        await writeMeta({ modelId, dimension: String(dimension), generation: String(generation) });
        openedGeneration = String(generation);
        return { changed: previousModelId !== undefined && previousModelId !== modelId, previousModelId };
      });
    },

    async usePipeline({ version }) {
      return wrap('recording the ingest pipeline version', async () => {
        const previousVersion = (await readMeta()).get('pipelineVersion') || undefined;
        if (previousVersion === version) return { changed: false, previousVersion };
        const indexed = await documents.countRows("`status` = 'indexed'");
        // A cleared hash makes the next sync of each document's folder read, chunk and write it again.
        if (indexed > 0) await documents.update({ valuesSql: { contentHash: "''" }, where: "`status` = 'indexed'" });
        await writeMeta({ pipelineVersion: version });
        return { changed: indexed > 0, previousVersion };
      });
    },

    async getMeta(key) {
      return wrap(`reading ${key}`, async () => (await readMeta()).get(key));
    },

    async setMeta(key, value) {
      await wrap(`writing ${key}`, async () => writeMeta({ [key]: value }));
    },

    async listDocuments() {
      return wrap('listing documents', async () => ((await documents.query().toArray()) as Row[]).map(rowToDocument).sort((a, b) => a.path.localeCompare(b.path)));
    },

    async getDocument(path) {
      return wrap(path, async () => {
        const rows = (await documents.query().where(`\`path\` = ${sqlString(path)}`).limit(1).toArray()) as Row[];
        return rows[0] ? rowToDocument(rows[0]) : undefined;
      });
    },

    async replaceDocument({ document, chunks }) {
      await this.replaceDocuments([{ document, chunks }]);
    },

    async replaceDocuments(entries) {
      if (entries.length === 0) return;
      await wrap(entries.map((entry) => entry.document.path).join(', '), async () => {
        const table = await chunksTable();
        if (!table) throw new KefuError('STORE_FAILED', { detail: 'no embedding model declared (call useModel first)' });
        for (const { document, chunks } of entries) {
          const foreign = chunks.find((chunk) => chunk.docPath !== document.path);
          if (foreign) throw new KefuError('STORE_FAILED', { detail: `chunk ${foreign.id} belongs to ${foreign.docPath}, not ${document.path}` });
        }
        // One commit: rows of the new versions are updated or inserted, rows of these documents that the new
        // versions no longer have are deleted.
        await table
          .mergeInsert('id')
          .whenMatchedUpdateAll()
          .whenNotMatchedInsertAll()
          .whenNotMatchedBySourceDelete({ where: sqlIn('docPath', entries.map((entry) => entry.document.path)) })
          .execute(entries.flatMap((entry) => entry.chunks.map(chunkToRow)));
        await documents
          .mergeInsert('path')
          .whenMatchedUpdateAll()
          .whenNotMatchedInsertAll()
          .execute(entries.map((entry) => documentToRow({ ...entry.document, chunkCount: entry.chunks.length })));
      });
    },

    async writeChunks({ docPath, chunks }) {
      if (chunks.length === 0) return;
      await wrap(docPath, async () => {
        const table = await chunksTable();
        if (!table) throw new KefuError('STORE_FAILED', { detail: 'no embedding model declared (call useModel first)' });
        const foreign = chunks.find((chunk) => chunk.docPath !== docPath);
        if (foreign) throw new KefuError('STORE_FAILED', { detail: `chunk ${foreign.id} belongs to ${foreign.docPath}, not ${docPath}` });
        await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(chunks.map(chunkToRow));
      });
    },

    async finishDocument(document) {
      await wrap(document.path, async () => {
        const table = await chunksTable();
        // Rows past the new end are what is left of a longer previous version.
        await table?.delete(`\`docPath\` = ${sqlString(document.path)} AND \`ordinal\` >= ${Math.max(0, Math.floor(document.chunkCount))}`);
        await writeDocument(document);
      });
    },

    async recordDocument(document) {
      await wrap(document.path, async () => {
        await deleteChunksOf(document.path);
        await writeDocument({ ...document, chunkCount: 0 });
      });
    },

    async updateDocument(document) {
      await wrap(document.path, async () => writeDocument(document));
    },

    async removeDocument(path) {
      await wrap(path, async () => {
        await deleteChunksOf(path);
        await documents.delete(`\`path\` = ${sqlString(path)}`);
      });
    },

    async vectorsByTextHash(hashes) {
      return wrap('looking up stored vectors', async () => {
        const found = new Map<string, number[]>();
        const unique = [...new Set(hashes)];
        for (let start = 0; start < unique.length; start += 500) {
          const rows = await queryChunks(sqlIn('textHash', unique.slice(start, start + 500)), ['textHash', 'vector']);
          for (const row of rows) if (row.vector.length > 0) found.set(row.textHash, row.vector);
        }
        return found;
      });
    },

    async keywordSearch(options) {
      return wrap('keyword search', async () =>
        (await runKeywordSearch({ ...options, columns: CHUNK_COLUMNS_WITHOUT_VECTOR })).map((row) => ({ chunk: rowToChunk(row), score: number(row, '_score') })),
      );
    },

    async vectorSearch({ vector, limit, filter }) {
      return wrap('vector search', async () =>
        (await runVectorSearch({ vector, limit, filter, columns: CHUNK_COLUMNS_WITHOUT_VECTOR })).map((row) => ({ chunk: rowToChunk(row), score: 1 - number(row, '_distance') })),
      );
    },

    async keywordSearchIds(options) {
      return wrap('keyword search', async () => (await runKeywordSearch({ ...options, columns: ['id'] })).map((row) => ({ id: String(row.id), score: number(row, '_score') })));
    },

    async vectorSearchIds({ vector, limit, filter }) {
      return wrap('vector search', async () => (await runVectorSearch({ vector, limit, filter, columns: ['id'] })).map((row) => ({ id: String(row.id), score: 1 - number(row, '_distance') })));
    },

    async getChunks(ids) {
      return wrap('reading chunks', async () => {
        if (ids.length === 0) return [];
        const byId = new Map((await queryChunks(sqlIn('id', ids), undefined)).map((chunk) => [chunk.id, chunk]));
        return ids.flatMap((id) => byId.get(id) ?? []);
      });
    },

    async neighbours({ docPath, ordinal, radius }) {
      return wrap(docPath, async () => {
        const where = `\`docPath\` = ${sqlString(docPath)} AND \`ordinal\` >= ${Math.floor(ordinal - radius)} AND \`ordinal\` <= ${Math.ceil(ordinal + radius)}`;
        return (await queryChunks(where, undefined)).sort((a, b) => a.ordinal - b.ordinal);
      });
    },

    async faqChunks() {
      return wrap('reading FAQ entries', async () => (await queryChunks("`kind` = 'faq'", undefined)).sort((a, b) => a.docPath.localeCompare(b.docPath) || a.ordinal - b.ordinal));
    },

    async allChunks() {
      return wrap('reading chunks', async () => queryChunks(undefined, CHUNK_COLUMNS_WITHOUT_VECTOR));
    },

    async countChunks() {
      return wrap('counting chunks', async () => (await (await chunksTable())?.countRows()) ?? 0);
    },

    async chunkCountsByDocument() {
      return wrap('counting chunks', async () => {
        const counts = new Map<string, number>();
        const table = await chunksTable();
        if (!table) return counts;
        for (const row of (await table.query().select(['docPath']).toArray()) as Row[]) {
          const path = text(row, 'docPath');
          counts.set(path, (counts.get(path) ?? 0) + 1);
        }
        return counts;
      });
    },

    async removeOrphanChunks() {
      return wrap('removing orphan chunks', async () => {
        const table = await chunksTable();
        if (!table) return 0;
        const known = new Set(((await documents.query().select(['path']).toArray()) as Row[]).map((row) => text(row, 'path')));
        const orphans = [...(await this.chunkCountsByDocument()).entries()].filter(([path]) => !known.has(path));
        for (let start = 0; start < orphans.length; start += 200) {
          await table.delete(sqlIn('docPath', orphans.slice(start, start + 200).map(([path]) => path)));
        }
        return orphans.reduce((sum, [, count]) => sum + count, 0);
      });
    },

    async repair() {
      return wrap('repairing the index', async () => {
        const report: RepairReport = { orphanChunks: 0, duplicateChunks: 0, duplicateRecords: 0, redo: [] };
        const redo = new Set<string>();

        // Duplicate records: keep the newest copy of each path (delete all copies, write one back).
        const recordRows = (await documents.query().toArray()) as Row[];
        const byPath = new Map<string, Row[]>();
        for (const row of recordRows) byPath.set(text(row, 'path'), [...(byPath.get(text(row, 'path')) ?? []), row]);
        const duplicated = [...byPath.entries()].filter(([, copies]) => copies.length > 1);
        for (let start = 0; start < duplicated.length; start += 200) {
          const part = duplicated.slice(start, start + 200);
          const keep = part.map(([, copies]) => [...copies].sort((left, right) => text(right, 'indexedAt').localeCompare(text(left, 'indexedAt')))[0] as Row);
          await documents.delete(sqlIn('path', part.map(([path]) => path)));
          await documents.add(keep.map((row) => documentToRow(rowToDocument(row))));
        }
        for (const [path, copies] of duplicated) {
          report.duplicateRecords += copies.length - 1;
          redo.add(path);
        }

        const table = await chunksTable();
        if (table) {
          // Duplicate chunk rows: keep one row per id (its vector stays reusable), delete the other copies.
          const idRows = (await table.query().select(['id', 'docPath']).toArray()) as Row[];
          const seen = new Set<string>();
          const duplicateIds = new Set<string>();
          for (const row of idRows) {
            const id = text(row, 'id');
            if (seen.has(id)) {
              duplicateIds.add(id);
              report.duplicateChunks++;
              redo.add(text(row, 'docPath'));
            }
            seen.add(id);
          }
          const ids = [...duplicateIds];
          for (let start = 0; start < ids.length; start += 200) {
            const part = ids.slice(start, start + 200);
            const copies = ((await table.query().where(sqlIn('id', part)).toArray()) as Row[]).map(rowToChunk);
            const single = [...new Map(copies.map((chunk) => [chunk.id, chunk])).values()];
            await table.delete(sqlIn('id', part));
            await table.add(single.map(chunkToRow));
          }
          report.orphanChunks = await this.removeOrphanChunks();
        }
        report.redo = [...redo].filter((path) => byPath.has(path)).sort();
        return report;
      });
    },

    async lockForWriting({ owner, activity, timeoutMs, onWait, signal }) {
      return acquireWriterLock({ path: parts.lockPath, holder: { owner, activity }, timeoutMs, ...(onWait ? { onWait } : {}), ...(signal ? { signal } : {}) });
    },

    async optimize() {
      await wrap('optimising the index', async () => {
        const table = await chunksTable();
        if (table) await ensureKeywordIndexes(table);
        if (table) await maintainVectorIndex({ table, ...(parts.vectorIndexMinRows === undefined ? {} : { minRows: parts.vectorIndexMinRows }) });
        // Keeps a day of old versions: a reader that started on an older version can still finish.
        const cleanupOlderThan = new Date(Date.now() - 24 * 60 * 60 * 1000);
        await table?.optimize({ cleanupOlderThan });
        await documents.optimize({ cleanupOlderThan });
      });
    },

    async version() {
      return wrap('reading the index version', async () => {
        // The chunks table is re-created when the model changes and its version restarts at 1: the generation
        // counter keeps the number increasing across re-creations. The analyzer revision moves it when a new
        // analyzer is recorded after its keyword rewrite (so readers pick up the new dictionary).
        // A table another process re-created for a new model (its generation moved) is opened again.
        const stored = await readMeta();
        const storedGeneration = stored.get('generation');
        if (getChunks() && openedGeneration === undefined) openedGeneration = storedGeneration;
        if (getChunks() && storedGeneration !== openedGeneration) {
          getChunks()?.close();
          setChunks(undefined);
        }
        const table = await chunksTable();
        const generation = Number(storedGeneration ?? 0);
        const analyzerRevision = Number(stored.get(ANALYZER_REVISION_KEY) ?? 0);
        return generation * 1_000_000_000 + analyzerRevision + ((await table?.version()) ?? 0);
      });
    },

    async analyzerState() {
      return wrap('reading the analyzer', async () => analyzerStateOf(await readMeta()));
    },

    async analyzer() {
      return wrap('reading the analyzer', async () => analyzerOf(analyzerStateOf(await readMeta())));
    },

    async rewriteKeywords({ analyzer }) {
      return wrap('rewriting keyword columns', async () => {
        const table = await chunksTable();
        let changed = 0;
        let total = 0;
        if (table) {
          await migrateChunks(table);
          const rows = (await table.query().select(['id', 'kind', 'questions', 'answer', 'headingPath', 'text', 'keywords', 'bigrams']).toArray()) as Row[];
          total = rows.length;
          const updates: Array<{ id: string; keywords: string; bigrams: string }> = [];
          for (const row of rows) {
            const source = keywordSource({ kind: text(row, 'kind') === 'faq' ? 'faq' : 'passage', questions: text(row, 'questions'), answer: text(row, 'answer'), headingPath: text(row, 'headingPath'), text: text(row, 'text') });
            const keywords = analyzer.keywordText(source);
            const bigrams = analyzer.bigramText(source);
            if (keywords !== text(row, 'keywords') || bigrams !== text(row, 'bigrams')) updates.push({ id: text(row, 'id'), keywords, bigrams });
          }
          changed = updates.length;
          if (updates.length > 0) {
            // Only the keyword columns are sent: LanceDB updates them in place and leaves the vectors alone.
            const data = lancedb.makeArrowTable(updates, { schema: keywordUpdateSchema });
            await table.mergeInsert('id').whenMatchedUpdateAll().execute(data);
          }
        }
        // Recorded after the rewrite: a crash in between leaves the old fingerprint, so the next sync redoes it.
        await recordAnalyzerIn(analyzer);
        return { chunks: total, changed };
      });
    },

    async close() {
      getChunks()?.close();
      documents.close();
      meta.close();
      db.close();
    },
  };
}
