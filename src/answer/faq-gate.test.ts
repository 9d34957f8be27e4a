import { describe, expect, it } from 'vitest';
import { buildCorpusStats } from '../retrieval/corpus-stats.ts';
import type { FaqMatch } from '../retrieval/index.ts';
import type { ChunkRecord } from '../store/types.ts';
import { keywordText } from '../text/index.ts';
import { decideFaq, faqFeatures, type FaqGateModel } from './faq-gate.ts';

function faqChunk(id: string, question: string): ChunkRecord {
  return {
    id, docPath: 'faq.csv', title: 'FAQ', docType: 'faq', kind: 'faq', ordinal: 0, headingPath: '', page: 0, text: question, language: 'zh',
    questions: question, answer: `answer ${id}`, category: '', faqId: id, keywords: keywordText(question), textHash: id, vector: [],
  };
}

const chunks = [faqChunk('1', '花呗怎么还款'), faqChunk('2', '借呗怎么还款'), faqChunk('3', 'What is COVID-19?'), faqChunk('4', 'How do I reset my password?'), faqChunk('5', '花呗额度怎么提升')];
const corpus = buildCorpusStats(chunks);
const match = (index: number, similarity: number): FaqMatch => {
  const chunk = chunks[index] as ChunkRecord;
  return { chunk, matchedQuestion: chunk.questions, similarity, semantic: 0, lexical: similarity };
};

describe('FAQ gate features', () => {
  it('sees that the key term differs between near-identical questions (another product)', () => {
    const features = faqFeatures({ question: '借呗怎么还款', match: match(0, 0.8), corpus });
    expect(features.keyTermMismatch).toBe(1);
    expect(faqFeatures({ question: '花呗如何还款', match: match(0, 0.8), corpus }).keyTermMismatch).toBe(0);
  });

  it('sees the words of the question the FAQ question lacks', () => {
    const features = faqFeatures({ question: 'How did COVID-19 get its name?', match: match(2, 0.85), corpus });
    expect(features.questionTermsMissing).toBeGreaterThan(0.4);
    expect(faqFeatures({ question: 'what is covid-19', match: match(2, 0.85), corpus }).questionTermsMissing).toBe(0);
  });

  it('decides verbatim, clarify or none by the model’s probability', () => {
    const model: FaqGateModel = { names: ['similarity'], weights: [10], bias: -5, mean: [0], scale: [1], verbatimAt: 0.9, clarifyAt: 0.5 };
    expect(decideFaq({ model, question: '花呗怎么还款', matches: [match(0, 0.95)], corpus }).kind).toBe('verbatim');
    expect(decideFaq({ model, question: '花呗怎么还款', matches: [match(0, 0.6), match(4, 0.55)], corpus }).kind).toBe('clarify');
    expect(decideFaq({ model, question: '花呗怎么还款', matches: [match(0, 0.3)], corpus }).kind).toBe('none');
    expect(decideFaq({ model, question: 'anything', matches: [], corpus }).kind).toBe('none');
  });

  it('never gives another product\'s curated answer, however sure the model is', () => {
    const model: FaqGateModel = { names: ['similarity'], weights: [10], bias: -5, mean: [0], scale: [1], verbatimAt: 0.9, clarifyAt: 0.5 };
    const decision = decideFaq({ model, question: '借呗怎么还款', matches: [match(0, 0.97)], corpus });
    expect(decision.probability).toBeGreaterThan(0.9);
    expect(decision.kind).toBe('none');
  });
});
