/**
 * Hostile and large input through the real sync: zip bombs, a symlink loop, a large FAQ sheet written in batches,
 * and a `kefu ingest` killed with SIGKILL half-way through one.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import { makeDocxBomb, makePdfBomb, makeXlsx } from '../test/support/zip.ts';
import { syncFolder, type SyncEvent } from './sync.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');
const bundledModel = path.join(repositoryRoot, 'data', 'models', 'bundled');
const MB = 1024 * 1024;

/** A CSV FAQ of `rows` distinct questions. */
function faqCsv(rows: number, changedRow?: number): string {
  const lines = ['question,answer'];
  for (let row = 1; row <= rows; row++) {
    lines.push(`How long does delivery to postcode ${row} take?,Parcels to postcode ${row} arrive in ${(row % 6) + 2} business days${row === changedRow ? ' (new courier)' : ''}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** Peak resident memory of a process, in MB, from /proc (Linux). */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

describe('sync under hostile and large input', () => {
  let directory: string;
  let inbox: string;
  let config: Config;
  let embedder: Embedder;
  let store: ChunkStore;

  beforeAll(async () => {
    embedder = await createEmbedder({ config: loadConfig({ env: { KEFU_EMBEDDING_MODEL: bundledModel }, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
  });
  afterAll(async () => {
    await embedder.dispose();
  });
  beforeEach(async (context) => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-hardening-'));
    inbox = path.join(directory, 'inbox');
    await mkdir(inbox);
    config = loadConfig({ env: { KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: inbox, KEFU_EMBEDDING_MODEL: bundledModel }, dotenvDir: null });
    store = await openStore({ directory: config.indexDir });
    context.onTestFinished(async () => {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    });
  });

  it('records zip bombs and a symlink loop as failed, with the reason, and indexes the rest', async () => {
    await writeFile(path.join(inbox, 'bomb.docx'), makeDocxBomb({ xmlBytes: 100 * MB }));
    await writeFile(path.join(inbox, 'bomb.xlsx'), makeXlsx({ xmlBytes: 60 * MB }));
    await writeFile(path.join(inbox, 'bomb.pdf'), makePdfBomb({ contentBytes: 300 * MB }));
    await writeFile(path.join(inbox, 'returns.md'), '# Returns\n\nReturns are accepted within 30 days.');
    await symlink(path.join(inbox, 'loop-b.md'), path.join(inbox, 'loop-a.md'));
    await symlink(path.join(inbox, 'loop-a.md'), path.join(inbox, 'loop-b.md'));

    const summary = await syncFolder({ config, store, embedder, root: inbox });
    expect(Object.fromEntries(summary.failed.map((failed) => [failed.path, failed.code]))).toEqual({
      'bomb.docx': 'INGEST_LIMIT',
      'bomb.pdf': 'INGEST_LIMIT',
      'bomb.xlsx': 'INGEST_LIMIT',
      'loop-a.md': 'INGEST_LINK_LOOP',
      'loop-b.md': 'INGEST_LINK_LOOP',
    });
    expect(summary.failed.find((failed) => failed.path === 'loop-a.md')?.reason).toMatch(/Symbolic link loop: loop-a\.md \(the link leads back to itself\)/);
    expect(summary.indexed.map((file) => file.path)).toEqual(['returns.md']);
    expect((await store.getDocument('bomb.docx'))?.reason).toMatch(/^INGEST_LIMIT: .*expands more than 100 times/);
  });

  it('writes a large FAQ sheet in committed batches, reports its warnings, and re-embeds only an edited row', async () => {
    // Batches of 100 rows here (1000 by default) keep the test short on a busy machine.
    await writeFile(path.join(inbox, 'faq.csv'), `${faqCsv(450)}Question without answer?,\n`);
    const events: SyncEvent[] = [];
    const summary = await syncFolder({ config, store, embedder, root: inbox, batchChunks: 100, onProgress: (event) => events.push(event) });
    expect(summary.indexed).toHaveLength(1);
    expect(summary.indexed[0]).toMatchObject({ path: 'faq.csv', chunks: 450, embedded: 450, reused: 0 });
    expect(summary.indexed[0]?.warnings[0]).toMatch(/Skipped 1 row/);
    // Progress moved within the file, not only at its end.
    expect(events.filter((event) => event.type === 'chunks' && event.path === 'faq.csv').length).toBeGreaterThan(5);
    const record = await store.getDocument('faq.csv');
    expect(record).toMatchObject({ status: 'indexed', chunkCount: 450, type: 'faq' });
    expect(record?.reason).toMatch(/Skipped 1 row/);
    expect(await store.countChunks()).toBe(450);
    expect((await store.keywordSearch({ query: 'postcode 377', limit: 1 }))[0]?.chunk.faqId).toBe('row-377');

    // A shorter version with one edited row: one row embedded, the rows past the new end are gone.
    await writeFile(path.join(inbox, 'faq.csv'), faqCsv(320, 150));
    const edited = await syncFolder({ config, store, embedder, root: inbox, batchChunks: 100 });
    expect(edited.indexed[0]).toMatchObject({ chunks: 320, embedded: 1, reused: 319 });
    expect(await store.countChunks()).toBe(320);
    expect((await store.keywordSearch({ query: 'courier', limit: 1 }))[0]?.chunk.faqId).toBe('row-150');
  });

  it('keeps what a sync killed with SIGKILL committed of a large sheet; the next run finishes it and embeds only the rest', async () => {
    await writeFile(path.join(inbox, 'faq.csv'), faqCsv(800));
    // A real process running the real sync (batches of 100 rows, to be quick), killed without warning.
    const script = `
      const { loadConfig } = await import(${JSON.stringify(pathToFileURL(path.join(repositoryRoot, 'src/config/index.ts')).href)});
      const { createEmbedder } = await import(${JSON.stringify(pathToFileURL(path.join(repositoryRoot, 'src/embeddings/index.ts')).href)});
      const { openStore } = await import(${JSON.stringify(pathToFileURL(path.join(repositoryRoot, 'src/store/index.ts')).href)});
      const { syncFolder } = await import(${JSON.stringify(pathToFileURL(path.join(repositoryRoot, 'ingest/sync.ts')).href)});
      const config = loadConfig({ dotenvDir: null });
      const embedder = await createEmbedder({ config, logger: { warn: () => {} } });
      const store = await openStore({ directory: config.indexDir });
      await syncFolder({ config, store, embedder, root: config.inboxDir, batchChunks: 100 });`;
    const env = { ...process.env, KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: inbox, KEFU_EMBEDDING_MODEL: bundledModel };
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repositoryRoot, env, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill it once a few batches are committed and the record says the sheet is being written.
    const deadline = Date.now() + 150_000;
    for (;;) {
      const record = await store.getDocument('faq.csv');
      if (record?.status === 'indexing' && (await store.countChunks()) >= 300) break;
      if (Date.now() > deadline) throw new Error('the sync never committed a batch');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await exited;
    expect((await store.getDocument('faq.csv'))?.status).toBe('indexing');
    const kept = await store.countChunks();
    expect(kept).toBeGreaterThanOrEqual(300);
    expect(kept).toBeLessThan(800);
    // What was committed is searchable meanwhile.
    expect((await store.keywordSearch({ query: 'postcode 42', limit: 1 }))[0]?.chunk.faqId).toBe('row-42');

    const repairs: SyncEvent[] = [];
    const resumed = await syncFolder({ config, store, embedder, root: inbox, batchChunks: 100, onProgress: (event) => { if (event.type === 'reconciled') repairs.push(event); } });
    expect(repairs).toEqual([expect.objectContaining({ staleDocuments: 1 })]);
    expect(resumed.indexed[0]).toMatchObject({ path: 'faq.csv', chunks: 800 });
    expect(resumed.indexed[0]?.reused).toBeGreaterThanOrEqual(kept);
    expect(await store.getDocument('faq.csv')).toMatchObject({ status: 'indexed', chunkCount: 800 });
    const database = await lancedb.connect(config.indexDir);
    try {
      const ids = ((await (await database.openTable('chunks')).query().select(['id']).toArray()) as Array<{ id: string }>).map((row) => row.id);
      expect(ids).toHaveLength(800);
      expect(new Set(ids).size).toBe(800);
    } finally {
      database.close();
    }
    const again = await syncFolder({ config, store, embedder, root: inbox });
    expect(again.skipped).toEqual(['faq.csv']);
  });

  it('`kefu ingest` survives a folder of zip bombs with bounded memory and exits 1 naming them', async () => {
    await writeFile(path.join(inbox, 'bomb-100mb.docx'), makeDocxBomb({ xmlBytes: 100 * MB }));
    await writeFile(path.join(inbox, 'bomb-20mb.docx'), makeDocxBomb({ xmlBytes: 20 * MB }));
    await writeFile(path.join(inbox, 'bomb.xlsx'), makeXlsx({ xmlBytes: 100 * MB }));
    await writeFile(path.join(inbox, 'policy.md'), '# Warranty\n\nTwo years on all lamps.');
    const env = { ...process.env, KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: inbox, KEFU_EMBEDDING_MODEL: bundledModel };
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), 'ingest'], { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    let peak = 0;
    const sampler = setInterval(() => void peakRssMb(child.pid ?? 0).then((value) => (peak = Math.max(peak, value))), 50);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    clearInterval(sampler);
    expect(code).toBe(1);
    expect(stdout).toMatch(/bomb-100mb\.docx\s+INGEST_LIMIT/);
    expect(stdout).toMatch(/bomb\.xlsx\s+INGEST_LIMIT/);
    expect(stdout).toMatch(/1 indexed, 0 skipped unchanged, 3 failed/);
    // The model and the index take ~300-400 MB; the bombs add next to nothing (they held 4.7 GB before).
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(700);
  });
});
