/**
 * The inbox's intents file at sync time, with the real embedder, a real LanceDB index and real files: trained and
 * saved beside the index (not indexed as a document), retrained embedding only new examples, a broken file recorded
 * as failed (reason and what to do) while the previous model stays in use, bad inputs handled, and the model removed
 * with its file.
 */
import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { INTENT_MODEL_FILE, openStoredIntents } from '../src/intents/stored-model.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import { syncFolder } from './sync.ts';

const intents = (extra = '') => `intent,example,route
order_status,where is my order,action:order-status
order_status,has my parcel shipped,
order_status,when will my package arrive,
order_status,track my delivery,
complaint,I want to make a complaint,person:high
complaint,your service is terrible,
complaint,I am very unhappy with the staff,
complaint,I want to file a complaint,
${extra}`;

let directory: string;
let config: Config;
let store: ChunkStore;
let embedder: Embedder;
let embedded = 0;
let modelFile: string;

const sync = () => syncFolder({ config, store, embedder, root: config.inboxDir });

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-intents-sync-'));
  config = loadConfig({ env: { KEFU_DATA_DIR: directory }, dotenvDir: null, cwd: directory });
  await mkdir(config.inboxDir, { recursive: true });
  await writeFile(path.join(config.inboxDir, 'shipping.md'), '# Shipping\n\nStandard shipping takes 3 to 5 business days.\n');
  const real = await createEmbedder({ config });
  // The real embedder, counting what it is asked to embed.
  embedder = Object.assign(Object.create(real) as Embedder, {
    embedDocuments: async (texts: string[]) => {
      embedded += texts.length;
      return real.embedDocuments(texts);
    },
    dispose: () => real.dispose(),
  });
  store = await openStore({ directory: config.indexDir });
  modelFile = path.join(config.indexDir, INTENT_MODEL_FILE);
}, 120_000);

afterAll(async () => {
  await store?.close();
  await embedder?.dispose();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('the intents file at sync time', () => {
  it('trains the classifier and saves it beside the index; the file is not a document', async () => {
    await writeFile(path.join(config.inboxDir, 'intents.csv'), intents('complaint,one more way to complain\n'));
    const summary = await sync();
    expect(summary.failed).toEqual([]);
    expect(summary.intents).toMatchObject({ path: 'intents.csv', intents: 2, examples: 9, trained: true });
    expect((await store.listDocuments()).map((document) => document.path)).toEqual(['shipping.md']);
    const loaded = await openStoredIntents({ file: modelFile, embedderModelId: embedder.modelId }).current();
    expect(loaded?.routes.get('complaint')).toEqual({ kind: 'person', priority: 'high' });
    expect((await loaded?.model.classifyText({ text: 'where is my parcel', embedder }))?.intent).toBe('order_status');
    // Unchanged: nothing read again.
    expect((await sync()).intents).toBeUndefined();
  }, 120_000);

  it('retrains after an edit embedding only the new examples; a route change alone keeps the classifier', async () => {
    embedded = 0;
    await writeFile(path.join(config.inboxDir, 'intents.csv'), intents('complaint,one more way to complain\ncomplaint,this is unacceptable\n'));
    const summary = await sync();
    expect(summary.intents).toMatchObject({ trained: true, embedded: 1, examples: 10 });
    expect(embedded).toBe(1);
    embedded = 0;
    await writeFile(path.join(config.inboxDir, 'intents.csv'), intents('complaint,one more way to complain\ncomplaint,this is unacceptable\n').replace('person:high', 'person:urgent'));
    expect((await sync()).intents).toMatchObject({ trained: false });
    expect(embedded).toBe(0);
    const loaded = await openStoredIntents({ file: modelFile, embedderModelId: embedder.modelId }).current();
    expect(loaded?.routes.get('complaint')).toEqual({ kind: 'person', priority: 'urgent' });
  }, 120_000);

  it('records a broken file as failed with the reason and what to do, and keeps the previous model in use', async () => {
    const before = await readFile(modelFile, 'utf8');
    await writeFile(path.join(config.inboxDir, 'intents.csv'), `${intents()}refund,how do I get a refund,phone:123\n`);
    const summary = await sync();
    expect(summary.failed).toEqual([expect.objectContaining({ path: 'intents.csv', code: 'INTENTS_INVALID', reason: expect.stringMatching(/line 10: intent "refund": unknown route "phone:123"/), hint: expect.stringContaining('kefu intents check') })]);
    expect(await readFile(modelFile, 'utf8')).toBe(before);
    expect((await store.listDocuments()).find((document) => document.path === 'intents.csv')).toMatchObject({ status: 'failed', reason: expect.stringContaining('INTENTS_INVALID') });
    // Fixed: the failure record goes.
    await writeFile(path.join(config.inboxDir, 'intents.csv'), intents('complaint,one more way to complain\n'));
    expect((await sync()).failed).toEqual([]);
    expect((await store.listDocuments()).map((document) => document.path)).toEqual(['shipping.md']);
  }, 120_000);

  it('handles an intent with one example, an example in two intents, and 100,000 lines', async () => {
    const lines = ['intent,example'];
    for (let index = 0; index < 100_000; index++) lines.push(index % 2 === 0 ? `order_status,where is my order number ${index % 50}` : `complaint,I want to complain about thing ${index % 50}`);
    lines.push('lonely,just one example here', 'order_status,hello there', 'complaint,hello there');
    await writeFile(path.join(config.inboxDir, 'intents.csv'), lines.join('\n'));
    const started = performance.now();
    const summary = await sync();
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(summary.failed).toEqual([]);
    const warnings = summary.intents?.warnings.join('\n') ?? '';
    expect(warnings).toMatch(/intent "lonely" has only one example/);
    expect(warnings).toMatch(/hello there/);
    // 25 distinct examples of each big intent (the rest repeat), the lonely one; "hello there" is left out of both.
    expect(summary.intents).toMatchObject({ intents: 3, examples: 51 });
  }, 120_000);

  it('removes the model with its file', async () => {
    await unlink(path.join(config.inboxDir, 'intents.csv'));
    await sync();
    await expect(stat(modelFile)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await openStoredIntents({ file: modelFile, embedderModelId: embedder.modelId }).current()).toBeUndefined();
  }, 120_000);
});
