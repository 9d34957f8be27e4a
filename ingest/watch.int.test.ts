import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import type { SyncSummary } from './sync.ts';
import { watchFolder, type FolderWatcher } from './watch.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('watching the inbox', () => {
  let directory: string;
  let embedder: Embedder;
  let store: ChunkStore;
  let watcher: FolderWatcher;
  const logged: string[] = [];
  const syncs: SyncSummary[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-watch-'));
    // The inbox does not exist yet: the watcher creates it.
    const config = loadConfig({ env: { KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: path.join(directory, 'inbox'), KEFU_WATCH_DEBOUNCE_MS: '300' }, dotenvDir: null });
    embedder = await createEmbedder({ config: loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
    store = await openStore({ directory: config.indexDir });
    const logger = { info: (message: string) => logged.push(message), warn: (message: string) => logged.push(message), error: (message: string) => logged.push(message) };
    watcher = await watchFolder({ config, store, embedder, logger, onSync: (summary) => syncs.push(summary) });
    await watcher.ready;
  });
  afterAll(async () => {
    await watcher.close();
    await store.close();
    await embedder.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('indexes a burst of dropped files in few syncs, logs each outcome, and removes a deleted file', async () => {
    const inbox = watcher.root;
    const files = Array.from({ length: 120 }, (_, index) => `note-${String(index).padStart(3, '0')}.md`);
    const syncsBefore = syncs.length;
    await Promise.all(files.map((name, index) => writeFile(path.join(inbox, name), `# Note ${index}\n\nPolicy note number ${index} about parcel lockers.`)));
    await writeFile(path.join(inbox, 'broken.pdf'), '%PDF-1.7 not really');

    await waitFor(async () => (await store.listDocuments()).length === files.length + 1, 'all dropped files to be recorded');
    expect((await store.getDocument('note-042.md'))?.status).toBe('indexed');
    expect((await store.getDocument('broken.pdf'))?.status).toBe('failed');
    // One burst, debounced: a couple of syncs at most, not one per file.
    await waitFor(async () => syncs.length > syncsBefore, 'the sync to report');
    expect(syncs.length - syncsBefore).toBeLessThanOrEqual(3);
    expect(logged).toContain('indexed note-042.md: 1 chunks (1 embedded, 0 reused)');
    expect(logged.some((line) => line.startsWith('failed  broken.pdf: INGEST_CORRUPT'))).toBe(true);

    await unlink(path.join(inbox, 'note-007.md'));
    await waitFor(async () => (await store.getDocument('note-007.md')) === undefined, 'the deleted file to be removed');
    expect(logged).toContain('removed note-007.md');
    expect((await store.keywordSearch({ query: '7', limit: 200 })).map((hit) => hit.chunk.docPath)).not.toContain('note-007.md');
  });
});
