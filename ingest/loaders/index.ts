/**
 * `loadFile` picks a loader by extension, checks the content agrees (a PDF renamed to .txt is still
 * read as a PDF; a Word file saved with the old binary format is refused with a clear reason) and
 * turns any failure into a KefuError with an INGEST_* code and a detail a knowledge owner can act on.
 */
import path from 'node:path';
import type { DocumentType, ParsedDocument } from '../types.ts';
import { isKefuError } from '../../src/errors/index.ts';
import { formatOf, supportedExtensions as registryExtensions, type FormatId } from '../../src/formats/index.ts';
import { loadDocx } from './docx.ts';
import { loadFaqCsv, loadFaqJson, loadFaqXlsx } from './faq.ts';
import { loadHtmlText } from './html.ts';
import { loadMarkdownText } from './markdown.ts';
import { loadPdf } from './pdf.ts';
import { loaderError } from './shared.ts';
import { bomEncoding, decodeText, looksBinary } from './text-decoding.ts';
import { loadPlainText } from './text.ts';

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


async function loadByFormat({ format, filePath, bytes }: { format: Format; filePath: string; bytes: Buffer }): Promise<ParsedDocument> {
  if (format === 'pdf') return loadPdf({ path: filePath, bytes });
  if (format === 'docx') return loadDocx({ path: filePath, bytes });
  if (format === 'xlsx') return loadFaqXlsx({ path: filePath, bytes });
  const { text } = decodeText({ path: filePath, bytes });
  if (!/[^\s\ufeff]/u.test(text)) throw loaderError('INGEST_EMPTY', filePath, 'only whitespace');
  switch (format) {
    case 'markdown':
      return loadMarkdownText({ path: filePath, text });
    case 'html':
      return loadHtmlText({ path: filePath, text });
    case 'csv':
      return loadFaqCsv({ path: filePath, text });
    case 'json':
      return loadFaqJson({ path: filePath, text });
    default:
      return loadPlainText({ path: filePath, text });
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
}

/**
 * Reads one file into text sections (or FAQ entries). Throws KefuError with an INGEST_* code.
 *
 * @example
 *   const bytes = await readFile('data/sample/en/returns.md');
 *   const document = await loadFile({ path: 'data/sample/en/returns.md', bytes, maxFileBytes: 50e6 });
 *   document.sections[0].headingPath // ['Returns & Refunds', ...]
 */
export async function loadFile({ path: filePath, bytes, maxFileBytes = DEFAULT_MAX_FILE_BYTES }: LoadFileOptions): Promise<ParsedDocument> {
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
    return await loadByFormat({ format, filePath, bytes });
  } catch (error) {
    if (isKefuError(error)) throw error;
    // A loader library failed in a way we did not anticipate: still name the file, keep the cause for logs.
    throw loaderError('INGEST_CORRUPT', filePath, `the ${format.toUpperCase()} reader failed on it`, error);
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
