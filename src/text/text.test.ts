import { describe, expect, it } from 'vitest';
import { detectLanguage, keywordQuery, keywordText, splitSentences } from './index.ts';

describe('text helpers', () => {
  it('segments Chinese into words so 退款 is its own keyword', () => {
    expect(keywordText('如何申请退款？').split(' ')).toContain('退款');
    expect(keywordQuery('如何申请退款？')).not.toContain('如何');
  });

  it('splits English and Chinese sentences, keeping abbreviations together', () => {
    expect(splitSentences('Refunds go to the original card, e.g. Visa. Call us!')).toEqual(['Refunds go to the original card, e.g. Visa.', 'Call us!']);
    expect(splitSentences('收到商品后7天内可以退货。退款3个工作日到账！有问题吗？')).toEqual(['收到商品后7天内可以退货。', '退款3个工作日到账！', '有问题吗？']);
  });

  it('detects the question language', () => {
    expect(detectLanguage('那退货呢？')).toBe('zh');
    expect(detectLanguage('What about returns?')).toBe('en');
    expect(detectLanguage('Какова политика возврата?')).toBe('other');
  });

  it('stems plurals so refunds matches refund', () => {
    expect(keywordQuery('refunds for orders')).toBe('refund order');
  });
});
