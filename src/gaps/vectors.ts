/**
 * Sentence vectors of customer questions, embedded once and kept in the records database (int8, base64: 384 bytes a
 * question with the bundled model), so listing the knowledge gaps again costs no model time. A vector is keyed by the
 * embedding model and the question's normalised text, so a new model never reuses another model's vectors.
 */
import { createHash } from 'node:crypto';
import type { Embedder } from '../embeddings/types.ts';
import type { RecordsStore } from '../records/types.ts';

/** Texts per model call. */
const BATCH = 64;

export function quantise(vector: readonly number[]): Int8Array {
  const quantised = new Int8Array(vector.length);
  for (let index = 0; index < vector.length; index += 1) quantised[index] = Math.max(-127, Math.min(127, Math.round((vector[index] ?? 0) * 127)));
  return quantised;
}

export function encodeVector(vector: Int8Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

export function decodeVector(text: string): Int8Array {
  const bytes = Buffer.from(text, 'base64');
  return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface QuestionVectors {
  /** Vectors for these texts (by key); missing ones are embedded and stored. `onProgress` counts embedded texts. */
  vectorsFor(items: ReadonlyArray<{ key: string; text: string }>, onProgress?: (done: number, total: number) => void): Promise<{ vectors: Map<string, Int8Array>; embedded: number }>;
}

/**
 * @example
 *   const vectors = createQuestionVectors({ records, embedder });
 *   const { vectors: byKey } = await vectors.vectorsFor([{ key: 'refund policy', text: 'Refund policy?' }]);
 */
export function createQuestionVectors(options: { records: RecordsStore; embedder: Embedder }): QuestionVectors {
  const { records, embedder } = options;
  const storageKey = (key: string) => createHash('sha256').update(`${embedder.modelId}\n${key}`).digest('base64url').slice(0, 32);
  return {
    async vectorsFor(items, onProgress) {
      const unique = new Map<string, string>();
      for (const item of items) if (!unique.has(item.key)) unique.set(item.key, item.text);
      const keys = [...unique.keys()];
      const stored = await records.questionVectors(keys.map(storageKey));
      const result = new Map<string, Int8Array>();
      const missing: string[] = [];
      for (const key of keys) {
        const found = stored.get(storageKey(key));
        if (found) result.set(key, decodeVector(found));
        else missing.push(key);
      }
      for (let start = 0; start < missing.length; start += BATCH) {
        const slice = missing.slice(start, start + BATCH);
        const vectors = await embedder.embedDocuments(slice.map((key) => unique.get(key) ?? key));
        const entries: Array<{ key: string; vector: string }> = [];
        slice.forEach((key, index) => {
          const vector = quantise(vectors[index] ?? []);
          result.set(key, vector);
          entries.push({ key: storageKey(key), vector: encodeVector(vector) });
        });
        await records.saveQuestionVectors(entries);
        onProgress?.(Math.min(start + BATCH, missing.length), missing.length);
      }
      return { vectors: result, embedded: missing.length };
    },
  };
}
