/**
 * Scoring units against the question and choosing the answer: the best unit, plus at most one
 * supporting sentence from another source when it adds something the question asks about.
 *
 * A unit's score mixes: coverage of the question's rare terms (IDF-weighted; the follow-up's own
 * words weigh more than the topic carried from the previous question), whether it carries the asked-for
 * kind of answer (a duration for "how long", steps for "how do I"), the passage's fused score, its
 * position in the passage, and a length cost above a concise length. The weights are in
 * `SCORING` and eval/README.md ("Answer composition constants") says where each came from.
 */
import type { CorpusStats } from '../retrieval/corpus-stats.ts';
import { toPlainText } from '../text/markdown.ts';
import { contentWords, hasHan, jaccard } from '../text/index.ts';
import { answerTypeMatch, type AnswerType } from './answer-type.ts';
import type { Unit } from './units.ts';

export const SCORING = {
  /** Weight of the IDF-weighted share of the question's terms the unit names. */
  coverage: 1,
  /** Weight of the best single clause's coverage: the question's words close together, as a paraphrase keeps them. */
  clause: 0.6,
  /** Share of a term's weight that counts when only the unit's section heading names it. */
  heading: 0.5,
  /** Share of the coverage a run's later sentences add that counts (its first sentence counts in full). */
  continuation: 0.75,
  /** Weight of carrying the asked-for kind of answer (a duration for "how long", numbered steps for "how do I"). */
  answerType: 0.3,
  /** Weight of agreeing with a negative question ("what is not covered", "exceptions", 不): the unit says what is not. */
  polarity: 0.2,
  /** Weight of the passage's fused retrieval score (relative to the best passage read). */
  passage: 0.6,
  /** Weight of being early in the passage (1 / (1 + position)). */
  position: 0.1,
  /** Weight of fitting the concise length: 1 at `targetWords`, falling linearly on both sides. */
  length: 0.3,
  /** The concise length, in words (a Chinese character counts as half a word), of an answer to an open question. */
  targetWords: 80,
  /** …and of an answer to a question asking for one value or a yes/no (how much, how long, when, is it…). */
  targetWordsShort: 30,
  /** A topic word carried from the previous question weighs this much of a follow-up's own word. */
  carried: 0.5,
  /** Score subtracted per sentence (or block) of a unit that repeats an earlier answer of the conversation (follow-ups). */
  repeat: 1,
  /** A unit that names this share of an earlier answer's words says what that answer said. */
  repeatOverlap: 0.8,
  /** A supporting sentence must score at least this share of the main unit's score… */
  supportRatio: 0.7,
  /** …and name focus terms the main unit lacks worth at least this share of all focus terms' weight. */
  supportGain: 0.1,
  /**
   * "How long / how much / when" questions: when a unit carrying a value covers at least this share of the
   * best coverage, only such units are considered (above 1: never).
   */
  typeKeep: 0.3,
  /** A run's first and last sentences name the question at least this share as much as the best sentence does. */
  edgeKeep: 0,
  /** …in a follow-up, its own words at least this share as much as the best sentence does. */
  focusKeep: 0.5,
};

export type Scoring = typeof SCORING;

/**
 * Negation and exception, the grammar of "what is *not* covered", "what are the exceptions", "哪些不退":
 * stop words to keyword search, yet they decide which half of a passage answers.
 */
