import { describe, expect, it } from 'vitest';
import { createAnalyzer } from './analyzer.ts';

// A 10 MB document of Chinese without a single punctuation mark: jieba is given bounded windows, so the
// work is linear and memory stays proportional to the text (bench/keyword-analysis.ts prints the figures).
describe('keyword analysis of a 10 MB Chinese text without punctuation', () => {
  it('writes both keyword columns without losing a character or running out of memory', () => {
    const analyzer = createAnalyzer({ dictionary: { words: [{ word: '花呗' }], synonyms: [] } });
    const sentence = '收到商品后七天内可以申请退货退款到账时间一般为三个工作日花呗额度怎么提升';
    const characters = Math.round((10 * 1024 * 1024) / 3);
    const text = sentence.repeat(Math.ceil(characters / sentence.length)).slice(0, characters);
    const before = process.memoryUsage().rss;
    const words = analyzer.keywordText(text);
    const bigrams = analyzer.bigramText(text);
    const grown = process.memoryUsage().rss - before;
    expect(words.replaceAll(' ', '')).toBe(text);
    expect(words.split(' ')).toContain('花呗');
    expect(bigrams.length).toBe((characters - 1) * 3 - 1);
    // ~75 bytes per character at most (input, tokens, two output strings); Intl.Segmenter needed 4 GB for 180,000.
    expect(grown).toBeLessThan(characters * 250);
  });
});
