import { describe, expect, it } from 'vitest';
import { buildCorpusStats } from '../retrieval/corpus-stats.ts';
import type { Candidate } from '../retrieval/index.ts';
import type { ChunkRecord } from '../store/types.ts';
import { keywordText } from '../text/index.ts';
import { joinLabelled, parsePeriod, planSiblings } from './siblings.ts';

function passage(docPath: string, title: string, text: string, score: number): Candidate {
  const chunk: ChunkRecord = {
    id: `${docPath}#${score}`, docPath, title, docType: 'pdf', kind: 'passage', ordinal: 0, headingPath: '', page: 1, text, language: 'en',
    questions: '', answer: '', category: '', faqId: '', keywords: keywordText(text), textHash: docPath + text, vector: [],
  };
  return { chunk, score };
}

describe('periods', () => {
  it('reads quarters and years in English and Chinese', () => {
    expect(parsePeriod('Apple_10-Q_Q3_2023.pdf')).toEqual({ year: 2023, quarter: 3 });
    expect(parsePeriod('report 2022 Q4')).toEqual({ year: 2022, quarter: 4 });
    expect(parsePeriod('third quarter of 2021 results')).toEqual({ year: 2021, quarter: 3 });
    expect(parsePeriod('FY2022 annual report')).toEqual({ year: 2022 });
    expect(parsePeriod('2024年第一季度报告')).toEqual({ year: 2024, quarter: 1 });
    expect(parsePeriod('Northwind_Standard_Benefits_Details.pdf')).toBeUndefined();
  });
});

describe('versions', () => {
  const passages = [
    passage('acme-2022.pdf', 'Acme annual report 2022', 'Revenue was 10 million dollars.', 1),
    passage('acme-2023.pdf', 'Acme annual report 2023', 'Revenue was 12 million dollars.', 0.9),
  ];
  const corpus = buildCorpusStats(passages.map((candidate) => candidate.chunk));
  const plan = (question: string) => planSiblings({ question, terms: keywordText(question).split(' '), passages, corpus, now: new Date('2024-05-01') });

  it('prefers the newest version when the question names no period', () => {
    const result = plan('What was the revenue?');
    expect(result.kind === 'single' && result.passages.map((candidate) => candidate.chunk.docPath)).toEqual(['acme-2023.pdf']);
  });

  it('uses the period the question names, and resolves "most recent"', () => {
    const named = plan('What was the revenue in 2022?');
    expect(named.kind === 'single' && named.passages.map((candidate) => candidate.chunk.docPath)).toEqual(['acme-2022.pdf']);
    const latest = plan('What was the most recent revenue?');
    expect(latest.kind === 'single' && latest.passages.map((candidate) => candidate.chunk.docPath)).toEqual(['acme-2023.pdf']);
    const lastYear = plan('What was revenue last year?');
    expect(lastYear.kind === 'single' && lastYear.passages.map((candidate) => candidate.chunk.docPath)).toEqual(['acme-2023.pdf']);
  });
});

describe('siblings', () => {
  const passages = [
    passage('standard.pdf', 'Northwind Standard', 'The plan covers one eye exam per year. Glasses are not covered.', 1),
    passage('plus.pdf', 'Northwind Health Plus', 'The plan covers one eye exam per year. Glasses are covered up to $150.', 0.95),
  ];
  const corpus = buildCorpusStats(passages.map((candidate) => candidate.chunk));

  it('answers from the sibling the question names', () => {
    const question = 'Does Northwind Standard cover glasses?';
    const plan = planSiblings({ question, terms: keywordText(question).split(' '), passages, corpus });
    expect(plan.kind === 'single' && plan.passages.map((candidate) => candidate.chunk.docPath)).toEqual(['standard.pdf']);
  });

  it('answers per document, labelled, when the question names none and they differ', () => {
    const question = 'Are glasses covered?';
    const plan = planSiblings({ question, terms: keywordText(question).split(' '), passages, corpus });
    expect(plan.kind).toBe('per-document');
    expect(plan.kind === 'per-document' && plan.groups.map((group) => group.label)).toEqual(['Northwind Standard', 'Northwind Health Plus']);
  });

  it('joins labelled answers with unique citation numbers', () => {
    const citation = (n: number, docPath: string) => ({ n, chunkId: docPath, docPath, title: docPath, headingPath: '', quote: '' });
    const joined = joinLabelled([
      { label: 'A', markdown: 'x [1]', pieces: ['x [1]'], citations: [citation(1, 'a')] },
      { label: 'B', markdown: 'y [1]', pieces: ['y [1]'], citations: [citation(1, 'b')] },
    ]);
    expect(joined.markdown).toBe('**A**\n\nx [1]\n\n**B**\n\ny [2]');
    expect(joined.citations.map((entry) => entry.n)).toEqual([1, 2]);
  });
});

describe('siblings are the best evidence or nothing', () => {
  it('answers from the one passage that answers, not per document from look-alike weak matches below it', () => {
    const passages = [
      passage('returns.md', 'Returns', 'You have 30 days from delivery to return an item for a full refund.', 1.25),
      passage('note-253.md', 'Note 253', 'Note 253. Locker 253 keeps parcels for 3 days.', 0.04),
      passage('note-305.md', 'Note 305', 'Note 305. Locker 305 keeps parcels for 10 days.', 0.03),
    ];
    const corpus = buildCorpusStats(passages.map((candidate) => candidate.chunk));
    const question = 'How long do I have to return an item for a refund?';
    const result = planSiblings({ question, terms: keywordText(question).split(' '), passages, corpus });
    expect(result.kind).toBe('single');
    expect(result.kind === 'single' && result.passages[0]?.chunk.docPath).toBe('returns.md');
  });
});
