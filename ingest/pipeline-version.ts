/**
 * The version of the ingest pipeline an index was built with. The index records it (`store.usePipeline`) and a
 * sync that finds another one re-indexes every document: re-reads and re-chunks it, reusing the vectors of
 * texts that did not change (this is not a model change; nothing is dropped).
 *
 * Bump `INGEST_PIPELINE_VERSION` whenever the loaders or the chunker would write different chunks for the same
 * file. The recorded version also carries the keyword analysis version (`ANALYZER_VERSION`), the embedding model
 * (its tokenizer sizes the chunks) and the chunk size settings, so changing any of them re-chunks too.
 *
 * @example
 *   pipelineVersion({ modelId: 'bundled/all-MiniLM-L6-v2', chunkTokens: 220, chunkOverlap: 30 })
 *   // 'ingest 2; analyzer 1; model bundled/all-MiniLM-L6-v2; chunks 220/30'
 */
import { ANALYZER_VERSION } from '../src/text/index.ts';

/**
 * 1: plain text per page or heading. 2: structure kept as Markdown (tables, lists), page furniture removed,
 * PDF headings, block-aware chunks, embedded as plain text, titles chosen across a folder.
 */
export const INGEST_PIPELINE_VERSION = 2;

export function pipelineVersion({ modelId, chunkTokens, chunkOverlap }: { modelId: string; chunkTokens: number; chunkOverlap: number }): string {
  return `ingest ${INGEST_PIPELINE_VERSION}; analyzer ${ANALYZER_VERSION}; model ${modelId}; chunks ${chunkTokens}/${chunkOverlap}`;
}
