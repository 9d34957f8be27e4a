/**
 * A reader replica's view of the index: it never writes (not even creating the tables), follows the writer's new
 * versions within its refresh interval, and keeps answering from its last good version when the newest one cannot be
 * read.
 */
import { readdir, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bigramText, keywordQuery, keywordText } from '../text/index.ts';
import { openStore, type ChunkStore } from './index.ts';
import type { ChunkRecord, DocumentRecord } from './types.ts';

function documentRecord(docPath: string): DocumentRecord {
  return {
    path: docPath, root: '/inbox', title: docPath, type: 'markdown', contentHash: `hash-${docPath}`, size: 10, status: 'indexed',
    reason: '', chunkCount: 1, pageCount: 0, modifiedAt: new Date(0).toISOString(), indexedAt: new Date().toISOString(),
  };
}

function chunk(docPath: string, text: string): ChunkRecord {
  return {
    id: `${docPath}-0`, docPath, title: docPath, docType: 'markdown', kind: 'passage', ordinal: 0, headingPath: '', page: 0, text,
    language: 'en', questions: '', answer: '', category: '', faqId: '', keywords: keywordText(text), bigrams: bigramText(text), textHash: `text-${text}`, vector: [1, 0, 0, 0],
  };
}

async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<{ value: T; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (value !== undefined) return { value, elapsedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const found = (store: ChunkStore, word: string) => async () => {
  const hits = await store.keywordSearch({ query: keywordQuery(word), limit: 5 });
  return hits.length > 0 ? hits.map((hit) => hit.chunk.docPath) : undefined;
};

describe('a reader replica of the index', () => {
  let directory: string;
  let writer: ChunkStore;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-reader-'));
    writer = await openStore({ directory });
    await writer.useModel({ modelId: 'test-model', dimension: 4 });
    await writer.replaceDocument({ document: documentRecord('refunds.md'), chunks: [chunk('refunds.md', 'refunds take five days')] });
  });
  afterEach(async () => {
    await writer.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses every write and the writer lock with INDEX_READ_ONLY, and never creates an index', async () => {
    const reader = await openStore({ directory, readOnly: { refreshMs: 100 } });
    await expect(reader.lockForWriting({ owner: 'kefu ingest', activity: 'indexing', timeoutMs: 0 })).rejects.toMatchObject({ code: 'INDEX_READ_ONLY' });
    await expect(reader.replaceDocument({ document: documentRecord('x.md'), chunks: [] })).rejects.toMatchObject({ code: 'INDEX_READ_ONLY' });
    await expect(reader.useModel({ modelId: 'other', dimension: 8 })).rejects.toMatchObject({ code: 'INDEX_READ_ONLY' });
    expect(await found(reader, 'refunds')()).toEqual(['refunds.md']);
    await reader.close();

    const empty = await mkdtemp(path.join(tmpdir(), 'kefu-reader-empty-'));
    const waits: string[] = [];
    await expect(openStore({ directory: empty, readOnly: { refreshMs: 100, waitMs: 1500, onWait: (message) => waits.push(message) } })).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(waits[0]).toContain('waiting for the writer');
    expect(await readdir(empty)).toEqual([]);
    await rm(empty, { recursive: true, force: true });
  });

  it('sees a document the writer added within its refresh interval (the delay is printed)', async () => {
    const reader = await openStore({ directory, readOnly: { refreshMs: 500 } });
    expect(await found(reader, 'shipping')()).toBeUndefined();
    await writer.replaceDocument({ document: documentRecord('shipping.md'), chunks: [chunk('shipping.md', 'shipping takes three days')] });
    const { value, elapsedMs } = await until(found(reader, 'shipping'), 'the new document on the reader');
    expect(value).toEqual(['shipping.md']);
    console.log(`reader picked up the new index version after ${elapsedMs} ms (refresh interval 500 ms)`);
    await reader.close();
  });

  it('keeps answering from its last good version when the newest one cannot be read', async () => {
    const stale: string[] = [];
    const reader = await openStore({ directory, readOnly: { refreshMs: 200, onStale: (message) => stale.push(message) } });
    expect(await found(reader, 'refunds')()).toEqual(['refunds.md']);
    // A damaged newest manifest of the chunks table (a writer on a flaky disk, or files removed under the reader).
    const versions = path.join(directory, 'chunks.lance', '_versions');
    const manifests = (await readdir(versions)).filter((name) => name.endsWith('.manifest'));
    // Manifest names are the version, or (v2 paths, 20 digits) u64::MAX minus the version so the newest sorts first.
    const v2 = manifests.some((file) => /^\d{20}\.manifest$/.test(file));
    const maximum = (1n << 64n) - 1n;
    const versionsSeen = manifests.map((file) => BigInt(file.split('.')[0] ?? '0')).map((number) => (v2 ? maximum - number : number));
    const next = versionsSeen.reduce((a, b) => (a > b ? a : b)) + 1n;
    const name = v2 ? `${String(maximum - next).padStart(20, '0')}.manifest` : `${next}.manifest`;
    await writeFile(path.join(versions, name), 'not a manifest');
    await until(async () => (stale.length > 0 ? true : undefined), 'the reader noticing the damaged version', 10_000);
    for (let index = 0; index < 5; index += 1) {
      expect(await found(reader, 'refunds')()).toEqual(['refunds.md']);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stale[0]).toContain('answering from version');
    await reader.close();
  });
});

describe('the index at a URI (KEFU_INDEX_URI)', () => {
  it('opens a file:// URI with storage options and keeps the writer lock on local disk where it is told', async () => {
    // This checks kefu's plumbing (URI, storage options, lock path) with LanceDB's file:// store. It is not a test
    // of S3: no S3-compatible server runs here (docs/scale-out.md).
    const directory = await mkdtemp(path.join(tmpdir(), 'kefu-uri-'));
    const lockPath = path.join(directory, 'local', 'index.lock');
    await import('node:fs/promises').then(({ mkdir }) => mkdir(path.dirname(lockPath), { recursive: true }));
    const store = await openStore({ directory: `file://${directory}/remote/index`, storageOptions: { timeout: '30s' }, lockPath });
    await store.useModel({ modelId: 'test-model', dimension: 4 });
    const lock = await store.lockForWriting({ owner: 'test', activity: 'writing', timeoutMs: 0 });
    await store.replaceDocument({ document: documentRecord('refunds.md'), chunks: [chunk('refunds.md', 'refunds take five days')] });
    lock.release();
    expect(await found(store, 'refunds')()).toEqual(['refunds.md']);
    expect((await readdir(path.join(directory, 'local'))).some((name) => name.startsWith('index.lock'))).toBe(true);
    expect(await readdir(path.join(directory, 'remote', 'index'))).toContain('chunks.lance');
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });
});
