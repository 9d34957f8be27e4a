import { describe, expect, it } from 'vitest';
import { serializeDictionary } from './analyzer.ts';
import { parseTerms } from './terms.ts';

describe('terms file', () => {
  it('reads terms, frequencies, tags and synonym groups, and reports malformed lines by number', () => {
    const text = [
      '# product names',
      '花呗',
      '余额宝 20000 nz',
      '借呗 nz',
      '退款=退钱=退费',
      'refund = money back',
      '',
      '退款=',
      '花呗 -5',
      '花呗 lots',
      '这不是一个词，而是一句话。',
      '=退钱',
      'x'.repeat(60),
    ].join('\n');
    const { dictionary, problems } = parseTerms(text);
    expect(dictionary.words).toEqual([{ word: '花呗' }, { word: '余额宝', frequency: 20000, tag: 'nz' }, { word: '借呗', tag: 'nz' }]);
    expect(dictionary.synonyms).toEqual([['退款', '退钱', '退费'], ['refund', 'money back']]);
    expect(problems.map((problem) => problem.line)).toEqual([8, 9, 10, 11, 12, 13]);
    expect(problems[0]?.problem).toMatch(/at least two terms/);
    expect(problems[1]?.problem).toMatch(/positive whole number/);
    expect(problems[3]?.problem).toMatch(/sentence/);
  });

  it('reads back what it writes (the index stores the dictionary in this format)', () => {
    const { dictionary } = parseTerms('花呗\n余额宝 20000 nz\n退款=退钱\nrefund=money back\n');
    const again = parseTerms(serializeDictionary(dictionary));
    expect(again.problems).toEqual([]);
    expect(serializeDictionary(again.dictionary)).toBe(serializeDictionary(dictionary));
  });

  it('survives a byte-order mark, Windows line ends and invalid text', () => {
    const { dictionary, problems } = parseTerms('\uFEFF花呗\r\n借呗\r\n\uFFFD\uFFFD\r\n');
    expect(dictionary.words.map((entry) => entry.word)).toEqual(['花呗', '借呗']);
    expect(problems).toEqual([expect.objectContaining({ line: 3, problem: expect.stringMatching(/UTF-8/) })]);
  });
});
