/**
 * The FAQ fast path: when a question matches an FAQ question (or one of its alternates) closely
 * enough, the FAQ's answer is returned verbatim. English matches by embedding similarity; Chinese
 * (which the bundled English-only model cannot embed well) by word and character-pair overlap.
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
  match(options: { question: string; queryVector?: number[]; limit?: number }): FaqMatch[];
  readonly size: number;
}

interface Variant {
  chunk: ChunkRecord;
  text: string;
  words: Set<string>;
  bigrams: Set<string>;
  vector: number[];
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

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
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

/** Embeds every FAQ question and alternate once; build again when the index changes. */
export async function createFaqMatcher(options: {
  chunks: ChunkRecord[];
  embedder: Embedder;
  /** Vectors of question texts embedded before: a rebuild after an index change embeds only new questions. */
  vectorCache?: Map<string, number[]>;
}): Promise<FaqMatcher> {
  const cache = options.vectorCache ?? new Map<string, number[]>();
  const variants: Variant[] = [];
  for (const chunk of options.chunks) {
    for (const text of chunk.questions.split('\n').map((line) => line.trim()).filter(Boolean)) {
      variants.push({ chunk, text, words: new Set(contentWords(text)), bigrams: characterBigrams(text), vector: [] });
    }
  }
  const missing = [...new Set(variants.map((variant) => variant.text).filter((text) => !cache.has(text)))];
  const vectors = missing.length > 0 ? await options.embedder.embedDocuments(missing) : [];
  missing.forEach((text, index) => cache.set(text, vectors[index] ?? []));
  for (const variant of variants) variant.vector = cache.get(variant.text) ?? [];
  // Forget questions that left the index, so the cache never outgrows the FAQ.
  const current = new Set(variants.map((variant) => variant.text));
  for (const text of cache.keys()) if (!current.has(text)) cache.delete(text);

  return {
    size: variants.length,
    match({ question, queryVector, limit = 5 }): FaqMatch[] {
      const chinese = hasHan(question);
      const form = lexicalForm(question);
      const best = new Map<string, FaqMatch>();
      for (const variant of variants) {
        const lexical = lexicalSimilarity(form, variant);
        // The English-only model's similarity means little for Chinese text: rely on overlap there.
        const semantic = queryVector && !chinese && !hasHan(variant.text) ? dot(queryVector, variant.vector) : 0;
        const similarity = Math.max(semantic, lexical);
        const current = best.get(variant.chunk.id);
        if (!current || similarity > current.similarity) best.set(variant.chunk.id, { chunk: variant.chunk, matchedQuestion: variant.text, similarity, semantic: Math.max(semantic, current?.semantic ?? 0), lexical: Math.max(lexical, current?.lexical ?? 0) });
        else {
          current.semantic = Math.max(current.semantic, semantic);
          current.lexical = Math.max(current.lexical, lexical);
        }
      }
      return [...best.values()].sort((a, b) => b.similarity - a.similarity).slice(0, limit);
    },
  };
}
