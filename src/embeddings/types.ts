/**
 * The boundary between kefu and an embedding model. One real implementation
 * (`createEmbedder` over Transformers.js); tests use it too, with the bundled model.
 */
export interface Embedder {
  /** Identifies model + weights + pooling, stored with the index so vectors are never mixed. */
  readonly modelId: string;
  /** Vector length. */
  readonly dimension: number;
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
