import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';
import { bigramQuery, bigramText, createAnalyzer, keywordQuery, keywordText } from '../text/index.ts';
import { openStore, type ChunkStore } from './index.ts';
import type { ChunkRecord, DocumentRecord } from './types.ts';

// Store-level tests: the vectors are small hand-made unit vectors so that the expected cosine order is obvious.
// The embedder is exercised end to end in ingest/sync.int.test.ts.
const DIMENSION = 4;

function unit(values: number[]): number[] {
  const length = Math.hypot(...values);
  return values.map((value) => value / length);
}

function documentRecord(docPath: string, overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    path: docPath, root: '/inbox', title: docPath, type: 'markdown', contentHash: `hash-${docPath}`, size: 10, status: 'indexed',
    reason: '', chunkCount: 0, pageCount: 0, modifiedAt: new Date(0).toISOString(), indexedAt: new Date().toISOString(), ...overrides,
  };
}

function chunk(docPath: string, ordinal: number, text: string, vector: number[], overrides: Partial<ChunkRecord> = {}): ChunkRecord {
  return {
    id: `${docPath}-${ordinal}`, docPath, title: docPath, docType: 'markdown', kind: 'passage', ordinal, headingPath: '', page: 0, text,
    language: 'en', questions: '', answer: '', category: '', faqId: '', keywords: keywordText(text), bigrams: bigramText(text), textHash: `text-${text}`, vector: unit(vector), ...overrides,
  };
}

