/**
 * Groups customer questions that ask the same thing: English (and any language the embedding model understands) by
 * the cosine similarity of sentence embeddings, Chinese by shared words and character pairs (the bundled model is
 * English-only). Leader clustering in order of first appearance: a question joins the group whose representatives
 * (its first three wordings) it is most similar to, above the language's threshold, or starts a group. Candidate
 * groups come from an inverted index of the question's words (and, for Chinese, character pairs) plus the largest
 * groups, so 100,000 questions are grouped in seconds, not compared with every group.
 *
 * The thresholds were chosen on labelled data (src/gaps/README.md, "Where the thresholds come from").
 *
 * @example
 *   const groups = groupQuestions({ items, thresholds: DEFAULT_GROUPING });
 */
import { bigramText, contentWords, foldText } from '../text/index.ts';

export interface GroupingThresholds {
  /** Cosine similarity (int8 vectors, scaled to [-1, 1]) at which two embedded questions are one group. */
  vector: number;
  /** Lexical similarity (see `lexicalSimilarity`) at which two questions without vectors are one group. */
  lexical: number;
}

/**
 * The best F0.5 (precision first) on the dev half of banking77 (vector) and of LCQMC (lexical), measured by
 * bench/gaps.ts; the test-half figures are in README.md.
 */
export const DEFAULT_GROUPING: GroupingThresholds = { vector: 0.72, lexical: 0.8 };

export interface GroupItem {
  key: string;
  text: string;
  /** First time this wording was asked (ISO). */
  firstSeen: string;
  /** Normalised embedding as int8 (×127), or undefined when the model does not understand the language. */
  vector?: Int8Array;
}

interface Prepared {
  item: GroupItem;
  words: Set<string>;
  bigrams: Set<string>;
  tokens: string[];
}

/** One normalised form per wording: folded (full-width, traditional → simplified, case), punctuation collapsed. */
export function questionKey(text: string): string {
  return foldText(text)
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function dice(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const item of small) if (large.has(item)) shared += 1;
  return (2 * shared) / (a.size + b.size);
}

/**
 * Lexical similarity of two questions: the mean of the Dice overlap of their content words and of their Han
 * character pairs (for text without Han characters, the word overlap alone).
 *
 * @example
 *   lexicalSimilarity(lexicalFeatures('如何申请退货'), lexicalFeatures('怎么申请退货')) // 0.8
 */
export function lexicalSimilarity(a: { words: ReadonlySet<string>; bigrams: ReadonlySet<string> }, b: { words: ReadonlySet<string>; bigrams: ReadonlySet<string> }): number {
  const words = dice(a.words, b.words);
  if (a.bigrams.size === 0 && b.bigrams.size === 0) return words;
  return (words + dice(a.bigrams, b.bigrams)) / 2;
}

export function lexicalFeatures(text: string): { words: Set<string>; bigrams: Set<string> } {
  const bigrams = bigramText(text);
  return { words: new Set(contentWords(text)), bigrams: new Set(bigrams ? bigrams.split(' ') : []) };
}

/** Cosine of two int8-quantised unit vectors. */
export function int8Cosine(a: Int8Array, b: Int8Array): number {
  let sum = 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) sum += (a[index] as number) * (b[index] as number);
  return sum / (127 * 127);
}

/** How many representatives a group keeps for comparison. */
const REPRESENTATIVES = 3;
/** A token shared by more groups than this says little; it is not used to find candidates. */
const MAX_POSTING = 400;
/** The largest groups are always candidates (paraphrases without a shared word land in them most often). */
const ALWAYS_COMPARE = 40;

interface Group {
  members: string[];
  representatives: Prepared[];
  /** Vector groups and lexical groups never mix. */
  byVector: boolean;
}

/**
 * Groups wordings (keys) into lists of keys, each list in order of first appearance; groups in order of their first
 * wording.
 */
export function groupQuestions(options: { items: readonly GroupItem[]; thresholds?: GroupingThresholds }): string[][] {
  const thresholds = options.thresholds ?? DEFAULT_GROUPING;
  const items = [...options.items].sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.key < b.key ? -1 : 1));
  const groups: Group[] = [];
  const postings = new Map<string, number[]>();
  // The biggest groups, biggest first (only the top ALWAYS_COMPARE × 2 are tracked).
  const largest: number[] = [];
  const sizes = new Map<number, number>();
  const updateLargest = (index: number, size: number): void => {
    sizes.set(index, size);
    const position = largest.indexOf(index);
    if (position >= 0) largest.splice(position, 1);
    let insertAt = largest.findIndex((other) => (sizes.get(other) ?? 0) < size);
    if (insertAt < 0) insertAt = largest.length;
    largest.splice(insertAt, 0, index);
    if (largest.length > ALWAYS_COMPARE * 2) largest.length = ALWAYS_COMPARE * 2;
  };
  for (const item of items) {
    const { words, bigrams } = lexicalFeatures(item.text);
    const prepared: Prepared = { item, words, bigrams, tokens: [...words, ...bigrams] };
    const byVector = item.vector !== undefined;
    const candidates = new Set<number>();
    for (const token of prepared.tokens) {
      const posting = postings.get(token);
      if (posting && posting.length <= MAX_POSTING) for (const index of posting) candidates.add(index);
    }
    if (byVector) {
      // Paraphrases may share no word at all ("money back" / "refund"): the biggest vector groups are always asked.
      let added = 0;
      for (const index of largest) {
        if (added >= ALWAYS_COMPARE) break;
        if (groups[index]?.byVector) {
          candidates.add(index);
          added += 1;
        }
      }
    }
    let best = -1;
    let bestScore = -Infinity;
    for (const index of candidates) {
      const group = groups[index] as Group;
      if (group.byVector !== byVector) continue;
      let score = -Infinity;
      for (const representative of group.representatives) {
        const similarity = byVector && representative.item.vector && item.vector ? int8Cosine(item.vector, representative.item.vector) : lexicalSimilarity(prepared, representative);
        if (similarity > score) score = similarity;
      }
      if (score > bestScore) {
        bestScore = score;
        best = index;
      }
    }
    const threshold = byVector ? thresholds.vector : thresholds.lexical;
    let target: number;
    if (best >= 0 && bestScore >= threshold) {
      target = best;
      const group = groups[target] as Group;
      group.members.push(item.key);
      if (group.representatives.length < REPRESENTATIVES) group.representatives.push(prepared);
    } else {
      target = groups.length;
      groups.push({ members: [item.key], representatives: [prepared], byVector });
    }
    const group = groups[target] as Group;
    if (group.representatives.at(-1) === prepared) {
      for (const token of prepared.tokens) {
        let posting = postings.get(token);
        if (!posting) {
          posting = [];
          postings.set(token, posting);
        }
        if (posting.at(-1) !== target) posting.push(target);
      }
    }
    updateLargest(target, group.members.length);
  }
  return groups.map((group) => group.members);
}
