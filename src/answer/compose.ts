/**
 * The extractive composer: the passage that answers, cut to the part that matters, in the shape it
 * has in the document (a run of sentences, a list, table rows), with its source. It never writes a
 * word of its own into the answer, so it cannot state anything the documents do not say.
 *
 * units.ts reads passages into units (furniture, questions and instructions removed), select.ts
 * scores them against the question and picks the answer, render.ts writes it as Markdown with [n].
 */
import type { Candidate } from '../retrieval/index.ts';
import type { CorpusStats } from '../retrieval/corpus-stats.ts';
import { splitSentences, type Language } from '../text/index.ts';
import type { AnswerType } from './answer-type.ts';
import { renderAnswer } from './render.ts';
import { isInstructionToAssistant } from './safety.ts';
import { coverageOf, isNegative, questionTerms, relevanceOf, scoreUnits, selectUnits, SCORING, wordSet, type Scoring } from './select.ts';
import type { Citation } from './types.ts';
import { cutUnits, readPassages } from './units.ts';

export { citationFor } from './render.ts';
export { faqAnswer, promptText } from './units.ts';

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
  /** Scoring weights (tuning scripts only; the defaults are the fitted ones). */
  scoring?: Scoring;
}

/** Evidence about the composed answer, for the answerability model. All in 0..1. */
export interface CompositionEvidence {
  /** IDF-weighted share of the focus terms found in the chosen units. */
  focusCoverage: number;
  /**
   * IDF-weighted share of the focus terms found in the main unit alone: a question whose words the answer
   * only covers by joining sentences of unrelated passages ("十二生肖" from one, "今天" from another) is
   * answered around, not answered.
   */
  mainCoverage: number;
  /** The best single passage's IDF-weighted share of the query terms. */
  bestPassageCoverage: number;
  /**
   * Whether the chosen units carry the asked-for kind of answer (a duration for "how long"…, a list
   * for "what are", steps for "how do I"); 1 when the question asks for no particular kind.
   */
  answerTypeMatched: number;
  /** How many units the answer quotes (0 when nothing answers). */
  unitCount: number;
  /** 1 when the main unit repeats an earlier answer of the conversation. */
  repeatsPrevious: number;
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

/** How many of the fused passages the composer reads. */
const MAX_PASSAGES = 4;
/** The answer's length limit: a 50 KB passage never becomes a 50 KB answer. */
const MAX_ANSWER_CHARS = 1500;

/**
 * Composes an extractive answer: units of the best passages (sentence runs, lists, table rows) that
 * answer the question, in their own shape, each tied to its source.
 *
 * @example
 *   const composed = composeAnswer({ question, language: 'en', answerType: 'duration', focusTerms, carriedTerms: [], terms, passages, corpus, previousAnswers: [], maxSentences: 3 });
 *   composed.markdown // "Refunds are issued within 5 business days. [1]"
 */
export function composeAnswer(input: ComposeInput): ComposedAnswer {
  const scoring = input.scoring ?? SCORING;
  const passages = input.passages.slice(0, MAX_PASSAGES);
  const contents = readPassages({ passages });
  const terms = questionTerms({ focusTerms: input.focusTerms, carriedTerms: input.carriedTerms, terms: input.terms, corpus: input.corpus, knownOnly: true, scoring });
  const followUp = input.carriedTerms.length > 0;
  const units = cutUnits({
    contents,
    relevance: (text) => relevanceOf(text, terms),
    maxRun: Math.max(1, input.maxSentences),
  });
  const scored = scoreUnits({
    units,
    terms,
    answerType: input.answerType,
    passageScores: passages.map((passage) => passage.score),
    passageHeadings: passages.map((passage) => passage.chunk.headingPath),
    previousAnswers: followUp ? input.previousAnswers : [],
    followUp,
    negativeQuestion: isNegative(input.question),
    scoring,
  });
  const wantsValue = ['money', 'duration', 'date', 'number'].includes(input.answerType);
  const { main, support } = selectUnits({ scored, terms, followUp, wantsValue, maxChars: MAX_ANSWER_CHARS, scoring });
  const chosen = main ? [main, ...(support ? [support] : [])] : [];
  const rendered = renderAnswer({ units: chosen, passages, chinese: input.language === 'zh' });
  const chosenText = chosen.map((unit) => unit.text).join('\n');
  const focus = input.focusTerms.length > 0 ? new Set(input.focusTerms) : new Set(input.terms);
  const evidenceTerms = questionTerms({ focusTerms: input.focusTerms, carriedTerms: input.carriedTerms, terms: input.terms, corpus: input.corpus, scoring });
  const requiresKind = !['other', 'yesno'].includes(input.answerType);
  return {
    markdown: rendered.markdown,
    pieces: rendered.pieces,
    citations: rendered.citations,
    evidence: {
      focusCoverage: chosen.length > 0 ? coverageOf({ words: wordSet(chosenText), text: chosenText, terms: evidenceTerms, only: focus }) : 0,
      mainCoverage: main ? coverageOf({ words: wordSet(main.text), text: main.text, terms: evidenceTerms, only: focus }) : 0,
      // A follow-up's carried words the documents never use were judged with the question they came from.
      bestPassageCoverage: bestPassageCoverage({ passages, terms: input.terms.filter((term) => !input.carriedTerms.includes(term) || input.corpus.knows(term)), corpus: input.corpus }),
      answerTypeMatched: !main ? 0 : requiresKind ? Math.max(...chosen.map((unit) => unit.typeMatch)) : 1,
      unitCount: chosen.length,
      repeatsPrevious: main && main.repeated > 0 ? 1 : 0,
    },
  };
}

/**
 * IDF-weighted share of the focus terms a text names (Chinese terms as substrings). The FAQ fast path
 * uses it so a follow-up about something new ("and for sale items?") is not answered with the curated
 * answer to the question it follows.
 *
 * @example
 *   focusCoverageOf({ text: faq.chunk.text, focusTerms: ['sale', 'item'], corpus }) // 0.3
 */
export function focusCoverageOf(options: { text: string; focusTerms: readonly string[]; corpus: CorpusStats }): number {
  const terms = questionTerms({ focusTerms: options.focusTerms, carriedTerms: [], terms: options.focusTerms, corpus: options.corpus });
  return coverageOf({ words: wordSet(options.text), text: options.text, terms });
}

/**
 * The best single passage's IDF-weighted share of the query terms (instruction-like sentences
 * excluded): what the answerability model reads as "a passage speaks of all of this".
 */
function bestPassageCoverage(options: { passages: readonly Candidate[]; terms: readonly string[]; corpus: CorpusStats }): number {
  const terms = questionTerms({ focusTerms: options.terms, carriedTerms: [], terms: options.terms, corpus: options.corpus });
  let best = 0;
  for (const passage of options.passages) {
    const sentences = splitSentences(passage.chunk.text);
    const clean = sentences.filter((sentence) => !isInstructionToAssistant(sentence));
    const text = clean.join(' ');
    // The index already holds the passage's analysed words; re-analyse only a passage that lost an instruction.
    const words = clean.length === sentences.length && passage.chunk.keywords ? new Set(passage.chunk.keywords.split(' ')) : wordSet(text);
    best = Math.max(best, coverageOf({ words, text, terms }));
  }
  return best;
}
