/** Records kept in the LanceDB index under KEFU_DATA_DIR/index. */

/**
 * `indexing`: a large document being written in batches (see ChunkStore.writeChunks). Its committed rows are
 * searchable; if the writer stops (killed, Ctrl-C) the record stays `indexing` and the next sync writes it again.
 */
export type DocumentStatus = 'indexed' | 'failed' | 'skipped' | 'indexing';

export interface DocumentRecord {
  /** Path relative to the ingest folder (or the absolute path for files given outside it), '/' separators. The key. */
  path: string;
  /**
   * Absolute folder `path` is relative to (additive field). A sync of one folder only ever removes documents
   * of that folder, so ingesting ../other-folder does not delete what came from the inbox.
   */
  root?: string;
  title: string;
  /** pdf | markdown | text | html | docx | faq | unknown */
  type: string;
  /** sha256 of the file bytes. */
  contentHash: string;
  size: number;
  status: DocumentStatus;
  /** Why it failed or was skipped, with the error code, e.g. "INGEST_NO_TEXT: No text found — needs OCR". */
  reason: string;
  chunkCount: number;
  pageCount: number;
  /** ISO times. */
  modifiedAt: string;
  indexedAt: string;
}

export interface ChunkRecord {
  /** `${sha1(path)[0..12]}-${ordinal}`: unique and stable for a document version. */
  id: string;
  /** DocumentRecord.path */
  docPath: string;
  title: string;
  docType: string;
  kind: 'passage' | 'faq';
  ordinal: number;
  /** Heading path joined with " > ". */
  headingPath: string;
  /** 1-based page, 0 when the format has no pages. */
  page: number;
  /** The text shown and cited. */
  text: string;
  /** 'en' | 'zh' | 'other' */
  language: string;
  /** FAQ only: the question and its alternates joined by "\n"; '' for passages. */
  questions: string;
  /** FAQ only: the answer returned verbatim by the fast path. */
  answer: string;
  category: string;
  /** FAQ only: the entry's id from the FAQ file (FaqEntry.id); '' for passages. */
  faqId: string;
  /** Analysed keywords joined by spaces (`keywordText`: folded, jieba-segmented, stemmed): full-text indexed. */
  keywords: string;
  /**
   * Pairs of adjacent Han characters joined by spaces (`bigramText`): full-text indexed beside `keywords`.
   * Optional for records built by hand (stored as ''); ingestion always sets it, and reads always return it.
   */
  bigrams?: string;
  /** sha256 of the embedded text: lets unchanged chunk texts reuse their vectors. */
  textHash: string;
  vector: number[];
}
