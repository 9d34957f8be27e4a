/**
 * Vectors for chunks, and writing a document too large for one commit.
 *
 * `embedChunks` reuses every vector already in the index for the same embedded text (by `textHash`) and embeds
 * each distinct missing text once. `writeLargeDocument` writes a document batch by batch (a 200,000-row FAQ sheet
 * streamed from the parser, or a prose document of thousands of chunks): its record says `indexing` while it is
 * written, each batch is committed as it is ready (searchable at once), the next batch is embedded while the
 * previous one is committed, and the end trims rows a longer old version left and marks the record `indexed`.
 *
 * A run killed half-way leaves the record `indexing` and the committed rows; the next sync writes the document
 * again from its file, and every committed row's vector is found by its text hash, so only the rest is embedded.
 *
 * @example
 *   const result = await writeLargeDocument({ store, embedder, record, batches, onChunks: console.log });
 */
import type { Embedder } from '../src/embeddings/types.ts';
import type { ChunkStore } from '../src/store/index.ts';
import type { ChunkRecord, DocumentRecord } from '../src/store/types.ts';

/** A chunk with everything but its vector, and the text its vector is made from. */
export type PendingChunk = Omit<ChunkRecord, 'vector'> & { embedText: string };

/** Texts per embedding call (a few model batches): progress moves while the embedder sorts a slice by length. */
const EMBED_SLICE = 64;
/**
 * Model tokens per embedding call. onnxruntime keeps the memory of its largest batch: 32 chunks of 200 tokens grew
 * the process by ~350 MB. Measured on `kefu ingest` of the Northwind PDFs: peak RSS 1,148 MB with 64-text calls,
 * 735 MB with a 2048-token budget, 660 MB with 1024, for 5-15% less speed on long chunks (compute-bound: 4 chunks
 * of 200 tokens per call vs 32). Then, with the half-precision word embeddings and the smaller parser young
 * generation, on three Northwind PDFs (383 chunks, one run, fp32): 564 MB at 1024, 546 MB at 512, at the same speed
 * within noise (bench/README.md, "Ingest memory"). Short texts (FAQ rows, ~40 tokens) still go ~12 at a time.
 */
const EMBED_TOKEN_BUDGET = 512;

/** Splits texts into embedding calls of at most EMBED_SLICE texts and EMBED_TOKEN_BUDGET tokens, longest first. */
function slicesOf(entries: Array<[string, string]>, countTokens: (text: string) => number): Array<Array<[string, string]>> {
  const sized = entries.map((entry) => ({ entry, tokens: countTokens(entry[1]) })).sort((left, right) => right.tokens - left.tokens);
  const slices: Array<Array<[string, string]>> = [];
  let current: Array<[string, string]> = [];
  let tokens = 0;
  for (const { entry, tokens: size } of sized) {
    if (current.length > 0 && (current.length >= EMBED_SLICE || tokens + size > EMBED_TOKEN_BUDGET)) {
      slices.push(current);
      current = [];
      tokens = 0;
    }
    current.push(entry);
    tokens += size;
  }
  if (current.length > 0) slices.push(current);
  return slices;
}

export interface EmbeddedChunks {
  /** Vector by text hash, for every chunk given. */
  vectors: Map<string, number[]>;
  /** Text hashes embedded by this call (the rest were reused). */
  embedded: Set<string>;
}

/**
 * Vectors for chunks: reused from the index by text hash where possible, identical texts embedded once.
 *
 * @example
 *   const { vectors, embedded } = await embedChunks({ store, embedder, chunks, onChunks: (done) => {} });
 */