const NEGATIVE = /\b(not|no|never|none|nor|cannot|without|except|excepts?|exception|exceptions|exclude[sd]?|excluding|exclusions?)\b|n['’]t\b|[不没無无非除禁]/iu;

/** Whether a text speaks in the negative (or of exceptions). */
export function isNegative(text: string): boolean {
  return NEGATIVE.test(text);
}

/** Answer types that ask for one value or a yes/no: their answers are measured against `targetWordsShort`. */
const SHORT_ANSWER_TYPES: ReadonlySet<AnswerType> = new Set(['money', 'duration', 'date', 'number', 'yesno']);

/** A unit with what the scorer knows about it. */
export interface ScoredUnit extends Unit {
  /** Plain text of everything the unit shows (intro, sentences, block). */
  text: string;
  words: ReadonlySet<string>;
  /** IDF-weighted share of all question terms (focus and carried) it contains. */
  coverage: number;
  /** IDF-weighted share of the focus terms it contains. */
  focusCoverage: number;
  typeMatch: number;
  /** How many of its sentences (or its block) repeat an earlier answer of the conversation. */
  repeated: number;
  score: number;
}

export interface QuestionTerms {
  /** term → weight (IDF × role). */
  weights: Map<string, number>;
  focus: Set<string>;
}

/** The question's terms with their weights: focus terms at full IDF, carried terms discounted. */
export function questionTerms(options: {
  focusTerms: readonly string[];
  carriedTerms: readonly string[];
  terms: readonly string[];
  corpus: CorpusStats;
  /**
   * Leave out terms the documents never use: no unit can name them, so they only shrink every unit's
   * coverage against the other features (scoring). Evidence keeps them: an unknown focus word is a
   * sign the documents do not answer.
   */
  knownOnly?: boolean;
  scoring?: Scoring;
}): QuestionTerms {
  const scoring = options.scoring ?? SCORING;
  const focusList = options.focusTerms.length > 0 || options.carriedTerms.length > 0 ? options.focusTerms : options.terms;
  const usable = (term: string) => !options.knownOnly || options.corpus.knows(term);
  const anyKnown = [...focusList, ...options.carriedTerms].some(usable);
  const keep = (term: string) => !anyKnown || usable(term);
  const focus = new Set(focusList.filter(keep));
  const weights = new Map<string, number>();
  for (const term of focus) weights.set(term, options.corpus.idf(term));
  for (const term of options.carriedTerms) if (!focus.has(term) && keep(term)) weights.set(term, options.corpus.idf(term) * scoring.carried);
  return { weights, focus };
}

/** Whether a text contains a term: as a word, or (Chinese, which jieba may cut differently) as a substring. */
function contains(words: ReadonlySet<string>, text: string, term: string): boolean {
  return words.has(term) || (hasHan(term) && text.includes(term));
}

/**
 * Content words, memoised: the same sentences come back in every window of a paragraph and in every
 * question about the same passages, and segmenting and stemming them is most of the composer's time.
 * Bounded; a set returned is shared, so it is read-only.
 */
const WORD_CACHE_LIMIT = 20_000;
const clauseCache = new Map<string, ReadonlySet<string>>();
const textCache = new Map<string, ReadonlySet<string>>();

function remember(cache: Map<string, ReadonlySet<string>>, key: string, words: ReadonlySet<string>): ReadonlySet<string> {
  if (cache.size >= WORD_CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, words);
  return words;
}

const CLAUSE_BREAK = /[，,；;：:。！？!?\n]+|\.(?=\s|$)/u;

/**
 * The clauses of a text (split at commas, semicolons, colons and sentence ends; "3.5" stays whole).
 * Words never span a clause break, so a text's words are the union of its clauses' words: each clause
 * is analysed once, whichever sentence, run or clause test asks for it.
 */
export function clausesOf(text: string): string[] {
  return text.split(CLAUSE_BREAK).filter((clause) => clause.trim());
}

/** The content words of a text (stemmed, stop words out), as a read-only set. */
export function wordSet(text: string): ReadonlySet<string> {
  const known = textCache.get(text);
  if (known) return known;
  const words = new Set<string>();
  for (const clause of clausesOf(text)) {
    let clauseWords = clauseCache.get(clause);
    if (!clauseWords) clauseWords = remember(clauseCache, clause, new Set(contentWords(clause)));
    for (const word of clauseWords) words.add(word);
  }
  return remember(textCache, text, words);
}

/** IDF-weighted share of the terms (of `only`, when given) a text contains. */
export function coverageOf(options: { words: ReadonlySet<string>; text: string; terms: QuestionTerms; only?: ReadonlySet<string> }): number {
  let total = 0;
  let covered = 0;
  for (const [term, weight] of options.terms.weights) {
    if (options.only && !options.only.has(term)) continue;
    total += weight;
    if (contains(options.words, options.text, term)) covered += weight;
  }
  return total > 0 ? covered / total : 0;
}

/** The question terms' weight a text contains (0 when none): how well a table row or list item matches. */
export function relevanceOf(text: string, terms: QuestionTerms): number {
  const words = wordSet(text);
  let covered = 0;
  for (const [term, weight] of terms.weights) if (contains(words, text, term)) covered += weight;
  return covered;
}

/** The unit's text as a reader sees it (tables as "Header: cell" records so a row keeps its meaning). */
export function unitText(unit: Unit): string {
  const intro = unit.sentences.join(' ');
  return [intro, unit.block ? toPlainText(unit.block, { tables: 'records' }) : ''].filter(Boolean).join('\n');
}

/** Length in words; a Chinese character counts as half a word. */
export function lengthInWords(text: string): number {
  const han = text.match(/\p{Script=Han}/gu)?.length ?? 0;
  const latin = text.replace(/\p{Script=Han}/gu, ' ').match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  return latin + han / 2;
}

/** How well a unit carries the asked-for kind: by its shape for lists and steps, by its content otherwise. */
export function unitTypeMatch(type: AnswerType, unit: Unit, text: string): number {
  switch (type) {
    case 'list':
      return unit.kind === 'list' ? 1 : unit.kind === 'table' ? 0.75 : 0;
    case 'steps':
      if (unit.kind === 'list') return unit.ordered ? 1 : 0.5;
      return answerTypeMatch('steps', text);
    case 'yesno':
    case 'other':
      return 0;
    default:
      return answerTypeMatch(type, text);
  }
}

export interface ScoreOptions {
  units: readonly Unit[];
  terms: QuestionTerms;
  answerType: AnswerType;
  /** Fused score of each passage (by index), and the best one. */
  passageScores: readonly number[];
  /** Heading path of each passage (by index): the section a unit stands in is part of what it says. */
  passageHeadings?: readonly string[];
  /** Plain texts of earlier answers in the conversation, for follow-ups; empty otherwise. */
  previousAnswers: readonly string[];
  /** The question asks what is not so ("what is not covered", "exceptions"): units saying what is not weigh `polarity` more. */
  negativeQuestion?: boolean;
  /** A follow-up: a run of sentences must begin and end on the follow-up's own focus. */
  followUp?: boolean;
  scoring?: Scoring;
}

type PreviousAnswer = { words: ReadonlySet<string>; text: string };

/**
 * Whether a sentence (or block) repeats an earlier answer of the conversation: it says (nearly) all
 * that answer said and names no focus term that answer lacked. A sentence that was only a part of a
 * longer earlier answer is not a repeat: alone, it answers the follow-up more precisely.
 */
function repeatsPrevious(text: string, previous: readonly PreviousAnswer[], options: { threshold: number; terms: QuestionTerms }): boolean {
  if (previous.length === 0) return false;
  const words = wordSet(text);
  return previous.some((answer) => {
    let shared = 0;
    for (const word of answer.words) if (words.has(word)) shared++;
    if (answer.words.size === 0 || shared / answer.words.size < options.threshold) return false;
    for (const term of options.terms.focus) if (contains(words, text, term) && !contains(answer.words, answer.text, term)) return false;
    return true;
  });
}

/** How many of a unit's sentences (or its block) repeat an earlier answer. */
function repeatsOf(unit: Unit, previous: readonly PreviousAnswer[], options: { threshold: number; terms: QuestionTerms }): number {
  if (previous.length === 0) return 0;
  const parts = unit.kind === 'sentences' ? unit.sentences : [[...unit.sentences, unit.block].join('\n')];
  return parts.filter((part) => repeatsPrevious(part, previous, options)).length;
}

/** Scores every unit against the question. */
export function scoreUnits(options: ScoreOptions): ScoredUnit[] {
  const scoring = options.scoring ?? SCORING;
  const top = Math.max(0, ...options.passageScores);
  const previous = options.previousAnswers.map((answer) => {
    const text = answer.replace(/\[\d+\]/g, '');
    return { text, words: wordSet(text) };
  });
  const contributes = new Map<string, boolean>();
  /** A sentence that names a question term or carries the asked-for kind of answer. */
  // A run begins (and ends) on a sentence that names the question about as much as the best sentence
  // does: not on a sentence that only shares a common word with it. In a follow-up, on its own focus.
  const edgeTerms: QuestionTerms = options.followUp ? { weights: new Map([...options.terms.weights].filter(([term]) => options.terms.focus.has(term))), focus: options.terms.focus } : options.terms;
  const sentenceRelevance = new Map<string, number>();
  for (const unit of options.units) for (const sentence of unit.sentences) if (!sentenceRelevance.has(sentence)) sentenceRelevance.set(sentence, relevanceOf(sentence, edgeTerms));
  const bestRelevance = Math.max(0, ...sentenceRelevance.values());
  const typed = !options.followUp && !['list', 'steps', 'yesno', 'other'].includes(options.answerType);
  const contributing = (sentence: string): boolean => {
    let known = contributes.get(sentence);
    if (known === undefined) {
      const relevance = sentenceRelevance.get(sentence) ?? 0;
      const keep = options.followUp ? scoring.focusKeep : scoring.edgeKeep;
      known = (relevance > 0 && relevance >= keep * bestRelevance) || (typed && answerTypeMatch(options.answerType, sentence) > 0);
      contributes.set(sentence, known);
    }
    return known;
  };
  const units = options.units.filter(
    (unit) => unit.kind !== 'sentences' || unit.sentences.length === 1 || (contributing(unit.sentences[0] ?? '') && contributing(unit.sentences.at(-1) ?? '')),
  );
  // A question asking for one value or a yes/no is answered in a sentence or two; an open one needs more.
  // A table or list is already cut to the rows and items that match, so it is measured as an open answer.
  const shortAnswer = SHORT_ANSWER_TYPES.has(options.answerType);
  const negativeQuestion = options.negativeQuestion === true;
  const anchorCoverage = new Map<string, number>();
  const clauseCoverageCache = new Map<string, number>();
  const lengths = new Map<string, number>();
  const headingCache = new Map<string, ReadonlySet<string>>();
  return units.map((unit) => {
    const text = unitText(unit);
    // The union of its parts' words: each sentence is segmented once however many windows it is in.
    const words = new Set<string>();
    for (const part of unit.kind === 'sentences' ? unit.sentences : [text]) for (const word of wordSet(part)) words.add(word);
    const coverage = coverageOf({ words, text, terms: options.terms });
    // A run is anchored on its first sentence: what the sentences after it add counts at a discount.
    let anchored = coverage;
    if (unit.kind === 'sentences' && unit.sentences.length > 1) {
      const first = unit.sentences[0] ?? '';
      let anchor = anchorCoverage.get(first);
      if (anchor === undefined) {
        anchor = coverageOf({ words: wordSet(first), text: first, terms: options.terms });
        anchorCoverage.set(first, anchor);
      }
      anchored = anchor + scoring.continuation * (coverage - anchor);
    }
    // Terms the unit lacks but its section heading names ("退货期限" over "…30 天内可以退货").
    const heading = options.passageHeadings?.[unit.passageIndex] ?? '';
    if (heading && scoring.heading > 0) {
      let headingWords = headingCache.get(heading);
      if (!headingWords) {
        headingWords = wordSet(heading);
        headingCache.set(heading, headingWords);
      }
      let total = 0;
      let extra = 0;
      for (const [term, weight] of options.terms.weights) {
        total += weight;
        if (!contains(words, text, term) && contains(headingWords, heading, term)) extra += weight;
      }
      if (total > 0) anchored += (scoring.heading * extra) / total;
    }
    const focusCoverage = coverageOf({ words, text, terms: options.terms, only: options.terms.focus });
    const typeMatch = unitTypeMatch(options.answerType, unit, text);
    let clauseCoverage = 0;
    if (scoring.clause > 0) {
      for (const part of unit.kind === 'sentences' ? unit.sentences : [text]) {
        let best = clauseCoverageCache.get(part);
        if (best === undefined) {
          best = 0;
          for (const clause of clausesOf(part)) best = Math.max(best, coverageOf({ words: wordSet(clause), text: clause, terms: options.terms }));
          clauseCoverageCache.set(part, best);
        }
        clauseCoverage = Math.max(clauseCoverage, best);
      }
    }
    const relevance = top > 0 ? Math.max(0, Math.min(1, (options.passageScores[unit.passageIndex] ?? 0) / top)) : 0;
    // 1 at the concise length, less for a shorter unit (it says less) and for a longer one (it says too much).
    let length = 0;
    for (const part of unit.kind === 'sentences' ? unit.sentences : [text]) {
      let known = lengths.get(part);
      if (known === undefined) {
        known = lengthInWords(part);
        lengths.set(part, known);
      }
      length += known;
    }
    const target = !shortAnswer ? scoring.targetWords : unit.kind === 'sentences' ? scoring.targetWordsShort : (scoring.targetWords + scoring.targetWordsShort) / 2;
    const lengthFit = 1 - Math.abs(length - target) / target;
    const repeated = repeatsOf(unit, previous, { threshold: scoring.repeatOverlap, terms: options.terms });
    const score =
      scoring.coverage * anchored +
      scoring.clause * clauseCoverage +
      scoring.answerType * typeMatch +
      (negativeQuestion && isNegative(text) ? scoring.polarity : 0) +
      scoring.passage * relevance +
      scoring.position / (1 + unit.position) +
      scoring.length * lengthFit -
      scoring.repeat * repeated;
    return { ...unit, text, words, coverage, focusCoverage, typeMatch, repeated, score };
  });
}

export interface Selection {
  main?: ScoredUnit;
  support?: ScoredUnit;
}

/**
 * Picks the answer: the best-scoring unit, and at most one supporting sentence from another passage
 * that covers focus terms the main unit lacks. For a follow-up, only units that name one of its own
 * words are considered when any does: "and for sale items?" is answered about sale items when any
 * passage speaks of them.
 */
export function selectUnits(options: {
  scored: readonly ScoredUnit[];
  terms: QuestionTerms;
  followUp: boolean;
  maxChars: number;
  /** A question asking for a value (money, duration, date, number) is answered by a unit that has one when a relevant one does. */
  wantsValue?: boolean;
  scoring?: Scoring;
}): Selection {
  const scoring = options.scoring ?? SCORING;
  let pool = options.scored;
  if (options.followUp && pool.some((unit) => unit.focusCoverage > 0)) pool = pool.filter((unit) => unit.focusCoverage > 0);
  if (options.wantsValue && scoring.typeKeep <= 1) {
    const bestCoverage = Math.max(0, ...pool.map((unit) => unit.coverage));
    const typed = pool.filter((unit) => unit.typeMatch > 0 && unit.coverage >= scoring.typeKeep * bestCoverage);
    if (typed.length > 0) pool = typed;
  }
  const main = pool.reduce<ScoredUnit | undefined>((best, unit) => (!best || unit.score > best.score ? unit : best), undefined);
  if (!main) return {};
  const mainLength = main.text.length;
  let support: ScoredUnit | undefined;
  let supportValue = 0;
  for (const unit of options.scored) {
    if (unit.kind !== 'sentences' || unit.sentences.length !== 1 || unit.passageIndex === main.passageIndex || unit.repeated > 0) continue;
    if (unit.score < scoring.supportRatio * main.score || mainLength + unit.text.length > options.maxChars) continue;
    if (jaccard(unit.words, main.words) >= 0.6) continue;
    let added = 0;
    let focusWeight = 0;
    for (const term of options.terms.focus) {
      const weight = options.terms.weights.get(term) ?? 0;
      focusWeight += weight;
      if (contains(unit.words, unit.text, term) && !contains(main.words, main.text, term)) added += weight;
    }
    if (added <= 0 || added < scoring.supportGain * focusWeight) continue;
    const value = added + unit.score;
    if (value > supportValue) {
      supportValue = value;
      support = unit;
    }
  }
  return { main, ...(support ? { support } : {}) };
}
