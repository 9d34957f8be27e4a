/**
 * The extractive composer: picks the sentences of the top passages that best answer the question
 * and returns them in reading order, each tied to its source. It never writes a word of its own
 * into the answer, so it cannot state anything the documents do not say.
 */
import type { Candidate } from '../retrieval/index.ts';
import type { CorpusStats } from '../retrieval/corpus-stats.ts';
import { contentWords, jaccard, splitSentences, stem, type Language } from '../text/index.ts';
import type { AnswerType } from './answer-type.ts';
import { isInstructionToAssistant } from './safety.ts';
import type { Citation } from './types.ts';

/** What the composer is given: the question as analysed and the fused passages, best first. */
export interface ComposeInput {
  /** The question as the customer asked it. */
  question: string;
  language: Language;
  answerType: AnswerType;
  /** The question's own content words (a follow-up's own words): what the answer must be about. */
  focusTerms: readonly string[];
  /** Topic words carried from the previous question of a follow-up (weaker evidence). */
  carriedTerms: readonly string[];
  /** All analysed query terms (the keyword side's), for coverage features. */
  terms: readonly string[];
  /** The query's embedding, when the retrieval mode computed one. */
  queryVector?: readonly number[];
  /** Fused passages, best first; `chunk.text` is the Markdown subset of src/text/markdown.ts. */
  passages: readonly Candidate[];
  corpus: CorpusStats;
  /** Earlier answers of this conversation (plain text): a follow-up must not repeat them when the documents say more. */
  previousAnswers: readonly string[];
  maxSentences: number;
}

/** Evidence about the composed answer, for the answerability model. All in 0..1. */
export interface CompositionEvidence {
  /** IDF-weighted share of the focus terms found in the chosen units. */
  focusCoverage: number;
  /** The best single passage's IDF-weighted share of the query terms. */
  bestPassageCoverage: number;
  /** Whether the chosen units carry the asked-for kind of answer (a duration for "how long"…). */
  answerTypeMatched: number;
}

export interface ComposedAnswer {
  /** Markdown (the subset of src/text/markdown.ts) with [n] markers; '' when nothing answers. */
  markdown: string;
  /** The answer in pieces for streaming; joined they equal `markdown`. */
  pieces: string[];
  /** Numbered in order of first use; `quote` is the passage text the answer used. */
  citations: Citation[];
  evidence: CompositionEvidence;
}

/**
 * Composes an extractive answer: units of the best passages (sentence runs, lists, table rows) that
 * answer the question, in their own shape, each tied to its source.
 *
 * @example
 *   const composed = composeAnswer({ question, language: 'en', answerType: 'duration', focusTerms, carriedTerms: [], terms, passages, corpus, previousAnswers: [], maxSentences: 3 });
 *   composed.markdown // "Refunds are issued within 5 business days. [1]"
 */
export function composeAnswer(input: ComposeInput): ComposedAnswer {
  const usable = input.passages.map((passage) => ({ ...passage, chunk: { ...passage.chunk, text: withoutInstructions(passage.chunk.text) } }));
  const composition = composeExtractive({ terms: input.terms, passages: usable, corpus: input.corpus, maxSentences: input.maxSentences });
  const rendered = renderWithCitations({ sentences: composition.sentences, passages: input.passages, chinese: input.language === 'zh' });
  const focus = input.focusTerms.length > 0 ? input.focusTerms : input.terms;
  const chosen = composition.sentences.map((sentence) => sentence.text).join(' ');
  return {
    markdown: rendered.pieces.join(''),
    pieces: rendered.pieces,
    citations: rendered.citations,
    evidence: {
      focusCoverage: weightedCoverage(wordsOf(chosen), focus, input.corpus, chosen),
      bestPassageCoverage: composition.bestPassageCoverage,
      answerTypeMatched: 0,
    },
  };
}

/** Sentences addressed to an assistant are not content (see safety.ts). */
function withoutInstructions(text: string): string {
  return splitSentences(text).filter((sentence) => !isInstructionToAssistant(sentence)).join(' ');
}

export interface ComposedSentence {
  text: string;
  /** Index into the passages given to the composer. */
  passageIndex: number;
  /** Position of the sentence within its passage. */
  position: number;
  score: number;
}

export interface Composition {
  sentences: ComposedSentence[];
  /** IDF-weighted share of the question's words that the chosen sentences contain (0..1). */
  coverage: number;
  /** The best single passage's IDF-weighted share of the question's words (0..1). */
  bestPassageCoverage: number;
}

const MAX_PASSAGES = 4;
const MAX_ANSWER_CHARS = 900;

const HAN = /\p{Script=Han}/u;

/**
 * IDF-weighted share of the terms a text contains. Chinese terms are matched as substrings: jieba
 * may cut the same name differently in a question and in a passage (张世昌 vs 张世 昌).
 */
function weightedCoverage(words: ReadonlySet<string>, terms: readonly string[], corpus: CorpusStats, text = ''): number {
  let total = 0;
  let covered = 0;
  for (const term of terms) {
    const weight = corpus.idf(term);
    total += weight;
    if (words.has(term) || (HAN.test(term) && text.includes(term))) covered += weight;
  }
  return total > 0 ? covered / total : 0;
}

