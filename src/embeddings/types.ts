/**
 * The boundary between kefu and an embedding model. One real implementation
 * (`createEmbedder` over Transformers.js); tests use it too, with the bundled model.
 */
/** Languages whose meaning a model's vectors capture ('en', 'zh', 'other'), or 'all' for a multilingual model. */
export type EmbedderLanguages = ReadonlyArray<'en' | 'zh' | 'other'> | 'all';

export interface Embedder {
  /** Identifies model + weights + pooling, stored with the index so vectors are never mixed. */
  readonly modelId: string;
  /** Vector length. */
  readonly dimension: number;
  /**
   * Languages the model understands. Retrieval trusts the vector side only for these (the bundled
   * all-MiniLM-L6-v2 is English-only); a multilingual model gets the same trust in every language.
   */
  readonly languages: EmbedderLanguages;
  /** Longest input in model tokens; longer inputs are truncated (and counted). */
  readonly maxTokens: number;
  /** Embeds passages (documents, chunks). Vectors are L2-normalised. */
  embedDocuments(texts: string[]): Promise<number[][]>;
  /** Embeds one query. The vector is L2-normalised. */
  embedQuery(text: string): Promise<number[]>;
  /** Number of model tokens in a text (special tokens excluded); used by the chunker. */
  countTokens(text: string): number;
  /** Inputs truncated so far because they exceeded `maxTokens`. */
  readonly truncatedCount: number;
  /** Releases the model session. */
  dispose(): Promise<void>;
}
