import { describe, expect, it } from 'vitest';
import {
  goldMatches, groundedness, hitAtK, keyPhraseCoverage, ndcg, overlapTokens, percentile, plainAnswer, rankSources, reciprocalRank,
  recallAtK, referenceContained, repeatedSentence, rougeL, tokenF1, usedRightPassage,
} from './metrics.ts';

const passage = (docPath: string, page?: number, chunkId = `${docPath}-${page ?? 0}`) => ({ docPath, chunkId, ...(page === undefined ? {} : { page }) });

describe('ranking metrics', () => {
  it('computes hit@k, MRR, nDCG and recall on a hand-worked list', () => {
    // relevant at ranks 2 and 4, three gold sources
    const relevances = [false, true, false, true, false];
    expect(reciprocalRank(relevances)).toBe(0.5);
    expect(hitAtK(2, 1)).toBe(0);
    expect(hitAtK(2, 3)).toBe(1);
    expect(hitAtK(null, 10)).toBe(0);
    // DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068; IDCG(3) = 1 + 0.63093 + 0.5
    expect(ndcg(relevances, 3)).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 0.5), 6);
    expect(recallAtK(relevances, 3, 3)).toBeCloseTo(1 / 3, 6);
    expect(recallAtK(relevances, 3, 5)).toBeCloseTo(2 / 3, 6);
    expect(ndcg([true], 1)).toBe(1);
  });

  it('ranks distinct pages in order of first appearance and applies the ±1 tolerance', () => {
    const passages = [passage('a.pdf', 9), passage('a.pdf', 9, 'other-chunk'), passage('b.pdf', 4), passage('a.pdf', 5)];
    const gold = [{ document: 'a.pdf', page: 4 }];
    const strict = rankSources({ passages, gold });
    expect(strict.ranked.map((source) => source.key)).toEqual(['a.pdf#page=9', 'b.pdf#page=4', 'a.pdf#page=5']);
    expect(strict.scores.firstRank).toBeNull();
    const tolerant = rankSources({ passages, gold, tolerance: 1 });
    expect(tolerant.scores.firstRank).toBe(3);
    expect(tolerant.scores.reciprocalRank).toBeCloseTo(1 / 3, 6);
  });

  it('counts a gold page once even when its neighbours are retrieved too', () => {
    const passages = [passage('a.pdf', 3), passage('a.pdf', 4), passage('a.pdf', 5)];
    const result = rankSources({ passages, gold: [{ document: 'a.pdf', page: 4 }], tolerance: 1 });
    expect(result.ranked.map((source) => source.relevant)).toEqual([true, false, false]);
    expect(result.scores.recall['10']).toBe(1);
  });

  it('matches documents by file name or relative path, and FAQ ids', () => {
    expect(goldMatches({ document: 'handbook.pdf' }, passage('policies/handbook.pdf', 2))).toBe(true);
    expect(goldMatches({ document: 'policies/handbook.pdf', page: 2 }, passage('policies/handbook.pdf', 3))).toBe(false);
    expect(goldMatches({ document: 'policies/handbook.pdf', page: 2 }, passage('policies/handbook.pdf', 3), 1)).toBe(true);
    expect(goldMatches({ document: 'book.pdf' }, passage('handbook.pdf'))).toBe(false);
    expect(goldMatches({ faq: '7' }, { chunkId: 'x', docPath: 'faq.json', faqId: '7' })).toBe(true);
    expect(goldMatches({ faq: '7' }, { chunkId: 'x', docPath: 'faq.json', faqId: '17' })).toBe(false);
  });
});

