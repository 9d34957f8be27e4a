import { describe, expect, it } from 'vitest';
import type { Embedder } from '../embeddings/types.ts';
import type { ChunkRecord } from '../store/types.ts';
import { hasHan } from '../text/index.ts';
import { createFaqMatcher, lexicalForm, lexicalSimilarity, type FaqMatch } from './faq-matcher.ts';

/** Deterministic unit vectors from the words of a text (shared words → similar vectors), like a small embedder. */
function vectorOf(text: string): number[] {
  const vector = new Array<number>(16).fill(0);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let hash = 7;
    for (const character of word) hash = (hash * 31 + character.charCodeAt(0)) % 9973;
    vector[hash % 16] = (vector[hash % 16] ?? 0) + 1;
    vector[(hash >> 4) % 16] = (vector[(hash >> 4) % 16] ?? 0) - 0.5;
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}

const embedder = {
  modelId: 'test',
  dimension: 16,
  languages: ['en'],
  maxTokens: 512,
  truncatedCount: 0,
  embedDocuments: async (texts: string[]) => texts.map(vectorOf),
  embedQuery: async (text: string) => vectorOf(text),
  countTokens: (text: string) => text.length,
  dispose: async () => {},
} as Embedder;

const entry = (id: string, questions: string[], docPath = 'faq.csv') => ({ id, questions: questions.join('\n'), docPath, kind: 'faq' }) as unknown as ChunkRecord;

/** The matcher as it was: every question compared with every variant (the reference the index must equal). */
function scanMatch(chunks: ChunkRecord[], question: string, queryVector: number[] | undefined, limit: number): FaqMatch[] {
  const chinese = hasHan(question);
  const form = lexicalForm(question);
  const best = new Map<string, FaqMatch>();
  for (const chunk of chunks) {
    for (const text of chunk.questions.split('\n').map((line) => line.trim()).filter(Boolean)) {
      const variant = lexicalForm(text);
      const lexical = lexicalSimilarity(form, variant);
      const vector = vectorOf(text);
      const semantic = queryVector && !chinese && !hasHan(text) ? queryVector.reduce((sum, value, index) => sum + value * (vector[index] ?? 0), 0) : 0;
      const similarity = Math.max(semantic, lexical);
      const current = best.get(chunk.id);
      if (!current || similarity > current.similarity) best.set(chunk.id, { chunk, matchedQuestion: text, similarity, semantic: Math.max(semantic, current?.semantic ?? 0), lexical: Math.max(lexical, current?.lexical ?? 0) });
      else {
        current.semantic = Math.max(current.semantic, semantic);
        current.lexical = Math.max(current.lexical, lexical);
      }
    }
  }
  return [...best.values()].sort((a, b) => b.similarity - a.similarity).slice(0, limit);
}

const chunks = [
  entry('a', ['How do I reset my password?', 'I forgot my password']),
  entry('b', ['How long do refunds take?', 'When will I get my money back?']),
  entry('c', ['Do you ship to Hong Kong?']),
  entry('d', ['如何申请退款？', '退款多久到账？']),
  entry('e', ['怎么修改收货地址？', '可以改地址吗']),
  entry('f', []),
  entry('g', ['Can I change my delivery address?', '修改地址'], 'internal.csv'),
  entry('h', ['How long is the warranty on a kettle?']),
];
const questions = ['How long until my refund arrives?', 'reset password', '退款要多久', '我想改一下地址', 'Who won the World Cup?', '火星', 'password password reset', 'kettle warranty length', ''];

describe('FAQ matcher', () => {
  it('gives exactly what comparing the question with every FAQ question gives, in both languages and with a filter', async () => {
    const matcher = await createFaqMatcher({ chunks, embedder });
    for (const question of questions) {
      const queryVector = hasHan(question) || !question ? undefined : vectorOf(question);
      for (const limit of [1, 3, 10]) {
        const expected = scanMatch(chunks, question, queryVector, limit);
        const actual = matcher.match({ question, ...(queryVector ? { queryVector } : {}), limit });
        expect(actual.map((match) => [match.chunk.id, match.matchedQuestion, match.similarity, match.semantic, match.lexical]), `${question} / ${limit}`).toEqual(
          expected.map((match) => [match.chunk.id, match.matchedQuestion, match.similarity, match.semantic, match.lexical]),
        );
      }
      const accept = (chunk: ChunkRecord) => chunk.docPath !== 'internal.csv';
      const filtered = scanMatch(chunks, question, queryVector, chunks.length).filter((match) => accept(match.chunk)).slice(0, 4);
      expect(matcher.match({ question, ...(queryVector ? { queryVector } : {}), limit: 4, accept }).map((match) => match.chunk.id)).toEqual(filtered.map((match) => match.chunk.id));
    }
  });

  it('finds a Chinese paraphrase through shared character pairs, and an English one by meaning', async () => {
    const matcher = await createFaqMatcher({ chunks, embedder });
    expect(matcher.match({ question: '退款多久能到账', limit: 1 })[0]?.chunk.id).toBe('d');
    expect(matcher.match({ question: 'I forgot my password', queryVector: vectorOf('I forgot my password'), limit: 1 })[0]).toMatchObject({ matchedQuestion: 'I forgot my password', similarity: expect.closeTo(1, 6) });
    expect(matcher.size).toBe(12);
  });
});

describe('FAQ matcher above the exact limit', () => {
  it('shortlists by sketches and still finds the question asked, as the exhaustive comparison does', async () => {
    const many = Array.from({ length: 5200 }, (_, index) => entry(`q${index}`, [`question ${index} about topic ${index % 97} and item ${index % 89}`]));
    const matcher = await createFaqMatcher({ chunks: many, embedder });
    for (const index of [3, 777, 5100]) {
      const question = `question ${index} about topic ${index % 97} and item ${index % 89}`;
      // No shared words: only the vector side can find it.
      const fast = matcher.match({ question: 'zzz', queryVector: vectorOf(question), limit: 3 });
      const exact = matcher.match({ question: 'zzz', queryVector: vectorOf(question), limit: 3, exhaustive: true });
      expect(fast[0]?.chunk.id).toBe(`q${index}`);
      expect(fast[0]).toEqual(exact[0]);
    }
  });
});
