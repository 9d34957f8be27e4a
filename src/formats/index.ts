/**
 * The one table of file formats kefu reads. Everything that depends on a file's format reads it here:
 * the loaders (which reader), sync (which files to pick up, the document type before parsing), the
 * error hints (what is supported), the documents route (MIME type, how a source is shown) and the CLI.
 * Adding a format is one row here plus its loader in `ingest/loaders` (the loader table is typed by
 * `FormatId`, so a missing loader does not compile).
 *
 * @example
 *   formatOf('policies/Returns.PDF')?.documentType // 'pdf'
 *   formatOf('faq.xlsx')?.faq                      // true
 */

export type FormatId = 'pdf' | 'markdown' | 'text' | 'html' | 'docx' | 'csv' | 'xlsx' | 'json';

/** What a document is once loaded: FAQ sheets of any format are 'faq'. */
export type DocumentType = 'pdf' | 'markdown' | 'text' | 'html' | 'docx' | 'faq';

export interface FileFormat {
  id: FormatId;
  /** Lower-case extensions with the dot; the first is the usual one. */
  extensions: readonly string[];
  documentType: DocumentType;
  /** MIME type of the original file. */
  mimeType: string;
  /** Question/answer sheets: one entry per chunk, verbatim answers. */
  faq: boolean;
  /** Decoded as text (UTF-8, UTF-16 with BOM, GB18030) before parsing; otherwise a binary container. */
  textBased: boolean;
  /** Zip-based container (limits on decompressed size apply). */
  zipContainer: boolean;
  /** Has pages a citation can point at. */
  paged: boolean;
  /** For people: "PDF", "Word document". */
  label: string;
}

export const FORMATS: readonly FileFormat[] = [
  { id: 'pdf', extensions: ['.pdf'], documentType: 'pdf', mimeType: 'application/pdf', faq: false, textBased: false, zipContainer: false, paged: true, label: 'PDF' },
  { id: 'markdown', extensions: ['.md', '.markdown'], documentType: 'markdown', mimeType: 'text/markdown', faq: false, textBased: true, zipContainer: false, paged: false, label: 'Markdown' },
  { id: 'text', extensions: ['.txt', '.text'], documentType: 'text', mimeType: 'text/plain', faq: false, textBased: true, zipContainer: false, paged: false, label: 'plain text' },
  { id: 'html', extensions: ['.html', '.htm'], documentType: 'html', mimeType: 'text/html', faq: false, textBased: true, zipContainer: false, paged: false, label: 'HTML page' },
  { id: 'docx', extensions: ['.docx'], documentType: 'docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', faq: false, textBased: false, zipContainer: true, paged: false, label: 'Word document' },
  { id: 'csv', extensions: ['.csv'], documentType: 'faq', mimeType: 'text/csv', faq: true, textBased: true, zipContainer: false, paged: false, label: 'FAQ sheet (CSV)' },
  { id: 'xlsx', extensions: ['.xlsx'], documentType: 'faq', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', faq: true, textBased: false, zipContainer: true, paged: false, label: 'FAQ sheet (Excel)' },
  { id: 'json', extensions: ['.json'], documentType: 'faq', mimeType: 'application/json', faq: true, textBased: true, zipContainer: false, paged: false, label: 'FAQ (JSON)' },
];

const BY_EXTENSION: ReadonlyMap<string, FileFormat> = new Map(FORMATS.flatMap((format) => format.extensions.map((extension) => [extension, format] as const)));

/** The lower-case extension of a path, with the dot ('' when none). */
export function extensionOf(filePath: string): string {
  const base = filePath.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** The format of a file by its name, or undefined when kefu does not read it. */
export function formatOf(filePath: string): FileFormat | undefined {
  return BY_EXTENSION.get(extensionOf(filePath));
}

export function formatById(id: FormatId): FileFormat {
  const format = FORMATS.find((candidate) => candidate.id === id);
  if (!format) throw new Error(`unknown format ${id}`);
  return format;
}

/** Every extension kefu reads, e.g. for hints: ".pdf .md .markdown …". */
export const supportedExtensions: readonly string[] = FORMATS.flatMap((format) => format.extensions);

/** A short sentence naming what is supported, for error hints and help texts. */
export function supportedFormatsText(): string {
  const documents = FORMATS.filter((format) => !format.faq).flatMap((format) => format.extensions).join(' ');
  const faq = FORMATS.filter((format) => format.faq).flatMap((format) => format.extensions).join(' ');
  return `${documents}, and FAQ sheets ${faq} (question/answer columns)`;
}
