import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import type { SyncSummary } from './sync.ts';
import { watchFolder, type FolderWatcher } from './watch.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const note = (index: number, topic = 'parcel lockers') => `# Note ${index}\n\nPolicy note number ${index} about ${topic}.`;

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
    await Promise.all(files.map((name, index) => writeFile(path.join(inbox, name), note(index))));
    await writeFile(path.join(inbox, 'broken.pdf'), '%PDF-1.7 not really');

    await waitFor(async () => (await store.listDocuments()).length === files.length + 1, 'all dropped files to be recorded');
    expect((await store.getDocument('note-042.md'))?.status).toBe('indexed');
    expect((await store.getDocument('broken.pdf'))?.status).toBe('failed');
    // One burst, debounced: a couple of syncs at most, not one per file.
    await waitFor(() => syncs.length > syncsBefore, 'the sync to report');
    expect(syncs.length - syncsBefore).toBeLessThanOrEqual(3);
    expect(logged).toContain('indexed note-042.md: 1 chunks (1 embedded, 0 reused)');
    expect(logged.some((line) => line.startsWith('failed  broken.pdf: INGEST_CORRUPT'))).toBe(true);

    await unlink(path.join(inbox, 'note-007.md'));
    await waitFor(async () => (await store.getDocument('note-007.md')) === undefined, 'the deleted file to be removed');
    expect(logged).toContain('removed note-007.md');
    expect((await store.keywordSearch({ query: '7', limit: 200 })).map((hit) => hit.chunk.docPath)).not.toContain('note-007.md');
    await waitFor(() => watcher.status().state === 'idle', 'the watcher to be idle');
    expect(watcher.status().lastSuccessAt).toBeDefined();
  });

  it('keeps indexing after a file is edited while a sync runs (the watcher used to stop for good)', async () => {
    const inbox = watcher.root;
    await Promise.all(Array.from({ length: 30 }, (_, index) => writeFile(path.join(inbox, `batch-${index}.md`), note(index, 'gift wrapping'))));
    await waitFor(() => watcher.status().state === 'syncing', 'a sync to start');
    await writeFile(path.join(inbox, 'batch-3.md'), note(3, 'a zebra clause'));
    await waitFor(async () => (await store.keywordSearch({ query: 'zebra', limit: 1 }))[0]?.chunk.docPath === 'batch-3.md', 'the edit to be indexed');
    // And long after: a new file is still picked up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await writeFile(path.join(inbox, 'later.md'), note(999, 'an aardvark policy'));
    await waitFor(async () => (await store.keywordSearch({ query: 'aardvark', limit: 1 })).length === 1, 'a later file to be indexed');
  });
});

describe('the watcher under awkward timing', () => {
  let directory: string;
  let embedder: Embedder;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-watch-timing-'));
    embedder = await createEmbedder({ config: loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
  });
  afterAll(async () => {
    await embedder.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  async function start(name: string, env: Record<string, string>): Promise<{ config: Config; store: ChunkStore; inbox: string; logged: string[]; open: (store: ChunkStore) => Promise<FolderWatcher> }> {
    const inbox = path.join(directory, name, 'inbox');
    await mkdir(inbox, { recursive: true });
    const config = loadConfig({ env: { KEFU_DATA_DIR: path.join(directory, name, 'data'), KEFU_INBOX: inbox, ...env }, dotenvDir: null });
    const store = await openStore({ directory: config.indexDir });
    const logged: string[] = [];
    const logger = { info: (message: string) => logged.push(message), warn: (message: string) => logged.push(message), error: (message: string) => logged.push(message) };
    return { config, store, inbox, logged, open: (target) => watchFolder({ config, store: target, embedder, logger }) };
  }

  it('indexes a file added while the first sync runs', async () => {
    const { store, inbox, open } = await start('initial', { KEFU_WATCH_DEBOUNCE_MS: '300' });
    await Promise.all(Array.from({ length: 60 }, (_, index) => writeFile(path.join(inbox, `existing-${index}.md`), note(index))));
    const watcher = await open(store);
    try {
      await waitFor(() => watcher.status().state === 'syncing', 'the first sync to start');
      await writeFile(path.join(inbox, 'arrived-during-sync.md'), note(1000, 'a narwhal rule'));
      await watcher.ready;
      await waitFor(async () => (await store.keywordSearch({ query: 'narwhal', limit: 1 })).length === 1, 'the file added during the first sync');
      expect((await store.listDocuments()).length).toBe(61);
    } finally {
      await watcher.close();
      await store.close();
    }
  });

  it('indexes a steady trickle (a file every 400 ms) within the maximum wait, not when the trickle stops', async () => {
    // Debounce 1 s: with a file every 400 ms the folder is never quiet; the 2 s maximum wait forces syncs.
    const { store, inbox, open } = await start('trickle', { KEFU_WATCH_DEBOUNCE_MS: '1000', KEFU_WATCH_MAX_WAIT_MS: '2000' });
    const watcher = await open(store);
    try {
      await watcher.ready;
      let stop = false;
      const trickle = (async () => {
        for (let index = 0; !stop && index < 200; index++) {
          await writeFile(path.join(inbox, `trickle-${index}.md`), note(index, `trickle topic ${index}`));
          await new Promise((resolve) => setTimeout(resolve, 400));
        }
      })();
      // The first file is answerable while files keep arriving.
      await waitFor(async () => (await store.getDocument('trickle-0.md'))?.status === 'indexed', 'the first file of the trickle', 60_000);
      const stillArriving = !stop;
      stop = true;
      await trickle;
      expect(stillArriving).toBe(true);
      expect(watcher.stats().syncs).toBeGreaterThanOrEqual(2);
    } finally {
      await watcher.close();
      await store.close();
    }
  });

  it('reports a watcher whose syncs fail as stalled, with the error, and recovers when they work again', async () => {
    const { config, store, inbox, open } = await start('failing', { KEFU_WATCH_DEBOUNCE_MS: '200' });
    await writeFile(path.join(inbox, 'first.md'), note(1));
    // The store the watcher writes through is closed under it: every sync fails as a broken index would.
    const broken = await openStore({ directory: config.indexDir });
    const watcher = await open(broken);
    try {
      await watcher.ready;
      await broken.close();
      await writeFile(path.join(inbox, 'second.md'), note(2));
      await waitFor(() => watcher.status().state === 'stalled', 'the watcher to report stalled');
      expect(watcher.status().lastError).toMatch(/^STORE_FAILED: /);
      expect(watcher.stats().failures).toBeGreaterThanOrEqual(1);
    } finally {
      await watcher.close();
    }
    // A healthy store: the same folder is caught up, nothing was lost.
    const healthy = await open(store);
    try {
      await healthy.ready;
      expect(healthy.status()).toMatchObject({ state: 'idle' });
      expect((await store.getDocument('second.md'))?.status).toBe('indexed');
    } finally {
      await healthy.close();
      await store.close();
    }
  });
});
