/**
 * `loadFile` picks a loader by extension, checks the content agrees (a PDF renamed to .txt is still
 * read as a PDF; a Word file saved with the old binary format is refused with a clear reason) and
 * turns any failure into a KefuError with an INGEST_* code and a detail a knowledge owner can act on.
 */
import path from 'node:path';
import type { DocumentType, ParsedDocument } from '../types.ts';
import { isKefuError } from '../../src/errors/index.ts';
import { formatOf, supportedExtensions as registryExtensions, type FormatId } from '../../src/formats/index.ts';
import { collectFaq, streamFaqCsv, streamFaqJson, streamFaqXlsx, type FaqStream } from './faq.ts';
import { loadHtmlText } from './html.ts';
import { loadMarkdownText } from './markdown.ts';
import { loaderError } from './shared.ts';
import { bomEncoding, decodeText, looksBinary } from './text-decoding.ts';
import { loadPlainText } from './text.ts';
import { checkPdfStreams, checkZipContainer } from '../zip-guard.ts';

type Format = FormatId;

/** File extensions `loadFile` reads (lower case, with the dot): the format registry's. */
export const supportedExtensions: readonly string[] = registryExtensions;

/** Default size limit, the same as KEFU_MAX_FILE_MB's default. */
const DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024;

/**
 * True if `loadFile` has a loader for this file name. Sync uses it to skip other files quietly.
 *
 * @example
 *   isSupportedFile('policies/Returns.PDF') // true
 */
export function isSupportedFile(filePath: string): boolean {
  return formatOf(filePath) !== undefined;
}

/** The document type a file will have once loaded (FAQ sheets are 'faq'), or undefined if unsupported. */
export function documentTypeOf(filePath: string): DocumentType | undefined {
  return formatOf(filePath)?.documentType;
}

type Sniffed = 'pdf' | 'docx' | 'xlsx' | 'zip' | 'ole' | 'encrypted-office' | 'binary' | 'html' | 'text';

function includesAscii(bytes: Buffer, text: string): boolean {
  return bytes.includes(Buffer.from(text, 'latin1'));
}

/** What the bytes are, regardless of the name: magic numbers for binary formats, markup for HTML. */
function sniff(bytes: Buffer, declared: Format): Sniffed {
  // pdf.js accepts up to 1 KB of junk before the header; other files must start with it, so a text
  // file that merely mentions "%PDF-" stays text.
  const pdfHeaderAt = bytes.subarray(0, 1024).indexOf('%PDF-');
  if (pdfHeaderAt === 0 || (pdfHeaderAt > 0 && declared === 'pdf')) return 'pdf';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    // Zip entry names are stored uncompressed, so the part names tell Word from Excel.
    if (includesAscii(bytes, 'word/document')) return 'docx';
    if (includesAscii(bytes, 'xl/workbook')) return 'xlsx';
    return 'zip';
  }
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    // A password-protected .docx/.xlsx is an OLE container holding an "EncryptedPackage" stream.
    return bytes.includes(Buffer.from('EncryptedPackage', 'utf16le')) ? 'encrypted-office' : 'ole';
  }
  // A UTF-16 byte-order mark first: UTF-16 text has NUL bytes, which would otherwise read as binary.
  const bom = bomEncoding(bytes);
  const utf16 = bom === 'utf-16le' || bom === 'utf-16be';
  if (!utf16 && looksBinary(bytes)) return 'binary';
  const start = (utf16 ? new TextDecoder(bom).decode(bytes.subarray(2, 1026)) : bytes.subarray(0, 512).toString('utf8')).replace(/^\ufeff/, '').trimStart().toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'html';
  return 'text';
}


/**
 * Safety limits (KEFU_MAX_UNZIPPED_MB, KEFU_MAX_ZIP_RATIO, KEFU_MAX_TEXT_CHARS, KEFU_MAX_CHUNKS_PER_FILE): a file
 * over one fails with INGEST_LIMIT, checked as early as the format allows (a zip while it inflates, decoded text
 * before it is parsed, FAQ rows as they stream).
 */
export interface LoadLimits {
  maxUnzippedBytes: number;
  maxZipRatio: number;
  /** Text of one document (FAQ sheets are limited by rows instead). */
  maxTextChars: number;
  /** Sections of a document, rows of an FAQ sheet (each becomes at least one chunk). */
  maxChunks: number;
}