describe('LanceDB chunk store', () => {
  let directory: string;
  let store: ChunkStore;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-store-'));
    store = await openStore({ directory });
    await store.useModel({ modelId: 'test-model', dimension: DIMENSION });
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('finds 退款 in a chunk whose keywords came from 如何申请退款, before and after the index is optimised', async () => {
    await store.replaceDocument({ document: documentRecord('faq.md'), chunks: [chunk('faq.md', 0, '如何申请退款', [1, 0, 0, 0], { language: 'zh' }), chunk('faq.md', 1, '配送需要几天', [0, 1, 0, 0], { language: 'zh' })] });
    const before = await store.keywordSearch({ query: keywordQuery('退款'), limit: 5 });
    expect(before.map((hit) => hit.chunk.text)).toEqual(['如何申请退款']);
    await store.optimize();
    const after = await store.keywordSearch({ query: keywordQuery('退款'), limit: 5 });
    expect(after.map((hit) => hit.chunk.text)).toEqual(['如何申请退款']);
    expect(after[0]?.score).toBeGreaterThan(0);
  });

  it('never returns a removed or replaced document from either search', async () => {
    await store.replaceDocument({ document: documentRecord('old.md'), chunks: [chunk('old.md', 0, 'refund window is 30 days', [1, 0, 0, 0])] });
    await store.replaceDocument({ document: documentRecord('keep.md'), chunks: [chunk('keep.md', 0, 'shipping takes 5 days', [0, 1, 0, 0])] });
    await store.optimize(); // the removed rows are now inside the full-text index, not just unindexed rows

    await store.removeDocument('old.md');
    expect((await store.keywordSearch({ query: keywordQuery('refund'), limit: 5 })).map((hit) => hit.chunk.docPath)).toEqual([]);
    expect((await store.vectorSearch({ vector: unit([1, 0, 0, 0]), limit: 5 })).map((hit) => hit.chunk.docPath)).toEqual(['keep.md']);
    expect(await store.getDocument('old.md')).toBeUndefined();

    // Replacing: the new version's text is found, the old version's text is not.
    await store.replaceDocument({ document: documentRecord('keep.md', { contentHash: 'v2' }), chunks: [chunk('keep.md', 0, 'delivery takes 3 days', [0, 0, 1, 0])] });
    expect(await store.keywordSearch({ query: keywordQuery('shipping'), limit: 5 })).toEqual([]);
    expect((await store.keywordSearch({ query: keywordQuery('delivery'), limit: 5 })).map((hit) => hit.chunk.text)).toEqual(['delivery takes 3 days']);
    expect((await store.getDocument('keep.md'))?.chunkCount).toBe(1);
  });

  it('replaces a shorter new version without leaving the old tail chunks behind', async () => {
    const three = [0, 1, 2].map((ordinal) => chunk('a.md', ordinal, `part ${ordinal} alpha`, [1, ordinal, 0, 0]));
    await store.replaceDocument({ document: documentRecord('a.md'), chunks: three });
    await store.replaceDocument({ document: documentRecord('a.md'), chunks: [chunk('a.md', 0, 'only part beta', [1, 0, 0, 0])] });
    expect((await store.allChunks()).map((stored) => stored.text)).toEqual(['only part beta']);
    expect(await store.countChunks()).toBe(1);
  });

  it('scores vector hits by cosine similarity and applies filters, quotes included', async () => {
    const tricky = "it's policy.md";
    await store.replaceDocument({ document: documentRecord(tricky), chunks: [chunk(tricky, 0, 'returns policy', [1, 0, 0, 0])] });
    await store.replaceDocument({ document: documentRecord('faq.csv', { type: 'faq' }), chunks: [chunk('faq.csv', 0, 'can I return it', [1, 1, 0, 0], { kind: 'faq', docType: 'faq', questions: 'can I return it', answer: 'yes' })] });
    const hits = await store.vectorSearch({ vector: unit([1, 0, 0, 0]), limit: 5 });
    expect(hits.map((hit) => hit.chunk.docPath)).toEqual([tricky, 'faq.csv']);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits[1]?.score).toBeCloseTo(Math.SQRT1_2, 5);
    expect(hits[0]?.chunk.vector).toEqual([]);

    const filtered = await store.vectorSearch({ vector: unit([1, 0, 0, 0]), limit: 5, filter: { docPath: [tricky] } });
    expect(filtered.map((hit) => hit.chunk.docPath)).toEqual([tricky]);
    expect((await store.keywordSearch({ query: keywordQuery('return returns'), limit: 5, filter: { kind: ['faq'] } })).map((hit) => hit.chunk.docPath)).toEqual(['faq.csv']);
    expect((await store.faqChunks()).map((faq) => faq.answer)).toEqual(['yes']);
  });

  it('returns stored vectors by text hash, neighbours in order, and chunks by id', async () => {
    const chunks = [0, 1, 2, 3, 4].map((ordinal) => chunk('long.md', ordinal, `section ${ordinal}`, [1, ordinal, 1, 0]));
    await store.replaceDocument({ document: documentRecord('long.md'), chunks });
    const vectors = await store.vectorsByTextHash(['text-section 1', 'text-missing']);
    expect([...vectors.keys()]).toEqual(['text-section 1']);
    expect(vectors.get('text-section 1')?.[1]).toBeCloseTo(chunks[1]?.vector[1] ?? 0, 5);
    expect((await store.neighbours({ docPath: 'long.md', ordinal: 2, radius: 1 })).map((neighbour) => neighbour.ordinal)).toEqual([1, 2, 3]);
    expect((await store.getChunks(['long.md-4', 'long.md-0'])).map((found) => found.ordinal)).toEqual([4, 0]);
  });

  it('drops vectors and marks documents for re-indexing when the model changes, and the version moves on', async () => {
    await store.replaceDocument({ document: documentRecord('a.md'), chunks: [chunk('a.md', 0, 'alpha', [1, 0, 0, 0])] });
    const versionBefore = await store.version();
    expect(await store.modelId()).toBe('test-model');
    const change = await store.useModel({ modelId: 'other-model', dimension: 8 });
    expect(change).toEqual({ changed: true, previousModelId: 'test-model' });
    expect(await store.countChunks()).toBe(0);
    const document = await store.getDocument('a.md');
    expect(document?.contentHash).toBe('');
    expect(document?.reason).toMatch(/^MODEL_MISMATCH/);
    expect(await store.version()).toBeGreaterThan(versionBefore);
    expect(await store.modelId()).toBe('other-model');
  });

  it('removes chunks left without a document record, and a failed record removes the stale chunks', async () => {
    await store.replaceDocument({ document: documentRecord('a.md'), chunks: [chunk('a.md', 0, 'alpha', [1, 0, 0, 0])] });
    await store.replaceDocument({ document: documentRecord('b.md'), chunks: [chunk('b.md', 0, 'beta', [0, 1, 0, 0])] });
    await store.removeDocument('missing.md'); // unknown path: nothing happens
    // Simulates a crash between the chunk commit and the record commit: chunks of b.md exist, its record does not.
    const database = await lancedb.connect(directory);
    await (await database.openTable('documents')).delete("`path` = 'b.md'");
    database.close();
    const reopened = await openStore({ directory });
    expect(await reopened.countChunks()).toBe(2);
    expect(await reopened.removeOrphanChunks()).toBe(1);
    expect((await reopened.allChunks()).map((stored) => stored.docPath)).toEqual(['a.md']);
    await reopened.recordDocument(documentRecord('a.md', { status: 'failed', reason: 'INGEST_CORRUPT: damaged' }));
    expect(await reopened.countChunks()).toBe(0);
    expect((await reopened.getDocument('a.md'))?.status).toBe('failed');
    await reopened.close();
  });

  it('finds a Chinese word through character pairs when jieba cut the passage and the question differently', async () => {
    // Without a user dictionary jieba cuts 花呗 into 花/呗 in the passage; the words alone would also match 借呗's 呗.
    await store.replaceDocument({ document: documentRecord('pay.md'), chunks: [chunk('pay.md', 0, '花呗的还款日是每月十日', [1, 0, 0, 0], { language: 'zh' }), chunk('pay.md', 1, '借呗的还款日可以自己选', [0, 1, 0, 0], { language: 'zh' })] });
    const hits = await store.keywordSearch({ query: keywordQuery('花呗什么时候还'), bigrams: bigramQuery('花呗什么时候还'), limit: 5 });
    expect(hits[0]?.chunk.text).toBe('花呗的还款日是每月十日');
    expect(await store.keywordSearch({ query: '', bigrams: '', limit: 5 })).toEqual([]);
  });

  it('rewrites the keyword columns for a new analyzer without touching vectors, and records it', async () => {
    await store.replaceDocument({ document: documentRecord('pay.md', { chunkCount: 2 }), chunks: [chunk('pay.md', 0, '花呗的还款日是每月十日', [1, 0, 0, 0]), chunk('pay.md', 1, 'Shipping takes 5 days', [0, 1, 0, 0])] });
    const before = await store.version();
    const analyzer = createAnalyzer({ dictionary: { words: [{ word: '花呗' }], synonyms: [['还款', '还钱']] } });
    expect(await store.analyzerState()).toBeUndefined();
    const rewrite = await store.rewriteKeywords({ analyzer });
    expect(rewrite).toEqual({ chunks: 2, changed: 1 });
    expect(await store.analyzerState()).toEqual({ fingerprint: analyzer.fingerprint, dictionary: '花呗\n还款=还钱' });
    expect((await store.analyzer()).fingerprint).toBe(analyzer.fingerprint);
    expect(await store.version()).toBeGreaterThan(before);
    const [rewritten] = await store.getChunks(['pay.md-0']);
    expect(rewritten?.keywords.split(' ')).toContain('花呗');
    expect(rewritten?.vector).toEqual(unit([1, 0, 0, 0]).map((value) => Math.fround(value)));
    expect((await store.keywordSearch({ query: analyzer.keywordQuery('花呗怎么还钱'), limit: 5 }))[0]?.chunk.id).toBe('pay.md-0');
    // the same analyzer again changes nothing
    expect(await store.rewriteKeywords({ analyzer })).toEqual({ chunks: 2, changed: 0 });
  });
});

