/**
 * PDF loader (pdf-parse 2, which wraps pdf.js): one section per page with its 1-based page number.
 * Password-protected, damaged and scanned (image-only) files are refused with distinct codes.
 */
import { PDFParse } from 'pdf-parse';
import type { ParsedDocument, Section, LoaderInput } from '../types.ts';
import { hasWords, listNumbers, loaderError, tidyLines, titleFromPath } from './shared.ts';

const HAN_OR_CJK_PUNCTUATION = /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u;

/**
 * pdf.js gives one line per text line on the page. Lines that wrap mid-sentence are joined back:
 * hyphenated English words are re-joined, and a break between two Chinese characters is dropped
 * (Chinese has no spaces, so keeping it would put a space inside a word).
 */
export function joinWrappedLines(text: string): string {
  const lines = tidyLines(text).split('\n');
  let result = '';
  for (const line of lines) {
    if (!result) {
      result = line;
      continue;
    }
    const previous = result.at(-1) ?? '';
    const next = line[0] ?? '';
    if (/\p{Ll}-$/u.test(result) && /\p{Ll}/u.test(next)) result = result.slice(0, -1) + line;
    else if (HAN_OR_CJK_PUNCTUATION.test(previous) && /\p{Script=Han}/u.test(next) && !/[。！？；：]/u.test(previous)) result += line;
    else result += `\n${line}`;
  }
  return result;
}

interface PdfInfo {
  Title?: unknown;
}

/** Metadata titles are often junk left by the authoring tool ("Untitled", "Microsoft Word - x.docx"). */
function usableMetadataTitle(info: PdfInfo | undefined): string | undefined {
  const raw = typeof info?.Title === 'string' ? info.Title.trim() : '';
  const title = raw.replace(/^Microsoft (Word|PowerPoint|Excel) - /i, '').trim();
  if (!title || /^(untitled|document\d*|无标题)$/i.test(title) || /\.(docx?|pptx?|xlsx?|pdf|indd)$/i.test(title)) return undefined;
  return title;
}

function firstLineTitle(text: string): string | undefined {
  const line = text.split('\n').find((candidate) => hasWords(candidate))?.trim();
  return line && line.length <= 80 ? line : undefined;
}

function classifyPdfError(error: unknown, path: string): Error {
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') return loaderError('INGEST_PASSWORD', path, 'the PDF asks for a password to open', error);
  return loaderError('INGEST_CORRUPT', path, 'the PDF structure is invalid; the file may be cut off or not a real PDF', error);
}

/**
 * Reads a PDF's text page by page.
 *
 * @example
 *   const document = await loadPdf({ path: 'returns.pdf', bytes });
 *   document.sections[0].page // 1
 */
export async function loadPdf({ path, bytes }: LoaderInput): Promise<ParsedDocument> {
  // verbosity 0 = errors only: pdf.js otherwise prints font warnings to the console for many real files.
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
  try {
    let info: PdfInfo | undefined;
    let pages: { num: number; text: string }[];
    let total: number;
    try {
      const infoResult = await parser.getInfo();
      info = infoResult.info as PdfInfo | undefined;
      const textResult = await parser.getText();
      pages = textResult.pages;
      total = textResult.total;
    } catch (error) {
      throw classifyPdfError(error, path);
    }
    const sections: Section[] = [];
    const emptyPages: number[] = [];
    for (const page of pages) {
      const text = joinWrappedLines(page.text);
      if (hasWords(text)) sections.push({ text, headingPath: [], page: page.num });
      else emptyPages.push(page.num);
    }
    if (sections.length === 0) {
      throw loaderError('INGEST_NO_TEXT', path, `no text found — needs OCR; ${total} page${total === 1 ? '' : 's'} with images only`);
    }
    const warnings: string[] = [];
    if (emptyPages.length > 0) {
      warnings.push(`No text on page${emptyPages.length === 1 ? '' : 's'} ${listNumbers(emptyPages)} (scanned images?): those pages need OCR and are not searchable.`);
    }
    const title = usableMetadataTitle(info) ?? firstLineTitle(sections[0]?.text ?? '') ?? titleFromPath(path);
    return { type: 'pdf', title, sections, pageCount: total, ...(warnings.length > 0 ? { warnings } : {}) };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
