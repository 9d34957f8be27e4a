/**
 * Pure metric functions: ranking (hit@k, MRR, nDCG, recall), answer overlap (ROUGE-L, token F1,
 * key phrases), groundedness, and gold matching at document / page (±1) / chunk / FAQ granularity.
 * Nothing here does IO, so every figure in a report can be re-derived by hand.
 *
 * @example
 *   rankSources({ passages, gold: [{ document: 'a.pdf', page: 3 }], tolerance: 1 }).scores.firstRank // 2
 */
import { splitSentences } from '../src/text/index.ts';
import { toPlainText } from '../src/text/markdown.ts';
import type { GoldSource, LevelScores, RankedSource } from './types.ts';

export const RANK_CUTOFF = 10;
export const HIT_KS = [1, 3, 5, 10] as const;

// ---------------------------------------------------------------- ranking

/** Reciprocal rank of the first relevant item within the cutoff (0 when none). */
export function reciprocalRank(relevances: boolean[], cutoff = RANK_CUTOFF): number {
  const index = relevances.slice(0, cutoff).indexOf(true);
  return index < 0 ? 0 : 1 / (index + 1);
}

/** Binary-relevance nDCG: ideal ranking puts min(goldCount, cutoff) relevant items first. */
export function ndcg(relevances: boolean[], goldCount: number, cutoff = RANK_CUTOFF): number {
  if (goldCount <= 0) return 0;
  let dcg = 0;
  relevances.slice(0, cutoff).forEach((relevant, index) => {
    if (relevant) dcg += 1 / Math.log2(index + 2);
  });
  let ideal = 0;
  for (let index = 0; index < Math.min(goldCount, cutoff); index++) ideal += 1 / Math.log2(index + 2);
  return dcg / ideal;
}

/** Share of the gold sources found in the first k ranked sources. */
export function recallAtK(relevances: boolean[], goldCount: number, k: number): number {
  if (goldCount <= 0) return 0;
  return relevances.slice(0, k).filter(Boolean).length / goldCount;
}

/** 1 when a relevant item is within the first k. */
export function hitAtK(firstRank: number | null, k: number): number {
  return firstRank !== null && firstRank <= k ? 1 : 0;
}

// ---------------------------------------------------------------- gold matching

export type Granularity = 'faq' | 'chunk' | 'page' | 'document';

/** The finest granularity any gold source of a question gives. */
export function granularityOf(gold: GoldSource[]): Granularity {
  if (gold.some((source) => source.faq !== undefined)) return 'faq';
  if (gold.some((source) => source.chunk !== undefined)) return 'chunk';
  if (gold.some((source) => source.page !== undefined)) return 'page';
  return 'document';
}

/** A retrieved passage, reduced to what gold matching needs. */
export interface MatchablePassage {
  chunkId: string;
  docPath: string;
  page?: number;
  faqId?: string;
}