describe('answer metrics', () => {
  it('computes token F1 and ROUGE-L on English words', () => {
    // candidate: cat sat mat (3 tokens, "the" dropped); reference: cat sat on mat (4 tokens)
    expect(tokenF1('The cat sat on the mat', ['the cat sat on the mat'])).toBe(1);
    expect(tokenF1('cat sat mat', ['cat sat on mat'])).toBeCloseTo((2 * 1 * 0.75) / 1.75, 6);
    // LCS("mat sat cat", "cat sat on mat") = 1 ("sat" or "cat" or "mat") → P 1/3, R 1/4
    expect(rougeL('mat sat cat', ['cat sat on mat'])).toBeCloseTo((2 * (1 / 3) * 0.25) / (1 / 3 + 0.25), 6);
    expect(rougeL('nothing shared', ['cat'])).toBe(0);
  });

  it('treats Chinese at character level and takes the best reference', () => {
    expect(overlapTokens('光荣和ω-force开发')).toEqual(['光', '荣', '和', 'ω', 'force', '开', '发']);
    // candidate 村雨城模式 (5 chars) vs reference 村雨城 (3): common 3 → P 0.6, R 1
    expect(tokenF1('村雨城模式', ['完全不同', '村雨城'])).toBeCloseTo(0.75, 6);
    // LCS(任天堂游戏, 任天堂) = 3
    expect(rougeL('任天堂游戏', ['任天堂'])).toBeCloseTo(0.75, 6);
  });

  it('measures key phrases and groundedness', () => {
    expect(keyPhraseCoverage('Refunds take 30 days, by bank transfer.', ['30 days', 'Bank-Transfer', 'cash'])).toBeCloseTo(2 / 3, 6);
    expect(keyPhraseCoverage('anything', [])).toBeUndefined();
    const passages = ['Refunds are paid within 30 days of the return.'];
    expect(groundedness('Refunds are paid within 30 days [1]. We also give free cake to everyone.', passages)).toBe(0.5);
    expect(groundedness('', passages)).toBeUndefined();
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([...Array(20).keys()].map((index) => index + 1), 95)).toBe(19);
    expect(percentile([], 95)).toBe(0);
  });
});

describe('answer shape', () => {
  it('compares the plain text a reader sees: Markdown rendered, [n] markers gone', () => {
    expect(plainAnswer('Returns are free within **30 days** [1].\n\n- [Form](https://example.com/form) [2]')).toBe('Returns are free within 30 days.\n\n- Form');
    expect(plainAnswer('| Plan | Price |\n| --- | --- |\n| Basic | $5 |')).toBe('Plan | Price\nBasic | $5');
  });

  it('checks that a reference span is contained, ignoring case, width and punctuation (CMRC)', () => {
    expect(referenceContained('由光荣和ω-force开发。', ['光荣和ω－force'])).toBe(1);
    expect(referenceContained('The copay is $20 per visit.', ['$20 per visit', 'twenty dollars'])).toBe(1);
    expect(referenceContained('The copay is $25.', ['$20'])).toBe(0);
    expect(referenceContained('anything', [])).toBeUndefined();
  });

  it('finds a sentence said twice, and ignores short repeats', () => {
    expect(repeatedSentence('Refunds take 5 days. You keep the label. Refunds take 5 days!')).toBe('Refunds take 5 days!');
    expect(repeatedSentence('退款五个工作日到账。运费由我们承担。退款五个工作日到账。')).toBe('退款五个工作日到账。');
    expect(repeatedSentence('Yes. Yes. It is free.')).toBeUndefined();
  });

  it('says whether an answer used the gold passage it had (citation or most of its words), and nothing when gold was not retrieved', () => {
    const gold = [{ document: 'plan.pdf', page: 4 }];
    const retrieved = [
      { chunkId: 'a', docPath: 'plan.pdf', page: 9, text: 'Dental cleanings are covered twice a year.' },
      { chunkId: 'b', docPath: 'plan.pdf', page: 5, text: 'Hearing aids are covered up to $500 per ear every three years.' },
    ];
    expect(usedRightPassage({ answer: 'Hearing aids: up to $500 per ear.', gold, retrieved, citations: [{ chunkId: 'a', docPath: 'plan.pdf', page: 9 }] })).toBe(1);
    expect(usedRightPassage({ answer: 'Dental cleanings are covered twice a year.', gold, retrieved, citations: [{ chunkId: 'b', docPath: 'plan.pdf', page: 5 }] })).toBe(1);
    expect(usedRightPassage({ answer: 'Dental cleanings are covered twice a year.', gold, retrieved, citations: [{ chunkId: 'a', docPath: 'plan.pdf', page: 9 }] })).toBe(0);
    expect(usedRightPassage({ answer: 'Anything.', gold: [{ document: 'plan.pdf', page: 40 }], retrieved, citations: [] })).toBeUndefined();
  });
});

