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
import { normalizeText, type Unit } from './units.ts';

export const SCORING = {
  /** Longest run of sentences (never more than the configured maximum answer length). */
  maxRun: 3,
  /** Weight of the IDF-weighted share of question terms the unit contains. */
  coverage: 1,
  /** Share of the coverage a run's later sentences add that counts (its first sentence counts in full). */
  continuation: 1,
  /** Whether a run must also end on a sentence that names a question term (it always begins on one). */
  lastContributes: 1,
  /** Weight of carrying the asked-for kind of answer. */
  answerType: 0.3,
  /** Weight of the passage's fused retrieval score (relative to the best passage). */
  passage: 0.3,
  /** Weight of being early in the passage (1 / (1 + position)). */
  position: 0.1,
  /** Cost per target length beyond the target (a unit twice the target costs this much). */
  length: 0.3,
  /** Cost per target length of any length (a sentence that adds nothing still costs). */
  lengthLinear: 0,
  /** Concise length, in words (a Chinese character counts as half a word). */
  targetWords: 60,
  /** A topic word carried from the previous question weighs this much of a follow-up's own word. */
  carried: 0.5,
  /**
   * How much a term named by every candidate sentence loses of its weight (0..1): a word all candidates
   * share ("the Northwind Standard plan", an article's own subject) does not tell them apart.
   */
  shared: 0,
  /** Score subtracted per sentence (or block) a previous answer of this conversation already said (follow-ups). */
  repeat: 1,
  /** A supporting sentence must score at least this share of the main unit's score. */
  supportRatio: 0.5,
  /** …and add focus terms worth at least this share of the focus terms' weight. */
  supportGain: 0.2,
  /** A run's first (and last) sentence names the question at least this share as much as the best sentence does. */
  edgeKeep: 0,
  /** …and in a follow-up, names the follow-up's own words at least this share as much as the best sentence does. */
  focusKeep: 0.5,
  /** A sentence sharing this share of its words (or of an earlier answer's) with an earlier answer repeats it. */
  repeatOverlap: 0.7,
};

export type Scoring = typeof SCORING;

/** A unit with what the scorer knows about it. */
export interface ScoredUnit extends Unit {
  /** Plain text of everything the unit shows (intro, sentences, block). */
  text: string;
  words: Set<string>;
  /** IDF-weighted share of all question terms (focus and carried) it contains. */
  coverage: number;
  /** IDF-weighted share of the focus terms it contains. */
  focusCoverage: number;
  typeMatch: number;
  /** Sentences (or the block) already said in an earlier answer of the conversation. */
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
   * Texts of the candidate sentences (and blocks): a term most of them share ("the Northwind plan", the
   * article's own subject) tells them apart less than one only a few name (see SCORING.shared).
   */
  candidateTexts?: readonly string[];
  scoring?: Scoring;
}): QuestionTerms {
  const scoring = options.scoring ?? SCORING;
  const focusList = options.focusTerms.length > 0 || options.carriedTerms.length > 0 ? options.focusTerms : options.terms;
  const focus = new Set(focusList);
  const texts = scoring.shared > 0 ? (options.candidateTexts ?? []) : [];
  const textWords = texts.map(wordSet);
  const local = (term: string): number => {
    if (texts.length < 2) return 1;
    const share = texts.filter((text, index) => contains(textWords[index] ?? new Set(), text, term)).length / texts.length;
    return 1 - scoring.shared * share;
  };
  const weights = new Map<string, number>();
  for (const term of focus) weights.set(term, options.corpus.idf(term) * local(term));
  for (const term of options.carriedTerms) if (!focus.has(term)) weights.set(term, options.corpus.idf(term) * scoring.carried * local(term));
  return { weights, focus };
}

/** Whether a text contains a term: as a word, or (Chinese, which jieba may cut differently) as a substring. */
function contains(words: ReadonlySet<string>, text: string, term: string): boolean {
  return words.has(term) || (hasHan(term) && text.includes(term));
}