function normalisePath(value: string): string {
  return value.replace(/\\/g, '/').replace(/^\.\//, '');
}

/** Gold names a file by name or relative path; the index stores a relative (or absolute) path. */
export function sameDocument(goldDocument: string, docPath: string): boolean {
  const gold = normalisePath(goldDocument);
  const actual = normalisePath(docPath);
  return actual === gold || actual.endsWith(`/${gold}`) || (!gold.includes('/') && actual.split('/').pop() === gold);
}

/** Whether a passage satisfies every field a gold source gives (page within ±tolerance). */
export function goldMatches(gold: GoldSource, passage: MatchablePassage, tolerance = 0): boolean {
  if (gold.document !== undefined && !sameDocument(gold.document, passage.docPath)) return false;
  if (gold.page !== undefined && (passage.page === undefined || Math.abs(passage.page - gold.page) > tolerance)) return false;
  if (gold.chunk !== undefined && passage.chunkId !== gold.chunk) return false;
  if (gold.faq !== undefined && passage.faqId !== gold.faq) return false;
  return gold.document !== undefined || gold.page !== undefined || gold.chunk !== undefined || gold.faq !== undefined;
}

function sourceKey(passage: MatchablePassage, granularity: Granularity): string {
  switch (granularity) {
    case 'faq':
      return passage.faqId === undefined ? `chunk:${passage.chunkId}` : `faq:${passage.faqId}`;
    case 'chunk':
      return `chunk:${passage.chunkId}`;
    case 'page':
      return `${passage.docPath}#page=${passage.page ?? 0}`;
    case 'document':
      return passage.docPath;
  }
}

/** Gold sources reduced to one granularity, de-duplicated (two pages of one file are one document). */
export function goldAtLevel(gold: GoldSource[], level: 'strict' | 'document'): GoldSource[] {
  if (level === 'strict') return gold;
  const documents = [...new Set(gold.flatMap((source) => (source.document === undefined ? [] : [source.document])))];
  return documents.map((document) => ({ document }));
}

export interface RankOptions {
  passages: MatchablePassage[];
  gold: GoldSource[];
  /** Pages either side of a gold page that still count (0 = strict). */
  tolerance?: number;
  granularity?: Granularity;
}

/**
 * Ranks the distinct sources among retrieved passages (order of first appearance) at the gold's
 * granularity and marks which are relevant. Each gold source can be matched once, so three
 * neighbouring pages of one gold page do not count as three hits.
 */
export function rankSources(options: RankOptions): { ranked: RankedSource[]; scores: LevelScores } {
  const { passages, gold, tolerance = 0 } = options;
  const granularity = options.granularity ?? granularityOf(gold);
  const seen = new Set<string>();
  const matched = new Set<number>();
  const ranked: RankedSource[] = [];
  for (const passage of passages) {
    const key = sourceKey(passage, granularity);
    if (seen.has(key)) continue;
    seen.add(key);
    // Prefer an exact match so a tolerant hit does not use up a gold page another source hits exactly.
    let goldIndex = gold.findIndex((source, index) => !matched.has(index) && goldMatches(source, passage, 0));
    if (goldIndex < 0 && tolerance > 0) {
      goldIndex = gold.findIndex((source, index) => !matched.has(index) && goldMatches(source, passage, tolerance));
    }
    if (goldIndex >= 0) matched.add(goldIndex);
    ranked.push({ key, docPath: passage.docPath, ...(passage.page === undefined ? {} : { page: passage.page }), relevant: goldIndex >= 0 });
  }
  const relevances = ranked.map((source) => source.relevant);
  const firstIndex = relevances.slice(0, RANK_CUTOFF).indexOf(true);
  const recall: Record<string, number> = {};
  for (const k of HIT_KS) recall[String(k)] = recallAtK(relevances, gold.length, k);
  return {
    ranked,
    scores: {
      firstRank: firstIndex < 0 ? null : firstIndex + 1,
      reciprocalRank: reciprocalRank(relevances),
      ndcg: ndcg(relevances, gold.length),
      recall,
    },
  };
}

// ---------------------------------------------------------------- answer overlap

const ARTICLES = new Set(['a', 'an', 'the']);
const TOKEN_PATTERN = /\p{Script=Han}|(?:(?!\p{Script=Han})[\p{L}\p{N}])+/gu;

/**
 * Tokens for answer overlap: lower-cased words for alphabetic text, single characters for Chinese
 * (the CMRC 2018 convention), punctuation and English articles dropped.
 */
export function overlapTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.toLowerCase().matchAll(TOKEN_PATTERN)) {
    if (!ARTICLES.has(match[0])) tokens.push(match[0]);
  }
  return tokens;
}

function longestCommonSubsequence(left: string[], right: string[]): number {
  if (left.length === 0 || right.length === 0) return 0;
  let previous = new Array<number>(right.length + 1).fill(0);
  let current = new Array<number>(right.length + 1).fill(0);
  for (const leftToken of left) {
    for (let index = 1; index <= right.length; index++) {
      current[index] = leftToken === right[index - 1]
        ? (previous[index - 1] ?? 0) + 1
        : Math.max(previous[index] ?? 0, current[index - 1] ?? 0);
    }
    [previous, current] = [current, previous];
  }
  return previous[right.length] ?? 0;
}

/** ROUGE-L F1 over overlap tokens (characters for Chinese); best over the references. */
export function rougeL(candidate: string, references: string[]): number {
  const candidateTokens = overlapTokens(candidate);
  let best = 0;
  for (const reference of references) {
    const referenceTokens = overlapTokens(reference);
    const lcs = longestCommonSubsequence(candidateTokens, referenceTokens);
    if (lcs === 0) continue;
    const precision = lcs / candidateTokens.length;
    const recall = lcs / referenceTokens.length;
    best = Math.max(best, (2 * precision * recall) / (precision + recall));
  }
  return best;
}

/** SQuAD-style bag-of-tokens F1 (characters for Chinese); best over the references. */
export function tokenF1(candidate: string, references: string[]): number {
  const candidateTokens = overlapTokens(candidate);
  let best = 0;
  for (const reference of references) {
    const remaining = new Map<string, number>();
    const referenceTokens = overlapTokens(reference);
    for (const token of referenceTokens) remaining.set(token, (remaining.get(token) ?? 0) + 1);
    let common = 0;
    for (const token of candidateTokens) {
      const left = remaining.get(token) ?? 0;
      if (left > 0) {
        common++;
        remaining.set(token, left - 1);
      }
    }
    if (common === 0) continue;
    const precision = common / candidateTokens.length;
    const recall = common / referenceTokens.length;
    best = Math.max(best, (2 * precision * recall) / (precision + recall));
  }
  return best;
}

