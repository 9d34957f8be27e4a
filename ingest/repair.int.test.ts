/**
 * Crash and concurrency repair: what two writers at once or a kill left in the index (duplicate chunk rows,
 * duplicate document records, orphan chunks, records whose chunks are missing) is fixed by one sync, and the
 * next sync finds nothing to repair.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import { syncFolder, type SyncEvent } from './sync.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

describe('repairing an index that two writers or a crash damaged', () => {
  let directory: string;
  let inbox: string;
  let config: Config;
  let embedder: Embedder;
  let store: ChunkStore;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-repair-'));
    inbox = path.join(directory, 'inbox');
    await mkdir(inbox);
    config = loadConfig({ env: { KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: inbox }, dotenvDir: null });
    embedder = await createEmbedder({ config: loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
    store = await openStore({ directory: config.indexDir });
  });
  afterAll(async () => {
    await store.close();
    await embedder.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  const sync = async () => {
    const repairs: Array<Extract<SyncEvent, { type: 'reconciled' }>> = [];
    const summary = await syncFolder({ config, store, embedder, root: inbox, onProgress: (event) => { if (event.type === 'reconciled') repairs.push(event); } });
    return { summary, repairs };
  };

  async function rows(table: string): Promise<Array<Record<string, unknown>>> {
    const database = await lancedb.connect(config.indexDir);
    try {
      return (await (await database.openTable(table)).query().toArray()) as Array<Record<string, unknown>>;
    } finally {
      database.close();
    }
  }

  it('fixes duplicate chunk rows, duplicate records and orphans in one run; the next run reports nothing', async () => {
    for (let index = 0; index < 6; index++) {
      await writeFile(path.join(inbox, `policy-${index}.md`), `# Policy ${index}\n\nPolicy ${index} covers parcel lockers in district ${index}.\n\n## Fees\n\nLocker fee for district ${index} is ${index + 1} dollars.`);
    }
    const first = await sync();
    expect(first.summary.indexed).toHaveLength(6);
    expect(first.repairs).toEqual([]);
    const chunksBefore = await store.countChunks();

    // What two concurrent writers leave: the same chunk rows inserted twice, the same record twice.
    const database = await lancedb.connect(config.indexDir);
    const chunks = await database.openTable('chunks');
    const documents = await database.openTable('documents');
    const duplicateChunks = (await chunks.query().where("`docPath` IN ('policy-1.md', 'policy-2.md')").toArray()) as Array<Record<string, unknown>>;
    await chunks.add(duplicateChunks.map((row) => ({ ...row, vector: Array.from(row.vector as Iterable<number>) })));
    const duplicateRecords = (await documents.query().where("`path` IN ('policy-2.md', 'policy-3.md')").toArray()) as Array<Record<string, unknown>>;
    await documents.add(duplicateRecords);
    // What a crash between the two commits leaves: chunks of a document that has no record.
    const orphan = { ...duplicateChunks[0], id: 'orphan-0', docPath: 'gone.md', vector: Array.from(duplicateChunks[0]?.vector as Iterable<number>) };
    await chunks.add([orphan]);
    database.close();
    expect(await store.countChunks()).toBe(chunksBefore + duplicateChunks.length + 1);

    const repaired = await sync();
    expect(repaired.repairs).toHaveLength(1);
    expect(repaired.repairs[0]?.orphanChunks).toBe(1);
    expect(repaired.repairs[0]?.duplicateRecords).toBe(2);
    expect(repaired.repairs[0]?.duplicateChunks).toBe(duplicateChunks.length);
    // Which copy was right is unknowable: policy-1..3 are re-done from their files (vectors reused, nothing re-embedded).
    expect(repaired.repairs[0]?.staleDocuments).toBe(3);
    expect(repaired.summary.indexed.map((file) => file.path).sort()).toEqual(['policy-1.md', 'policy-2.md', 'policy-3.md']);
    expect(repaired.summary.chunksEmbedded).toBe(0);
    expect(repaired.summary.failed).toEqual([]);

    const chunkRows = await rows('chunks');
    const ids = chunkRows.map((row) => String(row.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(chunkRows).toHaveLength(chunksBefore);
    const paths = (await rows('documents')).map((row) => String(row.path));
    expect(paths.sort()).toEqual(Array.from({ length: 6 }, (_, index) => `policy-${index}.md`));
    expect((await store.keywordSearch({ query: 'district 2', limit: 10 })).filter((hit) => hit.chunk.docPath === 'policy-2.md')).toHaveLength(2);

    const again = await sync();
    expect(again.repairs).toEqual([]);
    expect(again.summary.indexed).toEqual([]);
    expect(again.summary.skipped).toHaveLength(6);
  });
});
