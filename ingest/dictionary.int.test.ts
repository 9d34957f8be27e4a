import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { createRetriever } from '../src/retrieval/index.ts';
import { openStore, type ChunkStore } from '../src/store/index.ts';
import { syncFolder } from './sync.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

/** Two products whose names jieba cuts into the same pieces (花/呗, 借/呗) without the knowledge base's dictionary. */
const faq = [
  ['huabei-repay', '花呗怎么还款', '花呗每月10日自动从余额扣款，也可以在账单页主动还款。'],
  ['jiebei-repay', '借呗怎么还款', '借呗按借款时选择的方式按月还款，可提前还款。'],
  ['huabei-limit', '花呗额度为什么降低了', '花呗额度根据综合评估调整。'],
  ['jiebei-limit', '借呗额度怎么提升', '借呗额度由系统评估，保持良好的还款记录有助于提升。'],
  ['huabei-open', '开通花呗需要什么条件', '年满18周岁并完成实名认证即可申请开通花呗。'],
  ['jiebei-close', '如何关闭借呗', '在借呗页面点击设置，选择关闭服务。'],
  ['huabei-late', '花呗逾期了会怎样', '花呗逾期会产生违约金并影响信用。'],
  ['jiebei-early', '借呗可以提前还款吗', '借呗支持随时提前还款，不收手续费。'],
  ['huabei-bill', '花呗账单在哪里看', '在花呗页面点击账单即可查看。'],
  ['jiebei-bill', '怎么查看借呗账单', '在借呗页面点击还款记录查看账单。'],
];

describe('a payment FAQ whose product names jieba does not know', () => {
  let directory: string;
  let config: Config;
  let embedder: Embedder;
  let store: ChunkStore;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-dictionary-'));
    const inbox = path.join(directory, 'inbox');
    await mkdir(inbox);
    await writeFile(path.join(inbox, 'faq.csv'), `id,question,answer\n${faq.map((row) => row.join(',')).join('\n')}\n`);
    config = loadConfig({ env: { KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_INBOX: inbox }, dotenvDir: null, cwd: repositoryRoot });
    embedder = await createEmbedder({ config, logger: { warn: () => {} } });
    store = await openStore({ directory: config.indexDir });
    const summary = await syncFolder({ config, store, embedder, root: inbox });
    expect(summary.failed).toEqual([]);
  });
  afterAll(async () => {
    await store.close();
    await embedder.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('learns 花呗 and 借呗 from the FAQ itself, and a question about one never gets the other\'s entry', async () => {
    expect((await store.analyzerState())?.dictionary.split('\n')).toEqual(expect.arrayContaining(['花呗', '借呗']));
    const retriever = createRetriever({ store, embedder, config });
    for (const [question, expected] of [
      ['借呗额度怎么提高', 'jiebei-limit'],
      ['花唄額度為什麼變低了', 'huabei-limit'],
      ['借呗能不能提前还', 'jiebei-early'],
      ['花呗的账单去哪看', 'huabei-bill'],
    ] as const) {
      const result = await retriever.retrieve({ query: question, mode: 'keyword' });
      expect(result.passages[0]?.chunk.faqId, question).toBe(expected);
      const hybrid = await retriever.retrieve({ query: question });
      expect(hybrid.faqMatches[0]?.chunk.faqId, question).toBe(expected);
    }
  });

  it('answers bad questions with an empty keyword side instead of failing', async () => {
    const retriever = createRetriever({ store, embedder, config });
    for (const question of ['？？！！', '😀🎉', '   ', 'Ａ-１００２３', '我想return这个laptop']) {
      const result = await retriever.retrieve({ query: question, mode: 'keyword' });
      expect(Array.isArray(result.passages), question).toBe(true);
      await expect(retriever.retrieve({ query: question }), question).resolves.toHaveProperty('passages');
    }
    expect((await retriever.retrieve({ query: '？？！！', mode: 'keyword' })).passages).toEqual([]);
  });
});
