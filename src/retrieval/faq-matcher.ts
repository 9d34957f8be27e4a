/**
 * The FAQ fast path: when a question matches an FAQ question (or one of its alternates) closely
 * enough, the FAQ's answer is returned verbatim. English matches by embedding similarity; Chinese
 * (which the bundled English-only model cannot embed well) by word and character-pair overlap.
 *
 * Every FAQ question is analysed once when the matcher is built (words, character pairs, vector); a question
 * is then matched through inverted indexes of words and character pairs (only entries sharing one are looked
 * at) and a pass over a packed vector matrix (English questions only; above EXACT_SEMANTIC_LIMIT questions, over
 * sign sketches first), never by analysing entries again. Up to that limit the result is exactly that of comparing
 * the question with every entry (test: faq-matcher.test.ts).
 */
import type { Embedder } from '../embeddings/types.ts';
import type { ChunkRecord } from '../store/types.ts';
import { contentWords, foldText, hasHan } from '../text/index.ts';

export interface FaqMatch {
  chunk: ChunkRecord;
  /** The FAQ question or alternate that matched best. */
  matchedQuestion: string;
  /** 0..1: the larger of the two below. */
  similarity: number;
  /** Embedding similarity of the best-matching question (0 for Chinese). */
  semantic: number;
  /** Word (and, for Chinese, character-pair) overlap with the best-matching question. */
  lexical: number;
}

export interface FaqMatcher {
  /** Best matches, most similar first (one per FAQ entry). */
  /** `accept` leaves entries out (a filter): the best `limit` of the accepted ones are returned. */
  match(options: {
    question: string;
    queryVector?: number[];
    limit?: number;
    accept?: (chunk: ChunkRecord) => boolean;
    /** Compare the query vector with every FAQ question even above EXACT_SEMANTIC_LIMIT (for measuring recall). */
    exhaustive?: boolean;
  }): FaqMatch[];
  readonly size: number;
}

/** Pairs of adjacent Han characters of the folded text (traditional and simplified alike). */
function characterBigrams(text: string): Set<string> {
  const han = [...foldText(text).replace(/[^\p{Script=Han}]/gu, '')];
  const pairs = new Set<string>();
  for (let index = 0; index + 1 < han.length; index++) pairs.add(`${han[index]}${han[index + 1]}`);
  return pairs;
}

function dice(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return (2 * shared) / (a.size + b.size);
}

/** The lexical form of a text the matcher compares: content words and (folded) Han character pairs. */
export interface LexicalForm {
  words: Set<string>;
  bigrams: Set<string>;
  han: boolean;
}

/** Analyses a text once for `lexicalSimilarity` (the question is compared with every FAQ variant). */
export function lexicalForm(text: string): LexicalForm {
  return { words: new Set(contentWords(text)), bigrams: characterBigrams(text), han: hasHan(text) };
}

/** Lexical similarity: content-word overlap, and character pairs for Chinese. */
export function lexicalSimilarity(question: string | LexicalForm, other: { words: Set<string>; bigrams: Set<string> }): number {
  const form = typeof question === 'string' ? lexicalForm(question) : question;
  const wordScore = dice(form.words, other.words);
  if (!form.han) return wordScore;
  return Math.max(wordScore, dice(form.bigrams, other.bigrams));
}

interface Ranked {
  entry: number;
  variant: number;
  similarity: number;
  semantic: number;
  lexical: number;
}

/**
 * Up to this many English FAQ questions the query is compared with every one of them (exact). Above it, each vector
 * also gets a sign sketch (one bit per dimension, after centring), the query's closest sketches by Hamming distance
 * are shortlisted, and only those are compared exactly: a scan of 12 words instead of 384 numbers per question.
 * Recall against the exact comparison is measured by `npm run bench:faq-match` (bench/README.md).
 */
export const EXACT_SEMANTIC_LIMIT = 5000;
/** Questions compared exactly after the sketch scan (a multiple of what is returned; bench/README.md). */
const SHORTLIST = 1000;

