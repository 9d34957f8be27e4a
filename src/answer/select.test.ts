import { describe, expect, it } from 'vitest';
import type { Candidate } from '../retrieval/index.ts';
import type { CorpusStats } from '../retrieval/corpus-stats.ts';
import type { ChunkRecord } from '../store/types.ts';
import { parseBlocks } from '../text/markdown.ts';
import { renderAnswer } from './render.ts';
import { isNegative, questionTerms, SCORING, scoreUnits, selectUnits, unitTypeMatch } from './select.ts';
import type { Unit } from './units.ts';

/** Every word equally rare, so weights show only the roles of the terms. */
const flat: CorpusStats = { chunkCount: 10, idf: () => 2, knows: () => true, titleWords: new Map() };

function sentences(passageIndex: number, position: number, ...texts: string[]): Unit {
  return { kind: 'sentences', passageIndex, position, sentences: texts, block: '', ordered: false };
}

function passage(id: string, overrides: Partial<ChunkRecord> = {}): Candidate {
  return {
    score: 1,
    chunk: {
      id, docPath: `${id}.md`, title: id, docType: 'markdown', kind: 'passage', ordinal: 0, headingPath: 'Returns', page: 0, text: '', language: 'en',
      questions: '', answer: '', category: '', faqId: '', keywords: '', textHash: '', vector: [], ...overrides,
    },
  };
}

describe('term weights', () => {
  it('weighs a follow-up’s own words fully and the carried topic at a discount', () => {
    const terms = questionTerms({ focusTerms: ['sale', 'item'], carriedTerms: ['long', 'return'], terms: [], corpus: flat });
    expect(terms.weights.get('sale')).toBe(2);
    expect(terms.weights.get('return')).toBe(1);
    expect([...terms.focus]).toEqual(['sale', 'item']);
  });
});

describe('scoring and choosing units', () => {
  const terms = questionTerms({ focusTerms: ['sale', 'item'], carriedTerms: ['long', 'return'], terms: [], corpus: flat });
  const thirty = 'You have 30 days to return an item.';
  const sale = 'Sale items can be returned within 14 days.';

  it('prefers a unit about the follow-up’s focus over one the previous answer already gave', () => {
    const scored = scoreUnits({ units: [sentences(0, 0, thirty), sentences(0, 1, sale)], terms, answerType: 'duration', passageScores: [1], previousAnswers: [`${thirty} [1]`], followUp: true });
    expect(scored.map((unit) => unit.repeated)).toEqual([1, 0]);
    expect(selectUnits({ scored, terms, followUp: true, maxChars: 1500 }).main?.sentences).toEqual([sale]);
  });

  it('does not count a sentence as a repeat when it names a focus word the previous answer lacked', () => {
    const both = 'Items have 30 days; sale items have 14 days.';
    const [scored] = scoreUnits({ units: [sentences(0, 0, both)], terms, answerType: 'duration', passageScores: [1], previousAnswers: ['Items have 30 days.'], followUp: true });
    expect(scored?.repeated).toBe(0);
  });

  it('adds a supporting sentence from another source only when it names question words the main unit lacks', () => {
    const question = questionTerms({ focusTerms: ['refund', 'paypal', 'fee'], carriedTerms: [], terms: [], corpus: flat });
    const units = [sentences(0, 0, 'Refunds to PayPal arrive in 3-5 days.'), sentences(1, 0, 'A return fee of $6.95 is deducted.'), sentences(2, 0, 'Refunds to PayPal are quick.')];
    const scored = scoreUnits({ units, terms: question, answerType: 'other', passageScores: [1, 0.9, 0.9], previousAnswers: [] });
    const chosen = selectUnits({ scored, terms: question, followUp: false, maxChars: 1500, scoring: { ...SCORING, supportRatio: 0.1 } });
    expect(chosen.main?.sentences[0]).toContain('3-5 days');
    expect(chosen.support?.sentences[0]).toContain('$6.95');
  });
});


describe('answer kinds by shape', () => {
  it('takes a numbered list for steps, any list for "what are", and content for amounts', () => {
    const list = (ordered: boolean): Unit => ({ kind: 'list', passageIndex: 0, position: 0, sentences: [], block: ordered ? '1. a\n2. b' : '- a\n- b', ordered });
    expect(unitTypeMatch('steps', list(true), '')).toBe(1);
    expect(unitTypeMatch('steps', list(false), '')).toBe(0.5);
    expect(unitTypeMatch('list', list(false), '')).toBe(1);
    expect(unitTypeMatch('money', sentences(0, 0, 'It costs $5.'), 'It costs $5.')).toBe(1);
  });
});

describe('rendering', () => {
  it('closes a list with its marker inside the list, and puts a table’s marker after its intro', () => {
    const list: Unit = { kind: 'list', passageIndex: 0, position: 0, sentences: ['Follow these steps:'], block: '1. Sign in.\n2. Submit.', ordered: true };
    const table: Unit = { kind: 'table', passageIndex: 1, position: 0, sentences: [], block: '| Method | Time |\n| --- | --- |\n| PayPal | 3-5 days |', ordered: false };
    const rendered = renderAnswer({ units: [list, table], passages: [passage('a'), passage('b')], chinese: false });
    expect(rendered.markdown).toBe('Follow these steps:\n\n1. Sign in.\n2. Submit. [1]\n\n| Method | Time |\n| --- | --- |\n| PayPal | 3-5 days |\n\n[2]');
    expect(rendered.pieces.join('')).toBe(rendered.markdown);
    const blocks = parseBlocks(rendered.markdown);
    expect(blocks.map((block) => block.kind)).toEqual(['paragraph', 'list', 'table', 'paragraph']);
    expect(rendered.citations.map((citation) => citation.quote)).toEqual(['Follow these steps:\n\n1. Sign in.\n2. Submit.', '| Method | Time |\n| --- | --- |\n| PayPal | 3-5 days |']);
  });

  it('joins Chinese sentences without spaces and names an FAQ source by its question', () => {
    const faq = passage('faq', { kind: 'faq', questions: '退款多久到账？\n退款时间', answer: '审核通过后5个工作日内到账。' });
    const rendered = renderAnswer({ units: [sentences(0, 0, '审核通过后5个工作日内到账。', '节假日顺延。')], passages: [faq], chinese: true });
    expect(rendered.markdown).toBe('审核通过后5个工作日内到账。节假日顺延。 [1]');
    expect(rendered.citations[0]?.title).toBe('退款多久到账？');
  });
});

describe('negative questions', () => {
  it('reads negation and exceptions in English and Chinese', () => {
    expect(isNegative('What is not covered for newborns?')).toBe(true);
    expect(isNegative("What services aren't covered?")).toBe(true);
    expect(isNegative('What are the exceptions to the COB rules?')).toBe(true);
    expect(isNegative('哪些商品不能退货？')).toBe(true);
    expect(isNegative('What is covered for newborns?')).toBe(false);
    expect(isNegative('Is a note from my doctor needed?')).toBe(false);
  });
});
