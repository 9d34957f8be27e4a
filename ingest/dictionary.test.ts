import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/text/index.ts';
import { buildDictionary, discoverWords, readTermsFile } from './dictionary.ts';

/** A small payment FAQ: two product names jieba does not know, in varied contexts. */
const faq = [
  '花呗怎么还款', '借呗怎么还款', '花呗额度为什么降低了', '借呗额度怎么提升', '开通花呗需要什么条件', '如何关闭借呗',
  '花呗逾期了会怎样', '借呗可以提前还款吗', '用花呗付款失败', '我的借呗被关闭了', '花呗分期手续费是多少', '借呗的利息怎么算',
  '为什么不能用花呗', '怎么查看借呗账单', '花呗账单在哪里看', '借呗放款到哪里',
];

describe('word discovery', () => {
  it('finds the product names of a knowledge base and keeps them whole', () => {
    const words = discoverWords(faq);
    expect(words).toContain('花呗');
    expect(words).toContain('借呗');
    // known words and fragments are left alone
    expect(words).not.toContain('还款');
    expect(words.some((word) => word.includes('怎么'))).toBe(false);
    const analyzer = createAnalyzer({ dictionary: buildDictionary({ texts: faq, terms: { words: [], synonyms: [] } }).dictionary });
    expect(analyzer.keywordQuery('借呗额度怎么提升')).toBe('借呗 额度 提升');
    expect(analyzer.keywordQuery('花呗额度怎么提升')).not.toContain('借呗');
  });

  it('finds nothing in text without repeated unknown words, and reads a bounded amount', () => {
    expect(discoverWords(['如何申请退款', '退货需要几天'])).toEqual([]);
    expect(discoverWords([])).toEqual([]);
    expect(discoverWords(['😀', 'only English here'])).toEqual([]);
    expect(discoverWords(faq, { maxCharacters: 10 })).toEqual([]);
  });
});

describe('terms file', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-terms-'));
  });
  afterAll(async () => rm(directory, { recursive: true, force: true }));

  it('reads a GBK terms file, reports malformed lines with their numbers, and is empty when missing', async () => {
    const file = path.join(directory, 'terms.txt');
    // 余额宝 / 退款=退钱 / 退款= in GB18030
    await writeFile(file, Buffer.from([0xd3, 0xe0, 0xb6, 0xee, 0xb1, 0xa6, 0x0a, 0xcd, 0xcb, 0xbf, 0xee, 0x3d, 0xcd, 0xcb, 0xc7, 0xae, 0x0a, 0xcd, 0xcb, 0xbf, 0xee, 0x3d, 0x0a]));
    const { dictionary, problems } = await readTermsFile(file);
    expect(dictionary.words).toEqual([{ word: '余额宝' }]);
    expect(dictionary.synonyms).toEqual([['退款', '退钱']]);
    expect(problems).toEqual([expect.objectContaining({ line: 3 })]);
    expect(await readTermsFile(path.join(directory, 'missing.txt'))).toEqual({ dictionary: { words: [], synonyms: [] }, problems: [] });
  });

  it('reports a binary file as a problem instead of failing', async () => {
    const file = path.join(directory, 'binary.txt');
    await writeFile(file, Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00]));
    const { problems } = await readTermsFile(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(0);
  });
});