function wordsOf(text: string): Set<string> {
  return new Set(contentWords(text).map(stem));
}

/** Chooses up to `maxSentences` sentences answering the question from the top passages. */
export function composeExtractive(options: {
  terms: readonly string[];
  passages: readonly Candidate[];
  corpus: CorpusStats;
  maxSentences: number;
}): Composition {
  const { terms, corpus } = options;
  const passages = options.passages.slice(0, MAX_PASSAGES);
  const topScore = passages[0]?.score ?? 1;
  const pool: Array<ComposedSentence & { words: Set<string> }> = [];
  let bestPassageCoverage = 0;
  passages.forEach((passage, passageIndex) => {
    const passageWords = wordsOf(passage.chunk.text);
    bestPassageCoverage = Math.max(bestPassageCoverage, weightedCoverage(passageWords, terms, corpus, passage.chunk.text));
    const relevance = topScore > 0 ? passage.score / topScore : 0;
    splitSentences(passage.chunk.text).forEach((text, position) => {
      const words = wordsOf(text);
      if (words.size < 3 && text.length < 12) return; // headings and fragments say too little alone
      const overlap = weightedCoverage(words, terms, corpus, text);
      const score = 0.6 * overlap + 0.3 * relevance + 0.1 / (1 + position) - (text.length > 400 ? 0.1 : 0);
      pool.push({ text, passageIndex, position, score, words });
    });
  });

  const chosen: Array<ComposedSentence & { words: Set<string> }> = [];
  const coveredWords = new Set<string>();
  let length = 0;
  while (chosen.length < options.maxSentences) {
    let best: (typeof pool)[number] | undefined;
    let bestValue = -Infinity;
    for (const sentence of pool) {
      if (chosen.includes(sentence)) continue;
      // Reward question words not yet covered; prefer the sentence right after a chosen one (it continues the thought).
      const novelty = terms.filter((term) => sentence.words.has(term) && !coveredWords.has(term)).reduce((sum, term) => sum + corpus.idf(term), 0);
      const adjacent = chosen.some((other) => other.passageIndex === sentence.passageIndex && other.position + 1 === sentence.position) ? 0.15 : 0;
      const redundant = chosen.some((other) => jaccard(other.words, sentence.words) > 0.6) ? 1 : 0;
      const value = sentence.score + 0.05 * novelty + adjacent - redundant;
      if (value > bestValue) {
        bestValue = value;
        best = sentence;
      }
    }
    if (!best || (chosen.length > 0 && bestValue < 0.35) || length + best.text.length > MAX_ANSWER_CHARS) break;
    chosen.push(best);
    length += best.text.length;
    for (const term of terms) if (best.words.has(term)) coveredWords.add(term);
  }

  chosen.sort((a, b) => a.passageIndex - b.passageIndex || a.position - b.position);
  const allWords = new Set<string>();
  for (const sentence of chosen) for (const word of sentence.words) allWords.add(word);
  return {
    sentences: chosen.map(({ text, passageIndex, position, score }) => ({ text, passageIndex, position, score })),
    coverage: weightedCoverage(allWords, terms, corpus, chosen.map((sentence) => sentence.text).join('')),
    bestPassageCoverage,
  };
}

/** Numbers the sources in order of first use and renders "sentence sentence [1] sentence [2]". */
export function renderWithCitations(options: { sentences: readonly ComposedSentence[]; passages: readonly Candidate[]; chinese: boolean }): {
  pieces: string[];
  citations: Citation[];
} {
  const numbers = new Map<number, number>();
  const citations: Citation[] = [];
  const pieces: string[] = [];
  options.sentences.forEach((sentence, index) => {
    const passage = options.passages[sentence.passageIndex];
    if (!passage) return;
    let n = numbers.get(sentence.passageIndex);
    if (n === undefined) {
      n = citations.length + 1;
      numbers.set(sentence.passageIndex, n);
      citations.push(citationFor(passage, n, ''));
    }
    const citation = citations[n - 1];
    if (citation) citation.quote = citation.quote ? `${citation.quote} ${sentence.text}` : sentence.text;
    const next = options.sentences[index + 1];
    // One marker after a run of sentences from the same source.
    const marker = next && next.passageIndex === sentence.passageIndex ? '' : ` [${n}]`;
    const separator = index === 0 ? '' : options.chinese ? '' : ' ';
    pieces.push(`${separator}${sentence.text}${marker}`);
  });
  return { pieces, citations };
}

export function citationFor(passage: Candidate, n: number, quote: string): Citation {
  return {
    n,
    chunkId: passage.chunk.id,
    docPath: passage.chunk.docPath,
    // An FAQ entry is best named by its question.
    title: passage.chunk.kind === 'faq' ? (passage.chunk.questions.split('\n')[0] ?? passage.chunk.title) : passage.chunk.title,
    page: passage.chunk.page > 0 ? passage.chunk.page : undefined,
    headingPath: passage.chunk.headingPath,
    quote,
  };
}