/** The defaults of the settings above. */
export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxUnzippedBytes: 200 * 1024 * 1024, maxZipRatio: 100, maxTextChars: 5_000_000, maxChunks: 250_000 };

/** A file opened for reading: a whole document, or an FAQ sheet that hands its rows on in batches. */
export type OpenedFile = { kind: 'document'; document: ParsedDocument } | { kind: 'faq'; stream: FaqStream };

/** Library failures in the middle of a stream are the file's damage too, named like loadFile names them. */
async function* guarded(stream: FaqStream, filePath: string, format: Format): FaqStream {
  try {
    return yield* stream;
  } catch (error) {
    if (isKefuError(error)) throw error;
    throw loaderError('INGEST_CORRUPT', filePath, `the ${format.toUpperCase()} reader failed on it`, error);
  }
}

function checkDocumentLimits(document: ParsedDocument, filePath: string, limits: LoadLimits): ParsedDocument {
  if (document.sections.length > limits.maxChunks) {
    throw loaderError('INGEST_LIMIT', filePath, `${document.sections.length} sections, more than KEFU_MAX_CHUNKS_PER_FILE=${limits.maxChunks}`);
  }
  const characters = document.sections.reduce((sum, section) => sum + section.text.length, 0);
  if (characters > limits.maxTextChars) {
    throw loaderError('INGEST_LIMIT', filePath, `${characters.toLocaleString('en')} characters of text, more than KEFU_MAX_TEXT_CHARS=${limits.maxTextChars}`);
  }
  return document;
}

async function openByFormat({ format, filePath, bytes, limits, faqBatchRows }: { format: Format; filePath: string; bytes: Buffer; limits: LoadLimits; faqBatchRows: number | undefined }): Promise<OpenedFile> {
  const faqOptions = { path: filePath, maxEntries: limits.maxChunks, ...(faqBatchRows === undefined ? {} : { batchRows: faqBatchRows }) };
  if (format === 'docx' || format === 'xlsx') {
    // Before any Office parser expands it: refuse zip bombs while inflating, whatever sizes the archive claims.
    await checkZipContainer({ path: filePath, bytes, maxUnzippedBytes: limits.maxUnzippedBytes, maxRatio: limits.maxZipRatio });
  }
  // pdf.js, mammoth and exceljs load on first use: a folder of Markdown never pays for them (exceljs alone takes ~0.5 s).
  if (format === 'pdf') {
    await checkPdfStreams({ path: filePath, bytes, maxUnzippedBytes: limits.maxUnzippedBytes });
    const { loadPdf } = await import('./pdf.ts');
    return { kind: 'document', document: checkDocumentLimits(await loadPdf({ path: filePath, bytes }), filePath, limits) };
  }
  if (format === 'docx') {
    const { loadDocx } = await import('./docx.ts');
    return { kind: 'document', document: checkDocumentLimits(await loadDocx({ path: filePath, bytes }), filePath, limits) };
  }
  if (format === 'xlsx') return { kind: 'faq', stream: guarded(streamFaqXlsx({ ...faqOptions, bytes }), filePath, format) };
  const { text } = decodeText({ path: filePath, bytes });
  if (!/[^\s\ufeff]/u.test(text)) throw loaderError('INGEST_EMPTY', filePath, 'only whitespace');
  if (format === 'csv') return { kind: 'faq', stream: guarded(streamFaqCsv({ ...faqOptions, text }), filePath, format) };
  if (format === 'json') return { kind: 'faq', stream: guarded(streamFaqJson({ ...faqOptions, text }), filePath, format) };
  if (text.length > limits.maxTextChars) {
    throw loaderError('INGEST_LIMIT', filePath, `${text.length.toLocaleString('en')} characters of text, more than KEFU_MAX_TEXT_CHARS=${limits.maxTextChars}`);
  }
  switch (format) {
    case 'markdown':
      return { kind: 'document', document: checkDocumentLimits(loadMarkdownText({ path: filePath, text }), filePath, limits) };
    case 'html':
      return { kind: 'document', document: checkDocumentLimits(loadHtmlText({ path: filePath, text }), filePath, limits) };
    default:
      return { kind: 'document', document: checkDocumentLimits(loadPlainText({ path: filePath, text }), filePath, limits) };
  }
}

