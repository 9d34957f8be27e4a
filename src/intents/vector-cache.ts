/**
 * Sentence vectors of intent examples, kept by a hash of their text so a retrain embeds only the
 * examples that are new (embedding is most of the training time). In memory, or in one binary file
 * beside the index that remembers which embedding model made it.
 *
 * File layout: the ASCII line `kefu-vectors 1 <dimension> <count> <modelId>\n`, then `count` entries of
 * a 16-byte text hash followed by `dimension` little-endian float32 values.
 *
 * @example
 *   const cache = await openVectorCacheFile({ path: 'data/index/intent-vectors.bin', modelId: embedder.modelId, dimension: 384 });
 *   const vectors = await embedWithCache({ texts, embedder, cache });
 *   await cache.save(); // keeps only the vectors used since it was opened
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Embedder } from '../embeddings/types.ts';

export interface VectorCache {
  get(text: string): Float32Array | undefined;
  set(text: string, vector: ArrayLike<number>): void;
  readonly size: number;
}

export interface FileVectorCache extends VectorCache {
  /** Writes the vectors used (read or added) since the cache was opened, atomically. */
  save(): Promise<void>;
}

const HASH_BYTES = 16;
const MAGIC = 'kefu-vectors';

function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_BYTES * 2);
}

/**
 * A cache in memory (for one process).
 *
 * @example
 *   const cache = createMemoryVectorCache();
 */
export function createMemoryVectorCache(): VectorCache {
  const vectors = new Map<string, Float32Array>();
  return {
    get: (text) => vectors.get(textHash(text)),
    set: (text, vector) => void vectors.set(textHash(text), Float32Array.from(vector)),
    get size() {
      return vectors.size;
    },
  };
}

/**
 * Opens (or starts) a cache file. A file made by another model or damaged is ignored, not trusted:
 * its vectors are simply embedded again.
 *
 * @example
 *   const cache = await openVectorCacheFile({ path: file, modelId: embedder.modelId, dimension: embedder.dimension });
 */
export async function openVectorCacheFile({ path: filePath, modelId, dimension }: { path: string; modelId: string; dimension: number }): Promise<FileVectorCache> {
  const stored = new Map<string, Float32Array>();
  const used = new Map<string, Float32Array>();
  if (existsSync(filePath)) {
    const bytes = await readFile(filePath);
    const headerEnd = bytes.indexOf(10);
    const header = headerEnd > 0 ? bytes.subarray(0, headerEnd).toString('utf8').split(' ') : [];
    const [magic, version, storedDimension, count] = header;
    const storedModel = header.slice(4).join(' ');
    const entryBytes = HASH_BYTES + dimension * 4;
    if (magic === MAGIC && version === '1' && Number(storedDimension) === dimension && storedModel === modelId && bytes.length === headerEnd + 1 + Number(count) * entryBytes) {
      for (let offset = headerEnd + 1; offset < bytes.length; offset += entryBytes) {
        const key = bytes.subarray(offset, offset + HASH_BYTES).toString('hex');
        const vector = new Float32Array(dimension);
        for (let index = 0; index < dimension; index++) vector[index] = bytes.readFloatLE(offset + HASH_BYTES + index * 4);
        stored.set(key, vector);
      }
    }
  }
  return {
    get(text) {
      const key = textHash(text);
      const vector = used.get(key) ?? stored.get(key);
      if (vector) used.set(key, vector);
      return vector;
    },
    set(text, vector) {
      used.set(textHash(text), Float32Array.from(vector));
    },
    get size() {
      return new Set([...stored.keys(), ...used.keys()]).size;
    },
    async save() {
      const header = Buffer.from(`${MAGIC} 1 ${dimension} ${used.size} ${modelId}\n`, 'utf8');
      const body = Buffer.alloc(used.size * (HASH_BYTES + dimension * 4));
      let offset = 0;
      for (const [key, vector] of used) {
        body.write(key, offset, 'hex');
        offset += HASH_BYTES;
        for (let index = 0; index < dimension; index++, offset += 4) body.writeFloatLE(vector[index] ?? 0, offset);
      }
      await mkdir(path.dirname(filePath), { recursive: true });
      const temporary = `${filePath}.${process.pid}.tmp`;
      await writeFile(temporary, Buffer.concat([header, body]));
      await rename(temporary, filePath);
    },
  };
}

/**
 * Vectors of `texts` as one packed matrix (`texts.length × embedder.dimension`), embedding only the
 * texts the cache does not have (each distinct text once), in batches so `onProgress` can report.
 *
 * @example
 *   const { vectors, embedded } = await embedWithCache({ texts: ['hi', 'hello'], embedder, cache });
 */
export async function embedWithCache({ texts, embedder, cache, onProgress, batchSize = 256 }: { texts: readonly string[]; embedder: Embedder; cache?: VectorCache; onProgress?: (done: number, total: number) => void; batchSize?: number }): Promise<{ vectors: Float32Array; embedded: number }> {
  const dimension = embedder.dimension;
  const vectors = new Float32Array(texts.length * dimension);
  const missing = new Map<string, number[]>();
  texts.forEach((text, index) => {
    const cached = cache?.get(text);
    if (cached && cached.length === dimension) vectors.set(cached, index * dimension);
    else {
      const indexes = missing.get(text);
      if (indexes) indexes.push(index);
      else missing.set(text, [index]);
    }
  });
  const pending = [...missing.keys()];
  onProgress?.(0, pending.length);
  for (let start = 0; start < pending.length; start += batchSize) {
    const batch = pending.slice(start, start + batchSize);
    const embedded = await embedder.embedDocuments(batch);
    batch.forEach((text, position) => {
      const vector = embedded[position] ?? [];
      cache?.set(text, vector);
      for (const index of missing.get(text) ?? []) vectors.set(vector, index * dimension);
    });
    onProgress?.(Math.min(pending.length, start + batch.length), pending.length);
  }
  return { vectors, embedded: pending.length };
}
