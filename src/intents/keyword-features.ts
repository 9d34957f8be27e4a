/**
 * Keyword features of an utterance for the intent classifier: word unigrams and bigrams (Chinese
 * segmented by jieba through `src/text`) and character n-grams (3–4 inside English words, 1–2 over
 * runs of Chinese characters), hashed into a fixed number of buckets, weighted by TF-IDF with the
 * document frequencies of the training examples, and L2-normalised.
 *
 * Hashing keeps the model's size fixed whatever the vocabulary, and needs no vocabulary to be stored:
 * a word never seen in training lands in some bucket whose IDF is the "unseen" value, and its weight
 * there is shared noise the classifier learned to ignore.
 *
 * @example
 *   const counts = keywordCounts({ text: 'Where is my card?', bits: 15 });
 *   const idf = inverseDocumentFrequencies({ rows: [counts], bits: 15 });
 *   const row = weighKeywords({ counts, idf }); // { indices: Int32Array, values: Float32Array }, |values| = 1
 */
import { segmentWords, stem } from '../text/index.ts';

/** A sparse vector: bucket indices (ascending, distinct) with their values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

const HAN_RUN = /\p{Script=Han}+/u;

/** FNV-1a over UTF-16 code units: fast, deterministic, and spreads short strings well. */
function hashString(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The keyword terms of a text, each prefixed by its kind so a word and a character n-gram that spell
 * the same never share a bucket on purpose.
 */
export function keywordTerms(text: string): string[] {
  const normalized = text.normalize('NFKC').toLowerCase();
  const words = segmentWords(normalized).map(stem);
  const terms: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? '';
    terms.push(`w ${word}`);
    terms.push(`b ${index === 0 ? '^' : (words[index - 1] ?? '')} ${word}`);
    if (HAN_RUN.test(word)) {
      for (let start = 0; start < word.length; start++) {
        terms.push(`c ${word[start] ?? ''}`);
        if (start + 1 < word.length) terms.push(`c ${word.slice(start, start + 2)}`);
      }
    } else {
      const padded = ` ${word} `;
      for (let size = 3; size <= 4; size++) {
        for (let start = 0; start + size <= padded.length; start++) terms.push(`c ${padded.slice(start, start + size)}`);
      }
    }
  }
  if (words.length > 0) terms.push(`b ${words[words.length - 1] ?? ''} $`);
  return terms;
}

/** Raw term counts per bucket of one text. Keys are bucket indices in [0, 2^bits). */
export function keywordCounts({ text, bits }: { text: string; bits: number }): Map<number, number> {
  const mask = (1 << bits) - 1;
  const counts = new Map<number, number>();
  for (const term of keywordTerms(text)) {
    const bucket = hashString(term, 0) & mask;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return counts;
}

/**
 * Smoothed inverse document frequency per bucket, `ln((n + 1) / (df + 1)) + 1`, from the training
 * rows. Buckets no training text reached get the highest value, as a term seen once would.
 */
export function inverseDocumentFrequencies({ rows, bits }: { rows: Iterable<Map<number, number>>; bits: number }): Float32Array {
  const documentFrequency = new Uint32Array(1 << bits);
  let documents = 0;
  for (const row of rows) {
    documents++;
    for (const bucket of row.keys()) documentFrequency[bucket] = (documentFrequency[bucket] ?? 0) + 1;
  }
  const idf = new Float32Array(1 << bits);
  for (let bucket = 0; bucket < idf.length; bucket++) idf[bucket] = Math.log((documents + 1) / ((documentFrequency[bucket] ?? 0) + 1)) + 1;
  return idf;
}

/** Sublinear TF (1 + ln tf) × IDF, L2-normalised; buckets in ascending order. */
export function weighKeywords({ counts, idf }: { counts: Map<number, number>; idf: Float32Array }): SparseVector {
  const buckets = [...counts.keys()].sort((left, right) => left - right);
  const indices = Int32Array.from(buckets);
  const values = new Float32Array(buckets.length);
  let norm = 0;
  buckets.forEach((bucket, position) => {
    const value = (1 + Math.log(counts.get(bucket) ?? 1)) * (idf[bucket] ?? 1);
    values[position] = value;
    norm += value * value;
  });
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let position = 0; position < values.length; position++) values[position] = (values[position] ?? 0) * scale;
  return { indices, values };
}