function squash(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}]+/gu, '');
}

/** Share of key phrases that appear in the answer (case, spacing and punctuation ignored). */
export function keyPhraseCoverage(answer: string, phrases: string[]): number | undefined {
  const wanted = phrases.map(squash).filter(Boolean);
  if (wanted.length === 0) return undefined;
  const haystack = squash(answer);
  return wanted.filter((phrase) => haystack.includes(phrase)).length / wanted.length;
}

/** Removes citation markers such as "[1]" or "[2][3]" so they do not count as answer text. */
export function stripCitationMarkers(answer: string): string {
  return answer.replace(/\s*\[\d+\]/g, '');
}

/**
 * The answer as a reader sees it: Markdown (tables, lists, bold, links) rendered to plain text and
 * `[n]` citation markers removed. Every answer measure compares this form.
 *
 * @example
 *   plainAnswer('- **30 days** to return [1]') // '- 30 days to return'
 */
export function plainAnswer(answer: string): string {
  return stripCitationMarkers(toPlainText(answer)).trim();
}

/** 1 when the answer contains one of the references (case, width, spacing and punctuation ignored): CMRC's span check. */
export function referenceContained(answer: string, references: string[]): number | undefined {
  const wanted = references.map(squash).filter(Boolean);
  if (wanted.length === 0) return undefined;
  const haystack = squash(answer);
  return wanted.some((reference) => haystack.includes(reference)) ? 1 : 0;
}

/** The first sentence an answer says twice (normalised), or undefined. Very short pieces ("Yes.") are ignored. */
export function repeatedSentence(answer: string): string | undefined {
  const seen = new Set<string>();
  for (const sentence of answer.split('\n').flatMap((line) => splitSentences(line))) {
    const key = squash(sentence);
    if (key.length < 6) continue;
    if (seen.has(key)) return sentence;
    seen.add(key);
  }
  return undefined;
}

/** Share of the answer's overlap tokens found in a passage (0 for an empty answer). */
export function tokenShareIn(answer: string, passage: string): number {
  const tokens = overlapTokens(answer);
  if (tokens.length === 0) return 0;
  const present = new Set(overlapTokens(passage));
  return tokens.filter((token) => present.has(token)).length / tokens.length;
}

/** "Most of the answer's words": above this share the answer is taken from that passage. */
export const QUOTE_SHARE = 0.5;

/**
 * For an answered question whose gold passage was retrieved (page ±1), 1 when the answer quotes a
 * gold passage: a citation matches gold, or most of the answer's words occur in one gold-matching
 * retrieved passage. Undefined when no retrieved passage matches gold (nothing to use).
 */
export function usedRightPassage(options: {
  answer: string;
  gold: GoldSource[];
  retrieved: Array<MatchablePassage & { text: string }>;
  citations: MatchablePassage[];
}): number | undefined {
  const { gold } = options;
  if (gold.length === 0) return undefined;
  const matching = options.retrieved.filter((passage) => gold.some((source) => goldMatches(source, passage, 1)));
  if (matching.length === 0) return undefined;
  if (options.citations.some((citation) => gold.some((source) => goldMatches(source, citation, 1)))) return 1;
  return matching.some((passage) => tokenShareIn(options.answer, passage.text) > QUOTE_SHARE) ? 1 : 0;
}

/**
 * Share of answer sentences supported by one retrieved passage: at least `coverage` of the
 * sentence's tokens occur in that passage. Undefined for an empty answer.
 */
export function groundedness(answer: string, passages: string[], coverage = 0.8): number | undefined {
  const sentences = splitSentences(stripCitationMarkers(answer))
    .map(overlapTokens)
    .filter((tokens) => tokens.length > 0);
  if (sentences.length === 0) return undefined;
  const passageTokens = passages.map((passage) => new Set(overlapTokens(passage)));
  const grounded = sentences.filter((tokens) =>
    passageTokens.some((set) => tokens.filter((token) => set.has(token)).length / tokens.length >= coverage),
  );
  return grounded.length / sentences.length;
}

// ---------------------------------------------------------------- aggregates

/** Nearest-rank percentile (p in 0..100) of a list; 0 for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Metrics where lower is better (a gate treats their threshold as a maximum by default). */
export function lowerIsBetter(metric: string): boolean {
  return ['falseRefusal', 'latency', 'hardNegativeVerbatim', 'headingShare', 'repeatedSentenceShare', 'errors', 'offTopicFaqAnswers'].some((prefix) => metric.startsWith(prefix));
}