function popcount(value: number): number {
  let bits = value - ((value >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (Math.imul((bits + (bits >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Sign bits of (vector − mean), packed 32 to a word. */
function sketch(vector: ArrayLike<number>, offset: number, mean: Float64Array, into: Uint32Array, intoOffset: number): void {
  const words = Math.ceil(mean.length / 32);
  for (let word = 0; word < words; word++) {
    let bits = 0;
    for (let bit = 0; bit < 32; bit++) {
      const index = word * 32 + bit;
      if (index < mean.length && (vector[offset + index] as number) > (mean[index] as number)) bits |= 1 << bit;
    }
    into[intoOffset + word] = bits >>> 0;
  }
}

/** Variant number → the terms it holds, inverted: term → the variants holding it (ascending). */
function invert(sets: ReadonlyArray<ReadonlySet<string>>): Map<string, Int32Array> {
  const lists = new Map<string, number[]>();
  sets.forEach((terms, variant) => {
    for (const term of terms) {
      const list = lists.get(term);
      if (list) list.push(variant);
      else lists.set(term, [variant]);
    }
  });
  const postings = new Map<string, Int32Array>();
  for (const [term, list] of lists) postings.set(term, Int32Array.from(list));
  return postings;
}

/**
 * Counts, per variant, how many of the question's terms it shares (through the postings), and returns the dice
 * coefficient for each variant that shares at least one; `counts` is scratch space (zeroed again on return).
 */
function sharedDice(options: { terms: ReadonlySet<string>; postings: Map<string, Int32Array>; sizes: Int32Array; counts: Int32Array; into: Map<number, number> }): void {
  const { terms, postings, sizes, counts, into } = options;
  if (terms.size === 0) return;
  const touched: number[] = [];
  for (const term of terms) {
    const list = postings.get(term);
    if (!list) continue;
    for (let index = 0; index < list.length; index++) {
      const variant = list[index] as number;
      if (counts[variant] === 0) touched.push(variant);
      counts[variant] = (counts[variant] as number) + 1;
    }
  }
  for (const variant of touched) {
    const score = (2 * (counts[variant] as number)) / (terms.size + (sizes[variant] as number));
    into.set(variant, Math.max(into.get(variant) ?? 0, score));
    counts[variant] = 0;
  }
}

/** Embeds every FAQ question and alternate once; build again when the index changes. */
export async function createFaqMatcher(options: {
  chunks: ChunkRecord[];
  embedder: Embedder;
  /** Vectors of question texts embedded before: a rebuild after an index change embeds only new questions. */
  vectorCache?: Map<string, number[]>;
}): Promise<FaqMatcher> {
  const cache = options.vectorCache ?? new Map<string, number[]>();
  // Variants in entry order (the order decides ties, as a scan in that order would).
  const texts: string[] = [];
  const entryOf: number[] = [];
  const chunks = options.chunks;
  chunks.forEach((chunk, entry) => {
    for (const text of chunk.questions.split('\n').map((line) => line.trim()).filter(Boolean)) {
      texts.push(text);
      entryOf.push(entry);
    }
  });
  const variantCount = texts.length;
  const words = texts.map((text) => new Set(contentWords(text)));
  const bigrams = texts.map((text) => characterBigrams(text));
  const wordPostings = invert(words);
  const bigramPostings = invert(bigrams);
  const wordSizes = Int32Array.from(words, (set) => set.size);
  const bigramSizes = Int32Array.from(bigrams, (set) => set.size);
  const counts = new Int32Array(variantCount);

  const missing = [...new Set(texts.filter((text) => !cache.has(text)))];
  const embedded = missing.length > 0 ? await options.embedder.embedDocuments(missing) : [];
  missing.forEach((text, index) => cache.set(text, embedded[index] ?? []));
  // Forget questions that left the index, so the cache never outgrows the FAQ.
  const current = new Set(texts);
  for (const text of cache.keys()) if (!current.has(text)) cache.delete(text);

  // The vectors of the variants the model can judge (no Han characters), packed row by row. Float64 keeps every
  // similarity exactly what comparing the number[] vectors gave.
  const dimension = texts.reduce((found, text) => found || (cache.get(text)?.length ?? 0), 0);
  const semanticVariants = Int32Array.from(texts.keys()).filter((variant) => !hasHan(texts[variant] ?? '') && (cache.get(texts[variant] ?? '')?.length ?? 0) > 0);
  const matrix = new Float64Array(semanticVariants.length * dimension);
  semanticVariants.forEach((variant, row) => {
    const vector = cache.get(texts[variant] ?? '') ?? [];
    for (let index = 0; index < dimension; index++) matrix[row * dimension + index] = vector[index] ?? 0;
  });

  const sketched = semanticVariants.length > EXACT_SEMANTIC_LIMIT;
  const sketchWords = Math.ceil(dimension / 32);
  const mean = new Float64Array(dimension);
  const sketches = new Uint32Array(sketched ? semanticVariants.length * sketchWords : 0);
  if (sketched) {
    for (let row = 0; row < semanticVariants.length; row++) for (let index = 0; index < dimension; index++) mean[index] = (mean[index] as number) + (matrix[row * dimension + index] as number) / semanticVariants.length;
    for (let row = 0; row < semanticVariants.length; row++) sketch(matrix, row * dimension, mean, sketches, row * sketchWords);
  }
  const querySketch = new Uint32Array(sketchWords);
  const distances = new Uint16Array(sketched ? semanticVariants.length : 0);

  /** The rows to compare exactly: all of them, or the shortlist of the closest sketches. */
  function rowsToCompare(queryVector: readonly number[], exhaustive: boolean): ArrayLike<number> | undefined {
    if (!sketched || exhaustive) return undefined;
    sketch(queryVector, 0, mean, querySketch, 0);
    const histogram = new Int32Array(dimension + 2);
    for (let row = 0; row < semanticVariants.length; row++) {
      let distance = 0;
      const offset = row * sketchWords;
      for (let word = 0; word < sketchWords; word++) distance += popcount(((sketches[offset + word] as number) ^ (querySketch[word] as number)) >>> 0);
      distances[row] = distance;
      histogram[distance] = (histogram[distance] as number) + 1;
    }
    let cutoff = 0;
    for (let total = 0; cutoff <= dimension && total + (histogram[cutoff] as number) < SHORTLIST; cutoff++) total += histogram[cutoff] as number;
    const rows: number[] = [];
    for (let row = 0; row < semanticVariants.length; row++) if ((distances[row] as number) <= cutoff) rows.push(row);
    return rows;
  }

  const firstVariantOf = new Int32Array(chunks.length).fill(-1);
  for (let variant = variantCount - 1; variant >= 0; variant--) firstVariantOf[entryOf[variant] as number] = variant;
  // Scratch space reused by every match (matching is synchronous, so calls never overlap).
  const semanticScores = new Float64Array(variantCount);

  return {
    size: variantCount,
    match({ question, queryVector, limit = 5, accept, exhaustive = false }): FaqMatch[] {
      if (variantCount === 0) return [];
      const form = lexicalForm(question);
      const lexical = new Map<number, number>();
      sharedDice({ terms: form.words, postings: wordPostings, sizes: wordSizes, counts, into: lexical });
      if (form.han) sharedDice({ terms: form.bigrams, postings: bigramPostings, sizes: bigramSizes, counts, into: lexical });
      // The English-only model's similarity means little for Chinese text: rely on overlap there.
      const semanticHits: number[] = [];
      if (queryVector && !form.han && dimension > 0) {
        const shortlist = rowsToCompare(queryVector, exhaustive);
        const count = shortlist ? shortlist.length : semanticVariants.length;
        for (let position = 0; position < count; position++) {
          const row = shortlist ? (shortlist[position] as number) : position;
          let sum = 0;
          const offset = row * dimension;
          for (let index = 0; index < dimension; index++) sum += (queryVector[index] ?? 0) * (matrix[offset + index] as number);
          // At most 0 changes nothing: an entry's semantic score starts at 0.
          if (sum > 0) {
            const variant = semanticVariants[row] as number;
            semanticScores[variant] = sum;
            semanticHits.push(variant);
          }
        }
      }
      // Per entry: the best variant (the first one reaching the best similarity), and the best of each side.
      const best = new Map<number, Ranked>();
      const consider = (variant: number) => {
        const entry = entryOf[variant] as number;
        const lexicalScore = lexical.get(variant) ?? 0;
        const semanticScore = semanticScores[variant] as number;
        const similarity = Math.max(semanticScore, lexicalScore);
        const found = best.get(entry);
        if (!found) best.set(entry, { entry, variant, similarity, semantic: semanticScore, lexical: lexicalScore });
        else {
          if (similarity > found.similarity || (similarity === found.similarity && variant < found.variant)) Object.assign(found, { variant, similarity });
          found.semantic = Math.max(found.semantic, semanticScore);
          found.lexical = Math.max(found.lexical, lexicalScore);
        }
      };
      for (const variant of lexical.keys()) consider(variant);
      for (const variant of semanticHits) if (!lexical.has(variant)) consider(variant);
      for (const variant of semanticHits) semanticScores[variant] = 0;
      const accepted = (entry: number) => !accept || accept(chunks[entry] as ChunkRecord);
      const ranked = [...best.values()].filter((found) => found.similarity > 0 && accepted(found.entry)).sort((a, b) => b.similarity - a.similarity || a.entry - b.entry);
      // Entries nothing matched (similarity 0) follow in entry order, with their first question, as a full scan gives.
      for (let entry = 0; ranked.length < limit && entry < chunks.length; entry++) {
        const variant = firstVariantOf[entry] as number;
        if (variant < 0 || (best.get(entry)?.similarity ?? 0) > 0 || !accepted(entry)) continue;
        ranked.push({ entry, variant, similarity: 0, semantic: 0, lexical: 0 });
      }
      return ranked.slice(0, limit).map((found) => ({
        chunk: chunks[found.entry] as ChunkRecord,
        matchedQuestion: texts[found.variant] ?? '',
        similarity: found.similarity,
        semantic: found.semantic,
        lexical: found.lexical,
      }));
    },
  };
}
