/**
 * A least-recently-used cache of query vectors: customers ask the same questions again and again, and the query
 * embedding is about half of an answer's CPU (bench/README.md, "Serving"). Keyed by the model id and the exact
 * question text, so a different model (or weights) never gets another model's vector. Concurrent requests for the
 * same text share one embedding; a failed embedding is not cached.
 *
 * @example
 *   const vectors = createQueryVectorCache({ embedder, size: 1000 });
 *   const vector = await vectors.embedQuery('How long do refunds take?');
 */
import type { Embedder } from '../embeddings/types.ts';

export interface QueryVectorCache {
  /** The query's vector, from the cache or embedded now. Callers must not change the returned array. */
  embedQuery(text: string): Promise<number[]>;
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
}

export function createQueryVectorCache(options: { embedder: Pick<Embedder, 'modelId' | 'embedQuery'>; size: number }): QueryVectorCache {
  const { embedder, size } = options;
  // A Map keeps insertion order: re-inserting on a hit makes the first key the least recently used.
  const entries = new Map<string, Promise<number[]>>();
  let hits = 0;
  let misses = 0;
  return {
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
    embedQuery(text: string): Promise<number[]> {
      if (size <= 0) return embedder.embedQuery(text);
      const key = `${embedder.modelId}\u0000${text}`;
      const cached = entries.get(key);
      if (cached) {
        hits++;
        entries.delete(key);
        entries.set(key, cached);
        return cached;
      }
      misses++;
      const pending = embedder.embedQuery(text);
      entries.set(key, pending);
      pending.catch(() => {
        if (entries.get(key) === pending) entries.delete(key);
      });
      while (entries.size > size) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
      return pending;
    },
  };
}
