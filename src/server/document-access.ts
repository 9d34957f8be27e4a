/**
 * What the server may show of the documents: two small interfaces the composition root implements
 * (`cli/document-services.ts`, over the index's document records and ingest's loaders, which `src/` may
 * not import). The routes never look at the ingest folder on their own: a file that is not an indexed
 * document (a `.env`, `.git/config`, a temp file, a file that failed to ingest) does not exist for them.
 */

/** An indexed document a customer may open. */
export interface DocumentInfo {
  /** The document's key in the index: a path relative to `root`, '/' separators. */
  path: string;
  /** Absolute folder the file lives under; the file is served only if it really is inside it. */
  root: string;
  title: string;
  /** pdf | markdown | text | html | docx | faq */
  type: string;
}

/** A passage (chunk) of an indexed document, to open the document at the place a citation points to. */
export interface PassageInfo {
  docPath: string;
  /** Heading path joined with " > ", as in citations. */
  headingPath: string;
  page?: number;
  text: string;
}

export interface DocumentAccess {
  /**
   * The document at `path` if customers may open it: it is in the index with status indexed (and, once the
   * owner console exists, marked customer-visible). Undefined otherwise.
   */
  lookup(path: string): Promise<DocumentInfo | undefined>;
  /** The passage with this chunk id, or undefined. */
  passage(chunkId: string): Promise<PassageInfo | undefined>;
}

/** One section of a document as the readable view shows it. */
export interface DocumentSection {
  /** Headings from the outermost to the innermost. */
  headingPath: string[];
  /** The section's text in the Markdown subset of `src/text/markdown.ts` (paragraphs, lists, tables). */
  text: string;
  page?: number;
}

export interface DocumentContent {
  title: string;
  type: string;
  sections: DocumentSection[];
}

/** Reads a document's text as sections (for the readable view). Throws KefuError when it cannot. */
export interface DocumentReader {
  read(document: DocumentInfo): Promise<DocumentContent>;
}