describe('an index written before the bigrams column', () => {
  let directory: string;
  afterEach(async () => rm(directory, { recursive: true, force: true }));

  it('migrates on open: the column and its index are added, vectors and rows kept, and a rewrite fills it', async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-store-old-'));
    // The chunks table as kefu wrote it before (no `bigrams`), with its keyword index.
    const db = await lancedb.connect(directory);
    const textColumns = ['id', 'docPath', 'title', 'docType', 'kind', 'headingPath', 'text', 'language', 'questions', 'answer', 'category', 'faqId', 'keywords', 'textHash'];
    const oldSchema = new Schema([
      ...textColumns.map((name) => new Field(name, new Utf8(), false)),
      new Field('ordinal', new Int32(), false),
      new Field('page', new Int32(), false),
      new Field('vector', new FixedSizeList(DIMENSION, new Field('item', new Float32(), true)), false),
    ]);
    const old = await db.createEmptyTable('chunks', oldSchema);
    await old.createIndex('keywords', { config: lancedb.Index.fts({ baseTokenizer: 'whitespace', stem: false, removeStopWords: false, lowercase: true, asciiFolding: false, withPosition: false }) });
    const { bigrams: _bigrams, ...row } = chunk('faq.md', 0, '如何申请退款', [0, 0, 1, 0], { keywords: '如何 申请 退款' });
    await old.add([row]);
    await db.createEmptyTable('meta', new Schema([new Field('key', new Utf8(), false), new Field('value', new Utf8(), false)]));
    await (await db.openTable('meta')).add([{ key: 'modelId', value: 'test-model' }, { key: 'dimension', value: String(DIMENSION) }]);
    db.close();

    const store = await openStore({ directory });
    try {
      expect((await store.useModel({ modelId: 'test-model', dimension: DIMENSION })).changed).toBe(false);
      expect(await store.countChunks()).toBe(1);
      expect((await store.keywordSearch({ query: keywordQuery('退款'), bigrams: bigramQuery('退款'), limit: 5 })).map((hit) => hit.chunk.id)).toEqual(['faq.md-0']);
      await store.rewriteKeywords({ analyzer: createAnalyzer() });
      const [migrated] = await store.getChunks(['faq.md-0']);
      expect(migrated?.bigrams).toBe('如何 何申 申请 请退 退款');
      expect(migrated?.vector).toEqual([0, 0, 1, 0]);
      expect((await store.keywordSearch({ query: '', bigrams: bigramQuery('申请退款'), limit: 5 })).map((hit) => hit.chunk.id)).toEqual(['faq.md-0']);
    } finally {
      await store.close();
    }
  });
});
