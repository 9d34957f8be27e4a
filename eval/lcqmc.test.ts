import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDataset } from './datasets.ts';
import { convertLcqmc, parseLcqmc } from './lcqmc.ts';
import { selectQuestions } from './selection.ts';

let temp: string;
beforeEach(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-lcqmc-'));
});
afterEach(async () => {
  await rm(temp, { recursive: true, force: true });
});

const DEV = [
  'text_a\ttext_b\tlabel',
  '花呗如何还款\t花呗怎么还钱\t1',
  '借呗怎么提前还款\t花呗怎么还钱\t0',
  '怎么开通借呗\t借呗如何开通？\t1',
  '怎么开通借呗\t花呗怎么开通\t0',
  'broken line without tabs',
  '借呗如何开通\t蚂蚁借呗额度怎么提升\t0',
  '天气怎么样\t今天天气如何\t2',
].join('\n');

describe('LCQMC question pairs as an FAQ test', () => {
  it('reads tab-separated pairs after the header and reports malformed lines by number', () => {
    const { pairs, issues } = parseLcqmc(DEV, { file: 'dev.txt', idPrefix: 'dev' });
    expect(pairs.map((pair) => [pair.id, pair.label])).toEqual([['dev-2', 1], ['dev-3', 0], ['dev-4', 1], ['dev-5', 0], ['dev-7', 0]]);
    expect(issues.map((issue) => issue.line)).toEqual([6, 8]);
  });

  it('builds the bank from the distinct text_b (answer = the text itself), asks text_a, and marks hard negatives', () => {
    const { pairs } = parseLcqmc(DEV, { file: 'dev.txt', idPrefix: 'dev' });
    const { faq, questions } = convertLcqmc({ pairs });
    expect(faq).toEqual([
      { id: 'dev-2', question: '花呗怎么还钱', answer: '花呗怎么还钱' },
      { id: 'dev-4', question: '借呗如何开通？', answer: '借呗如何开通？' },
      { id: 'dev-5', question: '花呗怎么开通', answer: '花呗怎么开通' },
      { id: 'dev-7', question: '蚂蚁借呗额度怎么提升', answer: '蚂蚁借呗额度怎么提升' },
    ]);
    const byId = new Map(questions.map((item) => [item.id, item]));
    expect(byId.get('dev-2')).toMatchObject({ question: '花呗如何还款', gold: [{ faq: 'dev-2' }], expected: 'answer' });
    // a label-0 pair: gold none, expected refused, must not get 花呗怎么还钱 verbatim
    expect(byId.get('dev-3')).toMatchObject({ gold: [], expected: 'refuse', hardNegativeOf: 'dev-2' });
    // the same text_a in a label-1 pair: answerable, and still must not get its label-0 partner
    expect(byId.get('dev-5')).toMatchObject({ gold: [{ faq: 'dev-4' }], expected: 'answer', hardNegativeOf: 'dev-5' });
    // 借呗如何开通 is itself in the bank (as 借呗如何开通？): that entry is gold, so it is answerable
    expect(byId.get('dev-7')).toMatchObject({ gold: [{ faq: 'dev-4' }], expected: 'answer', hardNegativeOf: 'dev-7' });
  });

  it('samples pairs with --limit and keeps the whole bank; each half has its own file and index folder', async () => {
    const source = path.join(temp, 'shared', 'lcqmc');
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'dev.txt'), DEV);
    const testPairs = Array.from({ length: 30 }, (_, index) => `问题${index}怎么办\t问题${index}如何处理\t${index % 2}`);
    await writeFile(path.join(source, 'test.txt'), ['text_a\ttext_b\tlabel', ...testPairs].join('\n'));
    const evalDir = path.join(temp, 'eval');
    const sharedDataDir = path.join(temp, 'shared');

    const test = await loadDataset({ dataset: 'lcqmc', evalDir, sharedDataDir, split: 'test', limit: 10, seed: 42 });
    expect(test).toMatchObject({ name: 'lcqmc', cacheKey: 'lcqmc-test', splitApplied: 'test', limitApplied: { sampled: 10, of: 30, unit: 'pairs' } });
    expect(test.questions).toHaveLength(10);
    const bank = JSON.parse(await readFile(path.join(evalDir, 'lcqmc-test', 'corpus', 'lcqmc.json'), 'utf8')) as unknown[];
    expect(bank).toHaveLength(30);
    const again = await loadDataset({ dataset: 'lcqmc', evalDir, sharedDataDir, split: 'test', limit: 10, seed: 42 });
    expect(again.questions.map((item) => item.id)).toEqual(test.questions.map((item) => item.id));

    const dev = await selectQuestions({ dataset: 'lcqmc', evalDir, sharedDataDir, split: 'dev' });
    expect(dev.dataset.questions.map((item) => item.id)).toEqual(['dev-2', 'dev-3', 'dev-4', 'dev-5', 'dev-7']);
    expect(dev.issues).toEqual([]);
    const all = await loadDataset({ dataset: 'lcqmc', evalDir, sharedDataDir, split: 'all' });
    expect(all.questions).toHaveLength(35);
    expect(all.cacheKey).toBe('lcqmc');
  });
});
