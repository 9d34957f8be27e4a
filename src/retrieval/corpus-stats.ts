/**
 * Corpus statistics kept in memory beside the LanceDB index: document frequencies of keywords
 * (for IDF-weighted overlap in answer composition and the confidence gate) and the distinctive
 * words of each document's title (so "Standard" in a question favours the Standard plan's file).
 */
import path from 'node:path';
import type { ChunkRecord } from '../store/types.ts';
import { activeAnalyzer, contentWords, foldText } from '../text/index.ts';

export interface CorpusStats {
  readonly chunkCount: number;
  /** Inverse document frequency (chunk level, BM25-style, >= 0); unknown words get the maximum. */
  idf(word: string): number;
  /** Whether the word appears anywhere in the corpus. */
  knows(word: string): boolean;
  /** Distinctive title words per document path (words not shared by every title). */
  readonly titleWords: ReadonlyMap<string, ReadonlySet<string>>;
}

const HAN = /\p{Script=Han}/u;

function titleWordsOf(chunk: Pick<ChunkRecord, 'docPath' | 'title'>): Set<string> {
  const fileName = path.basename(chunk.docPath).replace(/\.[^.]+$/, '').replace(/[_\-.]+/g, ' ');
  return new Set(contentWords(`${fileName} ${chunk.title}`).filter((word) => word.length > 1));
}

/** Builds statistics from all chunks (their `keywords` column is already segmented and stemmed). */
export function buildCorpusStats(chunks: ReadonlyArray<Pick<ChunkRecord, 'docPath' | 'title' | 'keywords' | 'text'>>): CorpusStats {
  const documentFrequency = new Map<string, number>();
  // Chinese words are also looked up in the (folded) text: jieba cuts a word differently in different contexts.
  const hanText = chunks.map((chunk) => (HAN.test(chunk.text) ? foldText(chunk.text) : '')).join('\n');
  const titles = new Map<string, Set<string>>();
  for (const chunk of chunks) {
    for (const word of new Set(chunk.keywords.split(' '))) {
      if (word) documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
    }
    if (!titles.has(chunk.docPath)) titles.set(chunk.docPath, titleWordsOf(chunk));
  }
  // A title word shared by every document ("northwind" in all six files) distinguishes nothing.
  const titleCount = new Map<string, number>();
  for (const words of titles.values()) for (const word of words) titleCount.set(word, (titleCount.get(word) ?? 0) + 1);
  const distinctive = new Map<string, ReadonlySet<string>>();
  for (const [docPath, words] of titles) {
    distinctive.set(docPath, new Set([...words].filter((word) => titles.size === 1 || (titleCount.get(word) ?? 0) < titles.size)));
  }
  const total = Math.max(chunks.length, 1);
  const maxIdf = Math.log(1 + (total - 0.5) / 1.5);
  return {
    chunkCount: chunks.length,
    idf(word: string): number {
      const frequency = documentFrequency.get(word);
      if (frequency === undefined) return maxIdf;
      return Math.log(1 + (total - frequency + 0.5) / (frequency + 0.5));
    },
    knows(word: string): boolean {
      return documentFrequency.has(word) || (HAN.test(word) && hanText.includes(word));
    },
    titleWords: distinctive,
  };
}

/** "How long", "how much": the second word asks, it is not a topic. */
const QUESTION_PHRASES = /\bhow\s+(long|much|many|soon|often|far|old)\b/gi;

/** A lone Han character (上, 个, 颗) is nearly always a particle or measure word, not a topic. */
const SINGLE_HAN = /^\p{Script=Han}$/u;

/**
 * Query words that matter: the question's keywords exactly as the index analyses them (folded, stemmed,
 * synonyms read as their group's first member, the index's user dictionary; no HMM: measured no different on
 * the sample, Northwind and CMRC), without stop words or question phrases. jieba cuts names it does not know
 * into single characters (张世昌 → 张/世/昌): such runs are joined back into one term; a lone Han character
 * (上, 个, 颗) is nearly always a particle, not a topic.
 */
export function queryTerms(query: string): string[] {
  const terms: string[] = [];
  let run = '';
  const endRun = () => {
    if (run.length > 1) terms.push(run);
    run = '';
  };
  for (const token of activeAnalyzer().tokens(query.replace(QUESTION_PHRASES, ' '))) {
    // A code's parts make it findable in the index; as terms of the question the code counts once.
    if (token.part) continue;
    if (token.stop) {
      endRun();
      continue;
    }
    if (SINGLE_HAN.test(token.term)) {
      run += token.term;
      continue;
    }
    endRun();
    terms.push(token.term);
  }
  endRun();
  return [...new Set(terms)];
}