export function wordSet(text: string): Set<string> {
  return new Set(contentWords(text));
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
  /** Plain texts of earlier answers in the conversation, for follow-ups; empty otherwise. */
  previousAnswers: readonly string[];
  /** A follow-up: a run of sentences must begin and end on the follow-up's own focus. */
  followUp?: boolean;
  scoring?: Scoring;
}

/** Shared words over the smaller set: 1 when one text's words are all in the other. */
function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  return shared / Math.max(1, Math.min(a.size, b.size));
}

type PreviousAnswer = { normalized: string; words: Set<string>; text: string };

/**
 * Whether an earlier answer already said this text: it is contained in that answer, or shares most of
 * its words with it, and names no focus term that answer lacked ("Batteries are covered for 12 months"
 * says something new about batteries even when it repeats the rest).
 */
function isRepeat(text: string, previous: readonly PreviousAnswer[], options: { threshold: number; terms: QuestionTerms }): boolean {
  if (previous.length === 0) return false;
  const normalized = normalizeText(text);
  const words = wordSet(text);
  return previous.some((answer) => {
    const similar = (normalized.length > 0 && answer.normalized.includes(normalized)) || overlap(words, answer.words) >= options.threshold;
    if (!similar) return false;
    for (const term of options.terms.focus) if (contains(words, text, term) && !contains(answer.words, answer.text, term)) return false;
    return true;
  });
}

/** How many of a unit's sentences (or its block) an earlier answer already said. */
function repeatsOf(unit: Unit, previous: readonly PreviousAnswer[], options: { threshold: number; terms: QuestionTerms }): number {
  if (previous.length === 0) return 0;
  const parts = unit.kind === 'sentences' ? unit.sentences : [unit.block];
  return parts.filter((part) => isRepeat(part, previous, options)).length;
}

/** Scores every unit against the question. */
export function scoreUnits(options: ScoreOptions): ScoredUnit[] {
  const scoring = options.scoring ?? SCORING;
  const top = Math.max(0, ...options.passageScores);
  const previous = options.previousAnswers.map((answer) => {
    const text = answer.replace(/\[\d+\]/g, '');
    return { text, normalized: normalizeText(text), words: wordSet(text) };
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
    (unit) => unit.kind !== 'sentences' || unit.sentences.length === 1 || (contributing(unit.sentences[0] ?? '') && (!scoring.lastContributes || contributing(unit.sentences.at(-1) ?? ''))),
  );
  const anchorCoverage = new Map<string, number>();
  return units.map((unit) => {
    const text = unitText(unit);
    const words = wordSet(text);
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
    const focusCoverage = coverageOf({ words, text, terms: options.terms, only: options.terms.focus });
    const typeMatch = unitTypeMatch(options.answerType, unit, text);
    const relevance = top > 0 ? Math.max(0, Math.min(1, (options.passageScores[unit.passageIndex] ?? 0) / top)) : 0;
    const length = lengthInWords(text);
    const lengthCost = Math.max(0, length - scoring.targetWords) / scoring.targetWords;
    const repeated = repeatsOf(unit, previous, { threshold: scoring.repeatOverlap, terms: options.terms });
    const score =
      scoring.coverage * anchored +
      scoring.answerType * typeMatch +
      scoring.passage * relevance +
      scoring.position / (1 + unit.position) -
      scoring.length * lengthCost -
      (scoring.lengthLinear * length) / scoring.targetWords -
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
export function selectUnits(options: { scored: readonly ScoredUnit[]; terms: QuestionTerms; followUp: boolean; maxChars: number; scoring?: Scoring }): Selection {
  const scoring = options.scoring ?? SCORING;
  let pool = options.scored;
  if (options.followUp && pool.some((unit) => unit.focusCoverage > 0)) pool = pool.filter((unit) => unit.focusCoverage > 0);
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
