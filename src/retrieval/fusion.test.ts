import { describe, expect, it } from 'vitest';
import type { ChunkRecord } from '../store/types.ts';
import { applyNeighbourSupport, collapseNearDuplicates, fuseCandidates } from './index.ts';
import { queryTerms } from './corpus-stats.ts';

function chunk(id: string, overrides: Partial<ChunkRecord> = {}): ChunkRecord {
  return {
    id, docPath: 'policy.md', title: 'Policy', docType: 'markdown', kind: 'passage', ordinal: Number(id.replace(/\D/g, '')) || 0, headingPath: '', page: 0,
    text: id, language: 'en', questions: '', answer: '', category: '', faqId: '', keywords: id, textHash: id, vector: [], ...overrides,
  };
}

describe('fusion', () => {
  const keywordHits = [{ chunk: chunk('k1'), score: 10 }, { chunk: chunk('both2'), score: 5 }];
  const vectorHits = [{ chunk: chunk('v3'), score: 0.8 }, { chunk: chunk('both2'), score: 0.7 }, { chunk: chunk('v4'), score: 0.2 }];

  it('ranks by reciprocal rank with rrf, so a chunk found by both sides wins', () => {
    const { candidates } = fuseCandidates({ keywordHits, vectorHits, mode: 'hybrid', fusion: 'rrf', language: 'en', vectorWeight: 0.5, hasKeywordQuery: true });
    expect(candidates.sort((a, b) => b.score - a.score)[0]?.chunk.id).toBe('both2');
  });

  it('follows the configured weight in weighted fusion', () => {
    const keywordHeavy = fuseCandidates({ keywordHits, vectorHits, mode: 'hybrid', fusion: 'weighted', language: 'en', vectorWeight: 0.1, hasKeywordQuery: true });
    expect(keywordHeavy.candidates.sort((a, b) => b.score - a.score)[0]?.chunk.id).toBe('k1');
    const vectorHeavy = fuseCandidates({ keywordHits, vectorHits, mode: 'hybrid', fusion: 'weighted', language: 'en', vectorWeight: 0.9, hasKeywordQuery: true });
    expect(vectorHeavy.candidates.sort((a, b) => b.score - a.score)[0]?.chunk.id).toBe('v3');
  });

  it('leans on keywords for Chinese in adaptive fusion (the bundled model is English-only)', () => {
    const { vectorWeight } = fuseCandidates({ keywordHits, vectorHits, mode: 'hybrid', fusion: 'adaptive', language: 'zh', vectorWeight: 0.35, hasKeywordQuery: true });
    expect(vectorWeight).toBeLessThanOrEqual(0.1);
  });

  it('trusts the vector side when a curated FAQ question is a close paraphrase', () => {
    const { vectorWeight } = fuseCandidates({ keywordHits, vectorHits, mode: 'hybrid', fusion: 'adaptive', language: 'en', vectorWeight: 0.35, hasKeywordQuery: true, faqQuestionSimilarity: 0.8 });
    expect(vectorWeight).toBeGreaterThanOrEqual(0.9);
  });

  it('collapses chunks with the same text, keeping the best', () => {
    const kept = collapseNearDuplicates([
      { chunk: chunk('a1', { textHash: 'same' }), score: 1 },
      { chunk: chunk('a2', { textHash: 'same' }), score: 0.9 },
      { chunk: chunk('a3'), score: 0.8 },
    ]);
    expect(kept.map((candidate) => candidate.chunk.id)).toEqual(['a1', 'a3']);
  });

  it('gives a passage a share of its successor’s score, but not FAQ rows', () => {
    const candidates = [
      { chunk: chunk('p1', { ordinal: 1 }), score: 0.5 },
      { chunk: chunk('p2', { ordinal: 2 }), score: 0.6 },
      { chunk: chunk('f1', { ordinal: 1, kind: 'faq', docPath: 'faq.csv' }), score: 0.5 },
      { chunk: chunk('f2', { ordinal: 2, kind: 'faq', docPath: 'faq.csv' }), score: 0.6 },
    ];
    applyNeighbourSupport(candidates, 0.5);
    expect(candidates[0]?.score).toBeCloseTo(0.8);
    expect(candidates[2]?.score).toBeCloseTo(0.5);
  });
});

describe('query terms', () => {
  it('drops question phrasing and joins names jieba cut into characters', () => {
    expect(queryTerms('How long do I have to return an item?')).toEqual(['return', 'item']);
    expect(queryTerms('张世昌的职业是什么？')).toEqual(['张世昌', '职业']);
  });
});

describe('vector trust follows the model, not a language rule', () => {
  it('gives the vector side its weight only in languages the model understands', async () => {
    const { vectorPrior } = await import('./index.ts');
    expect(vectorPrior({ language: 'zh', configured: 0.35, languages: ['en'] })).toBe(0);
    expect(vectorPrior({ language: 'en', configured: 0.35, languages: ['en'] })).toBe(0.35);
    expect(vectorPrior({ language: 'zh', configured: 0.35, languages: 'all' })).toBe(0.35);
  });
});
