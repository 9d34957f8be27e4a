/**
 * The ANN vector index: the writer's `optimize` builds it once the table passes the configured size, rebuilds it
 * when many rows were added since, and searches through it still find what an exact search finds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type ChunkStore } from './index.ts';
import type { ChunkRecord, DocumentRecord } from './types.ts';
import { vectorIndexState } from './vector-index.ts';

const DIMENSION = 16;

/** Seeded unit vectors in clusters (like texts on a few topics), so an IVF index has structure to find. */
function vectors(count: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const centres = Array.from({ length: 12 }, () => Array.from({ length: DIMENSION }, next));
  return Array.from({ length: count }, (_, index) => {
    const vector = (centres[index % centres.length] ?? []).map((value) => value + next() * 0.4);
    const length = Math.hypot(...vector);
    return vector.map((value) => value / length);
  });
}

function document(docPath: string, chunkCount: number): DocumentRecord {
  return { path: docPath, title: docPath, type: 'markdown', contentHash: docPath, size: 1, status: 'indexed', reason: '', chunkCount, pageCount: 0, modifiedAt: new Date(0).toISOString(), indexedAt: new Date().toISOString() };
}

function chunks(docPath: string, values: number[][]): ChunkRecord[] {
  return values.map((vector, ordinal) => ({
    id: `${docPath}-${ordinal}`, docPath, title: docPath, docType: 'markdown', kind: 'passage', ordinal, headingPath: '', page: 0, text: `passage ${ordinal}`,
    language: 'en', questions: '', answer: '', category: '', faqId: '', keywords: `passage ${ordinal}`, bigrams: '', textHash: `${docPath}-${ordinal}`, vector,
  }));
}

describe('ANN vector index', () => {
  let directory: string;
  let store: ChunkStore;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-vector-index-'));
    store = await openStore({ directory, vectorIndexMinRows: 800 });
    await store.useModel({ modelId: 'test-model', dimension: DIMENSION });
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function state() {
    const db = await lancedb.connect(directory);
    const table = await db.openTable('chunks');
    try {
      return await vectorIndexState(table);
    } finally {
      table.close();
    }
  }

  it('is built only past the threshold, rebuilt after many new rows, and searches through it find the exact nearest', async () => {
    const first = vectors(500, 7);
    await store.replaceDocuments([{ document: document('a.md', first.length), chunks: chunks('a.md', first) }]);
    await store.optimize();
    expect(await state()).toMatchObject({ indexed: false, rows: 500 });

    const second = vectors(500, 11);
    await store.replaceDocuments([{ document: document('b.md', second.length), chunks: chunks('b.md', second) }]);
    await store.optimize();
    expect(await state()).toMatchObject({ indexed: true, rows: 1000, unindexedRows: 0 });

    // A few rows more are added to the trained index by LanceDB's optimize; many more retrain it.
    const few = vectors(50, 13);
    await store.replaceDocuments([{ document: document('c.md', few.length), chunks: chunks('c.md', few) }]);
    await store.optimize();
    expect(await state()).toMatchObject({ indexed: true, rows: 1050, unindexedRows: 0 });
    expect((await store.vectorSearchIds({ vector: few[3] ?? [], limit: 1 }))[0]?.id).toBe('c.md-3');
    const many = vectors(400, 17);
    await store.replaceDocuments([{ document: document('d.md', many.length), chunks: chunks('d.md', many) }]);
    await store.optimize();
    expect(await state()).toMatchObject({ indexed: true, rows: 1450, unindexedRows: 0 });

    for (const [docPath, values] of [['a.md', first], ['b.md', second], ['d.md', many]] as const) {
      for (const ordinal of [0, 37, 211]) {
        const hits = await store.vectorSearchIds({ vector: values[ordinal] ?? [], limit: 5 });
        expect(hits[0]).toMatchObject({ id: `${docPath}-${ordinal}`, score: expect.closeTo(1, 4) });
      }
    }
  });
});
