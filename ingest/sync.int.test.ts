import { appendFile, mkdir, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePdf } from '../test/support/pdf.ts';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import { bigramQuery, keywordQuery } from '../src/text/index.ts';
import { ingestFiles, syncFolder, type SyncSummary } from './sync.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

const policyPdf = () =>
  makePdf({ info: { Title: 'Lumen Returns Policy' } }, (document) => {
    document.fontSize(18).text('Returns');
    document.fontSize(11).text('You have 30 days from delivery to return an item for a full refund.');
    document.addPage().text('We ship to Hong Kong and Macau; delivery takes 5 to 8 business days.');
    document.addPage().text('Every product has a 2-year warranty against manufacturing defects.');
  });

/** A Markdown file with many sections, so that editing one changes few chunks. */
function handbook(changedSection?: number): string {
  const topics = ['Opening hours', 'Gift cards', 'Loyalty points', 'Price matching', 'Student discount', 'Corporate orders', 'Repairs', 'Recycling'];
  return `# Store handbook\n\n${topics
    .map((topic, index) => `## ${topic}\n\n${index === changedSection ? `The ${topic.toLowerCase()} rules were rewritten in March with a new zebra clause.` : `${topic} are explained here in detail for customers.`} ${'This paragraph repeats the policy so that each section is a chunk of its own. '.repeat(12)}`)
    .join('\n\n')}\n`;
}

/** Counts the texts the real embedder is asked to embed. */
function counting(embedder: Embedder): { embedder: Embedder; texts: () => number; reset: () => void } {
  let texts = 0;
  return {
    embedder: {
      get modelId() { return embedder.modelId; },
      get dimension() { return embedder.dimension; },
      get maxTokens() { return embedder.maxTokens; },
      get languages() { return embedder.languages; },
      get truncatedCount() { return embedder.truncatedCount; },
      embedDocuments: async (batch) => {
        texts += batch.length;
        return embedder.embedDocuments(batch);
      },
      embedQuery: (text) => embedder.embedQuery(text),
      countTokens: (text) => embedder.countTokens(text),
      dispose: async () => {},
    },
    texts: () => texts,
    reset: () => { texts = 0; },
  };
}

describe('folder sync', () => {
  let realEmbedder: Embedder;
  let counter: ReturnType<typeof counting>;
  let directory: string;
  let inbox: string;
  let config: Config;
  let store: ChunkStore;

  beforeAll(async () => {
    realEmbedder = await createEmbedder({ config: loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
    counter = counting(realEmbedder);
  });
  afterAll(async () => {
    await realEmbedder.dispose();
  });

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-sync-'));
    inbox = path.join(directory, 'inbox');
    await mkdir(inbox);
    config = loadConfig({ env: { KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: inbox, KEFU_MAX_FILE_MB: '0.05' }, dotenvDir: null });
    store = await openStore({ directory: config.indexDir });
    counter.reset();
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  const sync = (options: { embedder?: Embedder; onProgress?: Parameters<typeof syncFolder>[0]['onProgress'] } = {}): Promise<SyncSummary> =>
    syncFolder({ config, store, embedder: options.embedder ?? counter.embedder, root: inbox, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });

  it('indexes PDFs with page numbers, skips everything on the second run, and finds the text both ways', async () => {
    await writeFile(path.join(inbox, 'returns.pdf'), await policyPdf());
    await mkdir(path.join(inbox, 'store'));
    await writeFile(path.join(inbox, 'store', 'handbook.md'), handbook());
    await writeFile(path.join(inbox, '.hidden.md'), '# Secret\n\nnot a document');
    await writeFile(path.join(inbox, '~$draft.docx'), 'office lock file');
    await writeFile(path.join(inbox, 'upload.pdf.crdownload'), 'partial download');

    const first = await sync();
    expect(first.failed).toEqual([]);
    expect(first.indexed.map((file) => file.path).sort()).toEqual(['returns.pdf', 'store/handbook.md']);
    const returns = first.indexed.find((file) => file.path === 'returns.pdf');
    expect(returns?.pages).toBe(3);
    expect(counter.texts()).toBe(first.chunksEmbedded);

    const hits = await store.keywordSearch({ query: keywordQuery('How long does delivery to Macau take?'), limit: 3 });
    expect(hits[0]?.chunk.docPath).toBe('returns.pdf');
    expect(hits[0]?.chunk.page).toBe(2);
    const vectorHits = await store.vectorSearch({ vector: await realEmbedder.embedQuery('warranty for defects'), limit: 1 });
    expect(vectorHits[0]?.chunk).toMatchObject({ docPath: 'returns.pdf', page: 3, title: 'Lumen Returns Policy' });

    counter.reset();
    const second = await sync();
    expect(second.skipped.sort()).toEqual(['returns.pdf', 'store/handbook.md']);
    expect(second.indexed).toEqual([]);
    expect(counter.texts()).toBe(0);

    // Touched but identical bytes: still skipped (by hash), nothing embedded.
    await utimes(path.join(inbox, 'returns.pdf'), new Date(), new Date(Date.now() + 5000));
    const touched = await sync();
    expect(touched.skipped).toContain('returns.pdf');
    expect(counter.texts()).toBe(0);
  });

  it('re-embeds only the chunks whose text changed, and the old text is no longer found', async () => {
    await writeFile(path.join(inbox, 'handbook.md'), handbook());
    const first = await sync();
    const total = first.indexed[0]?.chunks ?? 0;
    expect(total).toBeGreaterThanOrEqual(6);

    counter.reset();
    await writeFile(path.join(inbox, 'handbook.md'), handbook(3));
    const second = await sync();
    const changed = second.indexed[0];
    expect(changed?.chunks).toBe(total);
    expect(changed?.embedded).toBeGreaterThan(0);
    expect(changed?.embedded).toBeLessThanOrEqual(2);
    expect(changed?.reused).toBe(total - (changed?.embedded ?? 0));
    expect(counter.texts()).toBe(changed?.embedded);

    expect((await store.keywordSearch({ query: keywordQuery('zebra'), limit: 3 })).map((hit) => hit.chunk.headingPath)).toEqual(['Store handbook > Price matching']);
    expect(await store.keywordSearch({ query: keywordQuery('Price matching are explained here'), limit: 20 })).not.toContainEqual(expect.objectContaining({ chunk: expect.objectContaining({ text: expect.stringContaining('Price matching are explained') }) }));
    expect(await store.countChunks()).toBe(total);
  });

  it('removes a deleted file from both searches', async () => {
    await writeFile(path.join(inbox, 'returns.pdf'), await policyPdf());
    await writeFile(path.join(inbox, 'refunds.md'), '# Refunds\n\nRefunds reach your card within 7 days.\n\n退款会在7天内退回原支付方式。');
    await sync();
    expect((await store.keywordSearch({ query: keywordQuery('退款'), limit: 5 })).map((hit) => hit.chunk.docPath)).toEqual(['refunds.md']);

    await unlink(path.join(inbox, 'refunds.md'));
    const summary = await sync();
    expect(summary.removed).toEqual(['refunds.md']);
    expect(await store.getDocument('refunds.md')).toBeUndefined();
    expect(await store.keywordSearch({ query: keywordQuery('退款 card'), limit: 5 })).toEqual([]);
    const vectorHits = await store.vectorSearch({ vector: await realEmbedder.embedQuery('Refunds reach your card within 7 days'), limit: 10 });
    expect(vectorHits.map((hit) => hit.chunk.docPath)).not.toContain('refunds.md');
    expect(vectorHits.length).toBeGreaterThan(0);
  });

  it('reports each bad input with its code, records it, goes on with the batch and keeps what was indexed', async () => {
    await writeFile(path.join(inbox, 'good.md'), '# Shipping\n\nWe ship worldwide within 3 days.');
    await sync();

    const outside = path.join(directory, 'outside.md');
    await writeFile(outside, '# Outside\n\nThis file lives outside the inbox.');
    const bad: Record<string, string> = {
      'truncated.pdf': 'INGEST_CORRUPT',
      'locked.pdf': 'INGEST_PASSWORD',
      'scan.pdf': 'INGEST_NO_TEXT',
      'empty.md': 'INGEST_EMPTY',
      'program.txt': 'INGEST_BINARY',
      'slides.pptx': 'INGEST_UNSUPPORTED_TYPE',
      'huge.md': 'INGEST_TOO_LARGE',
      'products.csv': 'INGEST_FAQ_COLUMNS',
      'weird.txt': 'INGEST_ENCODING',
      'link.md': 'INGEST_OUTSIDE_INBOX',
      'vanishing.md': 'INGEST_VANISHED',
    };
    const pdf = await policyPdf();
    await writeFile(path.join(inbox, 'truncated.pdf'), pdf.subarray(0, Math.floor(pdf.length / 2)));
    await writeFile(path.join(inbox, 'locked.pdf'), await makePdf({ userPassword: 'secret', ownerPassword: 'owner' }, (document) => document.text('Hidden text')));
    await writeFile(path.join(inbox, 'scan.pdf'), await makePdf({}, (document) => document.rect(50, 50, 200, 120).fill('#333333')));
    await writeFile(path.join(inbox, 'empty.md'), '');
    await writeFile(path.join(inbox, 'program.txt'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x3e, 0x00]));
    await writeFile(path.join(inbox, 'slides.pptx'), 'not really slides');
    await writeFile(path.join(inbox, 'huge.md'), `# Huge\n\n${'A very long policy line. '.repeat(3000)}`);
    await writeFile(path.join(inbox, 'products.csv'), 'Name,Price,Stock\nLamp,20,3\n');
    await writeFile(path.join(inbox, 'weird.txt'), Buffer.from([0x48, 0x69, 0x20, 0xff, 0xfe, 0xfd, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x20, 0x21]));
    await symlink(outside, path.join(inbox, 'link.md'));
    await writeFile(path.join(inbox, 'vanishing.md'), '# Gone\n\nThis file is deleted after the folder is listed.');
    await writeFile(path.join(inbox, 'zz-new.md'), '# Warranty\n\nTwo years on all lamps.');

    const summary = await sync({
      onProgress: (event) => {
        // Deleted between listing and reading, as a user emptying the folder mid-run would.
        if (event.type === 'scanned') void unlink(path.join(inbox, 'vanishing.md'));
      },
    });
    const codes = Object.fromEntries(summary.failed.map((failed) => [failed.path, failed.code]));
    expect(codes).toEqual(bad);
    for (const failed of summary.failed) expect(failed.reason.length).toBeGreaterThan(10);
    expect(summary.indexed.map((file) => file.path)).toEqual(['zz-new.md']);
    expect(summary.skipped).toEqual(['good.md']);

    const records = new Map((await store.listDocuments()).map((record) => [record.path, record]));
    for (const [file, code] of Object.entries(bad)) {
      expect(records.get(file)?.status, file).toBe('failed');
      expect(records.get(file)?.reason, file).toMatch(new RegExp(`^${code}: `));
    }
    expect(records.get('good.md')?.status).toBe('indexed');
    expect((await store.keywordSearch({ query: keywordQuery('worldwide'), limit: 3 }))[0]?.chunk.docPath).toBe('good.md');
    expect(await store.keywordSearch({ query: keywordQuery('outside inbox'), limit: 3 })).toEqual([]);
  });

  it('removes the stale chunks of a file whose new version fails, and records why', async () => {
    await writeFile(path.join(inbox, 'faq.csv'), 'question,answer\nDo you ship to Macau?,Yes: 5 to 8 business days.\n');
    const first = await sync();
    expect(first.indexed[0]?.chunks).toBe(1);
    expect((await store.faqChunks())[0]?.answer).toBe('Yes: 5 to 8 business days.');

    await writeFile(path.join(inbox, 'faq.csv'), 'Name,Price\nLamp,20\n');
    const second = await sync();
    expect(second.failed.map((failed) => failed.code)).toEqual(['INGEST_FAQ_COLUMNS']);
    expect(await store.faqChunks()).toEqual([]);
    expect((await store.getDocument('faq.csv'))?.status).toBe('failed');
  });

  it('re-embeds everything when the embedding model changes', async () => {
    await writeFile(path.join(inbox, 'returns.pdf'), await policyPdf());
    await sync();
    // The other weights of the bundled model (int8 when the default is fp32, and the other way round).
    const otherDtype = realEmbedder.modelId.includes(':q8') ? 'fp32' : 'q8';
    const q8 = await createEmbedder({ config: loadConfig({ env: { KEFU_EMBEDDING_DTYPE: otherDtype }, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
    try {
      expect(q8.modelId).not.toBe(realEmbedder.modelId);
      const events: string[] = [];
      const summary = await sync({ embedder: q8, onProgress: (event) => events.push(event.type) });
      expect(summary.modelChangedFrom).toBe(realEmbedder.modelId);
      expect(events).toContain('model-changed');
      expect(summary.indexed.map((file) => file.path)).toEqual(['returns.pdf']);
      expect(summary.chunksReused).toBe(0);
      expect(await store.modelId()).toBe(q8.modelId);
      const hits = await store.vectorSearch({ vector: await q8.embedQuery('warranty against defects'), limit: 1 });
      expect(hits[0]?.score).toBeGreaterThan(0.3);
    } finally {
      await q8.dispose();
    }
  });

  it('recovers from a crash between the chunk write and the record write', async () => {
    await writeFile(path.join(inbox, 'a.md'), '# Alpha\n\nAlpha policy text about gift wrapping.');
    await writeFile(path.join(inbox, 'b.md'), '# Beta\n\nBeta policy text about store pickup.');
    await sync();
    // Crash 1: a.md's chunks were written but its record was not. Crash 2: b.md's record says 1 chunk, none stored.
    const database = await lancedb.connect(config.indexDir);
    await (await database.openTable('documents')).delete("`path` = 'a.md'");
    await (await database.openTable('chunks')).delete("`docPath` = 'b.md'");
    database.close();
    // Meanwhile a.md's file changed too.
    await appendFile(path.join(inbox, 'a.md'), '\n\nGift wrapping is free in December.');

    const events: string[] = [];
    const summary = await sync({ onProgress: (event) => { if (event.type === 'reconciled') events.push(`${event.orphanChunks}/${event.staleDocuments}`); } });
    expect(events).toEqual(['1/1']);
    expect(summary.indexed.map((file) => file.path).sort()).toEqual(['a.md', 'b.md']);
    expect((await store.keywordSearch({ query: keywordQuery('december'), limit: 3 }))[0]?.chunk.docPath).toBe('a.md');
    expect((await store.keywordSearch({ query: keywordQuery('pickup'), limit: 3 }))[0]?.chunk.docPath).toBe('b.md');
    const again = await sync();
    expect(again.skipped.sort()).toEqual(['a.md', 'b.md']);
  });

  it('ingests a folder outside the inbox keyed relative to it, without touching the inbox documents', async () => {
    await writeFile(path.join(inbox, 'inbox.md'), '# Inbox\n\nInbox document about opening hours.');
    await sync();
    const other = path.join(directory, 'pdfs');
    await mkdir(other);
    await writeFile(path.join(other, 'returns.pdf'), await policyPdf());
    const [summary] = await ingestFiles({ config, store, embedder: counter.embedder, paths: [other] });
    expect(summary?.indexed.map((file) => file.path)).toEqual(['returns.pdf']);
    expect((await store.listDocuments()).map((record) => record.path)).toEqual(['inbox.md', 'returns.pdf']);
    await unlink(path.join(other, 'returns.pdf'));
    const [after] = await ingestFiles({ config, store, embedder: counter.embedder, paths: [other] });
    expect(after?.removed).toEqual(['returns.pdf']);
    expect((await store.listDocuments()).map((record) => record.path)).toEqual(['inbox.md']);
  });

  it('reads terms.txt as the user dictionary, not a document: synonyms match, bad lines are reported, an edit re-indexes keywords without re-embedding', async () => {
    await writeFile(path.join(inbox, 'refunds.md'), '# 退款\n\n花呗的退款会退回花呗额度，一般三个工作日到账。借呗不支持退款。');
    await writeFile(path.join(inbox, 'terms.txt'), '花呗\n借呗\n退款=退钱\n退款=\n');
    const first = await sync();
    expect(first.indexed.map((file) => file.path)).toEqual(['refunds.md']);
    expect(first.dictionary?.problems).toEqual([expect.objectContaining({ line: 4, problem: expect.stringMatching(/two terms/) })]);
    const search = (question: string) => store.keywordSearch({ query: keywordQuery(question), bigrams: bigramQuery(question), limit: 3 });
    expect((await search('花唄咋退錢')).map((hit) => hit.chunk.docPath)).toEqual(['refunds.md']);
    expect(keywordQuery('花呗咋退钱')).toBe('花呗 退款');

    // A new synonym and term: the keyword columns are rewritten, nothing is embedded again.
    counter.reset();
    await writeFile(path.join(inbox, 'terms.txt'), '花呗\n借呗\n花呗额度\n退款=退钱=退费\n');
    const second = await sync();
    expect(second.indexed).toEqual([]);
    expect(second.dictionary?.rewritten?.changed).toBeGreaterThan(0);
    expect(second.dictionary?.problems).toEqual([]);
    expect(counter.texts()).toBe(0);
    expect((await search('退费要多久')).map((hit) => hit.chunk.docPath)).toEqual(['refunds.md']);
    expect((await store.allChunks()).some((chunk) => chunk.keywords.split(' ').includes('花呗额度'))).toBe(true);
    expect((await store.analyzerState())?.dictionary).toContain('退款=退钱=退费');

    // Nothing changed: no rebuild.
    const third = await sync();
    expect(third.dictionary).toBeUndefined();
  });
});