export async function embedChunks(options: { store: ChunkStore; embedder: Embedder; chunks: PendingChunk[]; signal?: AbortSignal | undefined; onChunks?: (done: number) => void; known?: Map<string, number[]> }): Promise<EmbeddedChunks> {
  const { store, embedder, chunks, signal } = options;
  const wanted = [...new Set(chunks.map((chunk) => chunk.textHash))];
  const vectors = new Map<string, number[]>();
  const unknown: string[] = [];
  for (const hash of wanted) {
    const vector = options.known?.get(hash);
    if (vector) vectors.set(hash, vector);
    else unknown.push(hash);
  }
  for (const [hash, vector] of unknown.length > 0 ? await store.vectorsByTextHash(unknown) : new Map<string, number[]>()) vectors.set(hash, vector);
  const missing = [...new Map(chunks.filter((chunk) => !vectors.has(chunk.textHash)).map((chunk) => [chunk.textHash, chunk.embedText])).entries()];
  let done = chunks.length - missing.length;
  options.onChunks?.(done);
  for (const part of slicesOf(missing, (text) => Math.min(embedder.maxTokens, embedder.countTokens(text)))) {
    signal?.throwIfAborted();
    const embedded = await embedder.embedDocuments(part.map(([, text]) => text));
    part.forEach(([hash], position) => vectors.set(hash, embedded[position] ?? []));
    done += part.length;
    options.onChunks?.(done);
  }
  return { vectors, embedded: new Set(missing.map(([hash]) => hash)) };
}

/** The chunk rows to store, each with its vector. */
export function withVectors(chunks: PendingChunk[], vectors: Map<string, number[]>): ChunkRecord[] {
  return chunks.map(({ embedText: _embedText, ...chunk }) => ({ ...chunk, vector: vectors.get(chunk.textHash) ?? [] }));
}

export interface LargeDocumentResult {
  chunks: number;
  embedded: number;
  reused: number;
}

/**
 * Writes one document batch by batch. `batches` yields chunks with their final ordinals and ids, in order; its
 * return value gives the warnings known only at the end (FAQ rows skipped). Errors propagate: a failed file is
 * recorded by the caller (which removes the rows written so far).
 *
 * @example
 *   const result = await writeLargeDocument({ store, embedder, record, batches });
 */
export async function writeLargeDocument(options: {
  store: ChunkStore;
  embedder: Embedder;
  /** The document's record as it will be once written (title, type, hash, size…). */
  record: DocumentRecord;
  batches: AsyncIterable<PendingChunk[]>;
  /** The record's `reason` once every batch is written (warnings that are only known at the end). */
  reasonAtEnd?: () => string;
  signal?: AbortSignal | undefined;
  /** Chunks of this document done so far (embedded or reused), after each slice. */
  onChunks?: (done: number) => void;
}): Promise<LargeDocumentResult> {
  const { store, embedder, record, signal } = options;
  // What `kefu docs list` shows meanwhile, and after a kill until the next sync writes the document again.
  await store.updateDocument({ ...record, status: 'indexing', chunkCount: 0, reason: 'being written in batches; if no kefu process is indexing now, the next sync finishes it', indexedAt: new Date().toISOString() });
  let written = 0;
  let embedded = 0;
  let commit: Promise<void> | undefined;
  // Vectors embedded for the last batches, whose commit may still be running (the index cannot answer for them
  // yet): a row repeating one of them is not embedded again. Older ones the index answers for.
  const recent = new Map<string, number[]>();
  try {
    for await (const chunks of options.batches) {
      signal?.throwIfAborted();
      const before = written;
      const result = await embedChunks({ store, embedder, chunks, signal, known: recent, onChunks: (done) => options.onChunks?.(before + done) });
      embedded += result.embedded.size;
      for (const hash of result.embedded) recent.set(hash, result.vectors.get(hash) ?? []);
      while (recent.size > 4000) recent.delete(recent.keys().next().value as string);
      // Commit this batch while the next one is embedded; commits stay in order.
      await commit;
      commit = store.writeChunks({ docPath: record.path, chunks: withVectors(chunks, result.vectors) });
      written += chunks.length;
    }
    await commit;
  } catch (error) {
    await commit?.catch(() => {});
    throw error;
  }
  await store.finishDocument({ ...record, status: 'indexed', chunkCount: written, reason: options.reasonAtEnd?.() ?? record.reason, indexedAt: new Date().toISOString() });
  return { chunks: written, embedded, reused: written - embedded };
}
