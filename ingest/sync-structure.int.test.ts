import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePdf } from '../test/support/pdf.ts';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import { keywordQuery, keywordText } from '../src/text/index.ts';
import { pipelineVersion } from './pipeline-version.ts';
import { syncFolder, type SyncEvent, type SyncSummary } from './sync.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

/** A plan brochure as a company's PDFs often are: the company on the cover (and in the metadata), the plan below. */
const planPdf = (plan: string, fact: string) =>
  makePdf({ info: { Title: 'Contoso Electronics' } }, (document) => {
    document.font('Helvetica-Bold').fontSize(30).text('Contoso Electronics');
    document.fontSize(20).text(`${plan} Plan`);
    document.addPage();
    document.font('Helvetica-Bold').fontSize(14).text('Coverage');
    document.font('Helvetica').fontSize(11).text(fact);
  });

describe('sync: pipeline version and titles', () => {
  let embedder: Embedder;
  let embedded = 0;
  let directory: string;
  let inbox: string;
  let config: Config;
  let store: ChunkStore;

  beforeAll(async () => {
    const real = await createEmbedder({ config: loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
    embedder = {
      get modelId() { return real.modelId; },
      get dimension() { return real.dimension; },
      get maxTokens() { return real.maxTokens; },
      get truncatedCount() { return real.truncatedCount; },
      get languages() { return real.languages; },
      embedDocuments: async (texts) => {
        embedded += texts.length;
        return real.embedDocuments(texts);
      },
      embedQuery: (text) => real.embedQuery(text),
      countTokens: (text) => real.countTokens(text),
      dispose: () => real.dispose(),
    };
  });
  afterAll(async () => {
    await embedder.dispose();
  });
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-sync-structure-'));
    inbox = path.join(directory, 'inbox');
    await mkdir(inbox);
    config = loadConfig({ env: { KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: inbox }, dotenvDir: null });
    store = await openStore({ directory: config.indexDir });
    embedded = 0;
  });
  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  const sync = (onProgress?: (event: SyncEvent) => void): Promise<SyncSummary> => syncFolder({ config, store, embedder, root: inbox, ...(onProgress ? { onProgress } : {}) });

  it('re-indexes every document when the pipeline version changes, reusing the vectors of unchanged texts', async () => {
    await writeFile(path.join(inbox, 'prices.md'), '# Prices\n\n| Plan | Price |\n|---|---|\n| Basic | $5 |\n| Plus | $9 |\n\nPrices include tax.\n');
    await writeFile(path.join(inbox, 'returns.md'), '# Returns\n\nYou have 30 days to return an item.\n');
    const first = await sync();
    expect(first.indexed).toHaveLength(2);
    expect(first.pipelineChanged).toBeUndefined();
    const chunks = await store.countChunks();
    const version = await store.getMeta('pipelineVersion');
    expect(version).toBe(pipelineVersion({ modelId: embedder.modelId, chunkTokens: config.ingest.chunkTokens, chunkOverlap: config.ingest.chunkOverlap }));

    // Unchanged files, same pipeline: nothing to do.
    expect((await sync()).skipped).toHaveLength(2);

    // The index says an older pipeline built it (as an index from before this version would).
    await store.setMeta('pipelineVersion', 'ingest 1; analyzer 1');
    embedded = 0;
    const events: string[] = [];
    const rerun = await sync((event) => events.push(event.type));
    expect(rerun.pipelineChanged).toEqual({ previousVersion: 'ingest 1; analyzer 1', version });
    expect(events).toContain('pipeline-changed');
    expect(rerun.indexed.map((file) => file.path).sort()).toEqual(['prices.md', 'returns.md']);
    expect(rerun.modelChangedFrom).toBeUndefined();
    // Same texts: every vector reused, nothing embedded, the vectors were not dropped.
    expect(embedded).toBe(0);
    expect(rerun.chunksReused).toBe(chunks);
    expect(await store.countChunks()).toBe(chunks);
    expect(await store.getMeta('pipelineVersion')).toBe(version);
    // And the next run is quiet again.
    expect((await sync()).skipped).toHaveLength(2);
  });

  it('indexes a table row as "Header: cell" plain text for keyword search, keeping the Markdown table as the shown text', async () => {
    await writeFile(path.join(inbox, 'instances.md'), '# Instances\n\n| Instance | vCPUs | RAM |\n|---|---|---|\n| cn-standard-4 | 4 | 16 GB |\n| cn-highmem-8 | 8 | 64 GB |\n');
    await sync();
    const [hit] = await store.keywordSearch({ query: keywordQuery('cn-highmem-8'), limit: 1 });
    expect(hit?.chunk.text).toBe('| Instance | vCPUs | RAM |\n| --- | --- | --- |\n| cn-standard-4 | 4 | 16 GB |\n| cn-highmem-8 | 8 | 64 GB |');
    // Each row is analysed as its record, the header names beside the cells (whatever the analyzer makes of the words).
    expect(hit?.chunk.keywords).toContain(keywordText('Instance: cn-highmem-8; vCPUs: 8; RAM: 64 GB'));
  });

  it('titles documents by their own heading when the metadata and cover title are shared by unrelated documents of the folder', async () => {
    await writeFile(path.join(inbox, 'plan_standard.pdf'), await planPdf('Northwind Standard', 'The Standard plan covers doctor visits and lab tests.'));
    const alone = await sync();
    expect(alone.failed).toEqual([]);
    // One document alone: its metadata title stands.
    expect((await store.getDocument('plan_standard.pdf'))?.title).toBe('Contoso Electronics');

    await writeFile(path.join(inbox, 'plan_plus.pdf'), await planPdf('Northwind Health Plus', 'The Plus plan also covers emergency services.'));
    const both = await sync();
    expect(both.failed).toEqual([]);
    expect((await store.getDocument('plan_plus.pdf'))?.title).toBe('Northwind Health Plus Plan');
    // The document indexed before now shares its title with an unrelated one: it is re-titled too.
    expect((await store.getDocument('plan_standard.pdf'))?.title).toBe('Northwind Standard Plan');
    const chunks = await store.allChunks();
    expect(new Set(chunks.map((chunk) => `${chunk.docPath}: ${chunk.title}`))).toEqual(new Set(['plan_plus.pdf: Northwind Health Plus Plan', 'plan_standard.pdf: Northwind Standard Plan']));
    // The cover is the title, not a heading of every passage.
    expect(chunks.find((chunk) => chunk.docPath === 'plan_plus.pdf')).toMatchObject({ headingPath: 'Coverage', page: 2 });

    // A later run that reads nothing still knows both documents' candidates.
    const quiet = await sync();
    expect(quiet.indexed).toEqual([]);
    expect((await store.getDocument('plan_standard.pdf'))?.title).toBe('Northwind Standard Plan');
  });
});