/** Decides which loader reads the file, trusting the content over the extension where they disagree. */
function chooseFormat({ declared, sniffed, filePath }: { declared: Format; sniffed: Sniffed; filePath: string }): Format {
  const extension = path.extname(filePath).toLowerCase();
  switch (sniffed) {
    case 'pdf':
      return 'pdf';
    case 'docx':
      return 'docx';
    case 'xlsx':
      return 'xlsx';
    case 'encrypted-office':
      throw loaderError('INGEST_PASSWORD', filePath, 'the Office document is encrypted with a password');
    case 'ole':
      throw loaderError('INGEST_UNSUPPORTED_TYPE', filePath, 'an old Word/Excel 97-2003 file; open it and save it as .docx or .xlsx');
    case 'zip':
      throw declared === 'docx' || declared === 'xlsx'
        ? loaderError('INGEST_CORRUPT', filePath, `a zip archive without the parts of a ${extension} file`)
        : loaderError('INGEST_UNSUPPORTED_TYPE', filePath, `a zip archive named ${extension}; unpack it first`);
    case 'binary':
      throw declared === 'pdf' || declared === 'docx' || declared === 'xlsx'
        ? loaderError('INGEST_CORRUPT', filePath, `not a ${extension} file; its content is some other binary format`)
        : loaderError('INGEST_BINARY', filePath, `binary data with a ${extension} name; it contains NUL bytes or control characters`);
    case 'html':
      if (declared === 'text') return 'html';
      break;
    default:
      break;
  }
  if (!formatOf(filePath)?.textBased) {
    const looks = sniffed === 'html' ? 'an HTML page (perhaps a download error page)' : 'plain text';
    throw loaderError('INGEST_CORRUPT', filePath, `not a real ${extension} file: the content is ${looks}`);
  }
  return declared;
}

export interface LoadFileOptions {
  /** Path of the file, for choosing the loader and for messages. */
  path: string;
  /** The file's bytes, read once by the caller. */
  bytes: Buffer;
  /** Larger files are refused before parsing (default 50 MB). */
  maxFileBytes?: number;
  /** Safety limits (defaults: DEFAULT_LOAD_LIMITS, the settings' defaults). */
  limits?: Partial<LoadLimits>;
}

/**
 * Opens one file for reading: checks size, content and safety limits, then parses a document whole or starts
 * streaming an FAQ sheet. Throws KefuError with an INGEST_* code.
 *
 * @example
 *   const opened = await openFile({ path: 'faq.csv', bytes, faqBatchRows: 1000 });
 *   if (opened.kind === 'faq') for await (const batch of opened.stream) console.log(batch.entries.length);
 */
export async function openFile(options: LoadFileOptions & { faqBatchRows?: number }): Promise<OpenedFile> {
  const { path: filePath, bytes, maxFileBytes = DEFAULT_MAX_FILE_BYTES } = options;
  const limits: LoadLimits = { ...DEFAULT_LOAD_LIMITS, ...options.limits };
  const extension = path.extname(filePath).toLowerCase();
  const declared = formatOf(filePath)?.id;
  if (declared === undefined) {
    throw loaderError('INGEST_UNSUPPORTED_TYPE', filePath, extension ? `${extension} files are not read` : 'the file has no extension');
  }
  if (bytes.length > maxFileBytes) {
    throw loaderError('INGEST_TOO_LARGE', filePath, `${formatBytes(bytes.length)}, the limit is ${formatBytes(maxFileBytes)}`);
  }
  if (bytes.length === 0) throw loaderError('INGEST_EMPTY', filePath, '0 bytes');
  const format = chooseFormat({ declared, sniffed: sniff(bytes, declared), filePath });
  try {
    return await openByFormat({ format, filePath, bytes, limits, faqBatchRows: options.faqBatchRows });
  } catch (error) {
    if (isKefuError(error)) throw error;
    // A loader library failed in a way we did not anticipate: still name the file, keep the cause for logs.
    throw loaderError('INGEST_CORRUPT', filePath, `the ${format.toUpperCase()} reader failed on it`, error);
  }
}

/**
 * Reads one file into text sections (or FAQ entries, all of them). Throws KefuError with an INGEST_* code.
 *
 * @example
 *   const bytes = await readFile('data/sample/en/returns.md');
 *   const document = await loadFile({ path: 'data/sample/en/returns.md', bytes, maxFileBytes: 50e6 });
 *   document.sections[0].headingPath // ['Returns & Refunds', ...]
 */
export async function loadFile(options: LoadFileOptions): Promise<ParsedDocument> {
  const opened = await openFile(options);
  return opened.kind === 'document' ? opened.document : collectFaq(opened.stream);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
