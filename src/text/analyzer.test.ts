import { describe, expect, it } from 'vitest';
import { analyzerFingerprint, ANALYZER_VERSION, createAnalyzer } from './analyzer.ts';
import { createSegmenter } from './chinese.ts';
import { latinTokens } from './english.ts';
import { foldText } from './fold.ts';
import { bigramQuery, keywordQuery, keywordText } from './index.ts';

const terms = (text: string) => latinTokens(foldText(text)).map((token) => token.term);

describe('folding', () => {
  it('folds traditional Chinese, full-width forms and case the same way on both sides', () => {
    expect(foldText('退貨多久到帳')).toBe('退货多久到帐');
    expect(foldText('ＡＢＣ１２３，Ｑ３？')).toBe('abc123,q3?');
    expect(foldText('Café Résumé')).toBe('cafe resume');
    expect(keywordQuery('如何申請退款')).toBe(keywordQuery('如何申请退款'));
  });
});

describe('English keywords', () => {
  it('drops possessives so "Apple\'s" matches "Apple", and stems with Porter2', () => {
    expect(keywordQuery("Apple's revenue")).toBe(keywordQuery('apple revenues'));
    expect(keywordQuery("the companies' filings")).toBe(keywordQuery('company filing'));
    expect(keywordQuery('refunding generously')).toBe('refund generous');
  });

  it('keeps numbers and codes whole and findable by their parts', () => {
    expect(terms('cn-standard-4')).toEqual(['cnstandard4', 'cn', 'standard']);
    expect(terms('401(k)')).toEqual(['401k', '401']);
    expect(terms('Order A-10023')).toEqual(['order', 'a10023', '10023']);
    expect(terms('mail support@lumen.com')).toEqual(['mail', 'support@lumen.com', 'support', 'lumen', 'com']);
    // however a code is typed, its whole form is the same
    expect(keywordQuery('CN-Standard-4').split(' ')).toContain(keywordQuery('cnstandard4').split(' ')[0]);
    expect(terms('v2.1 costs 15.5 or 1,000')).toEqual(['v2.1', 'cost', '15.5', 'or', '1000']);
    // typed without the hyphen, an order number still meets the indexed one
    expect(keywordQuery('A10023').split(' ')).toContain('10023');
    expect(keywordQuery('401k plan').split(' ')).toContain('401k');
  });

  it('a question that is only an order number searches for that number', () => {
    expect(keywordQuery('A-10023')).toBe('a10023 10023');
    expect(keywordQuery('A10023')).toBe('a10023 10023');
  });
});

describe('Chinese keywords', () => {
  it('splits mixed Chinese and English into words of both', () => {
    expect(keywordQuery('我想return这个laptop')).toBe('return laptop');
    expect(keywordText('我想return这个laptop')).toBe('我 想 return 这个 laptop');
  });

  it('makes character pairs inside runs of content words, so a bad split still matches', () => {
    expect(bigramQuery('花呗怎么还款')).toBe('花呗 还款');
    expect(createAnalyzer().bigramText('如何申请退款')).toBe('如何 何申 申请 请退 退款');
  });

  it('finds nothing to search in punctuation or emoji, without failing', () => {
    for (const question of ['？？！！', '😀😀🎉', '...', '']) {
      expect(keywordQuery(question)).toBe('');
      expect(bigramQuery(question)).toBe('');
    }
  });

  it('keeps user-dictionary words whole and reads synonyms as their group\'s first member', () => {
    const analyzer = createAnalyzer({ dictionary: { words: [{ word: '花呗' }, { word: '借呗' }], synonyms: [['退款', '退钱', '退费'], ['refund', 'money back']] } });
    expect(analyzer.keywordQuery('花呗怎么还款')).toBe('花呗 还款');
    expect(analyzer.keywordQuery('借呗可以提前还吗')).not.toContain('花呗');
    expect(analyzer.keywordQuery('咋退钱')).toBe('退款');
    expect(analyzer.keywordQuery('退費多久到帳')).toContain('退款');
    expect(analyzer.keywordQuery('I want my money back')).toBe('want refund');
    // without the dictionary jieba cuts the product names apart
    expect(createAnalyzer().keywordQuery('花呗怎么还款')).toBe('花 呗 还款');
  });

  it('names each analysis by a fingerprint that changes with the dictionary', () => {
    expect(analyzerFingerprint()).toMatch(new RegExp(`^v${ANALYZER_VERSION}-[0-9a-f]{16}$`));
    expect(analyzerFingerprint({ words: [{ word: '花呗' }], synonyms: [] })).not.toBe(analyzerFingerprint());
    expect(createAnalyzer({ dictionary: { words: [{ word: '花呗' }], synonyms: [] } }).fingerprint).toBe(analyzerFingerprint({ words: [{ word: '花呗' }], synonyms: [] }));
  });

  it('segments a long run without punctuation in bounded windows, losing no character', () => {
    const segmenter = createSegmenter();
    const text = '收到商品后七天内可以申请退货退款到账时间一般为三个工作日'.repeat(2000);
    const pieces = segmenter.cut(text);
    expect(pieces.join('')).toBe(text);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(10);
  });
});
