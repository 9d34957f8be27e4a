/** What a loader extracts from one file, before chunking. */

export type { DocumentType } from '../src/formats/index.ts';
import type { DocumentType } from '../src/formats/index.ts';

/** A run of text under one heading path and (for PDFs) on one page. */
export interface Section {
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

export interface ParsedDocument {
  type: DocumentType;
  /** Title from the document (first heading, PDF metadata, <title>) or the file name. */
  title: string;
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
  /** The text shown to people and embedded (for FAQ: "question\nanswer"). */
  text: string;
  headingPath: string[];
  page?: number;
  /** FAQ only. */
  faq?: Pick<FaqEntry, 'id' | 'question' | 'answer' | 'alternates' | 'category'>;
}
