/** What a loader extracts from one file, before chunking. */

export type { DocumentType } from '../src/formats/index.ts';
import type { DocumentType } from '../src/formats/index.ts';

/** A run of text under one heading path and (for PDFs) on one page. */
export interface Section {
  /**
   * The content in the Markdown subset of `src/text/markdown.ts`: paragraphs, lists (`- ` / `1. `, nested by
   * two spaces), GFM pipe tables with a header row, fenced code, inline `**bold**` and `[text](https://…)`.
   * Never a heading: headings are the `headingPath`.
   */
  text: string;
  /** Headings from the outermost to the innermost, e.g. ["Returns", "Refund timing"]. */
  headingPath: string[];
  /** 1-based page number, for paged formats (PDF). */
  page?: number;
}

/** One question/answer pair from an FAQ file. Never split across chunks. */
export interface FaqEntry {
  /** Stable id from the sheet's id column if any, else derived from the row number. */
  id: string;
  question: string;
  answer: string;
  /** Other ways customers ask the same question; indexed so they match. */
  alternates: string[];
  category?: string;
  /** 1-based row (CSV/XLSX, header excluded) or array index + 1 (JSON): used in error messages and citations. */
  row: number;
}

/** Where a possible title of a document came from. */
export type TitleSource = 'metadata' | 'heading' | 'first-line' | 'file-name';

/** A possible title, as the loader found it; sync chooses among them across the documents of a folder. */
export interface TitleCandidate {
  text: string;
  source: TitleSource;
}

/** What a loader dropped as page furniture or decoration (counts, for reports and tests). */
export interface CleanupCounts {
  /** Lines repeated at the top or bottom of many pages (running headers and footers). */
  repeatedLines: number;
  pageNumbers: number;
  /** Underlines and rules: `=====`, `-----`, `*****`, `____`. */
  decorationLines: number;
  /** Body lines that only repeated the heading just above them. */
  headingEchoes: number;
}

export interface ParsedDocument {
  type: DocumentType;
  /**
   * The loader's own choice: the first usable candidate of `titleCandidates`. Sync may choose a later
   * candidate when this one is shared by unrelated documents of the same folder.
   */
  title: string;
  /**
   * Possible titles in order of preference (metadata or `<title>`, the headings that open the document, a
   * short first line, the file name last). Always ends with the file name.
   */
  titleCandidates?: TitleCandidate[];
  sections: Section[];
  /** Present for FAQ files; then `sections` is empty. */
  faq?: FaqEntry[];
  /** Number of pages for paged formats. */
  pageCount?: number;
  /**
   * Problems that did not stop the file from being read but that its owner should know about,
   * e.g. "Skipped 2 rows with an empty question or answer (sheet rows 5, 9)".
   */
  warnings?: string[];
  /** What was removed as furniture (PDF, text); absent when nothing was. */
  cleanup?: CleanupCounts;
}

export interface LoaderInput {
  /** Absolute path, for messages. */
  path: string;
  /** The file's bytes, read once by the caller (who also hashes them). */
  bytes: Buffer;
}

/** Turns a file's bytes into text sections. Throws KefuError (INGEST_*) for unreadable input. */
export type Loader = (input: LoaderInput) => Promise<ParsedDocument>;

/** A chunk before it is embedded and stored. */
export interface ChunkDraft {
  /** 0-based position within the document. */
  ordinal: number;
  kind: 'passage' | 'faq';
  /**
   * The text shown to people, in the Markdown subset (a long table's chunks each repeat its header row).
   * Embedded and keyword-indexed as plain text (`toPlainText(text, { tables: 'records' })`). FAQ: "question\nanswer".
   */
  text: string;
  headingPath: string[];
  page?: number;
  /** FAQ only. */
  faq?: Pick<FaqEntry, 'id' | 'question' | 'answer' | 'alternates' | 'category'>;
}
