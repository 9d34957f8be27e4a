/**
 * PDF loader (pdf.js, the copy pdf-parse 2 bundles): reads each page's positioned text (items with
 * position, size and font), then `pdf-layout.ts` drops running headers, footers and page numbers, finds
 * headings (larger or other-font short lines), paragraphs, lists and aligned tables. One section per
 * heading and page, with the 1-based page. Password-protected, damaged and scanned (image-only) files
 * are refused with distinct codes.
 */
import { getDocument, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import type { LoaderInput, ParsedDocument } from '../types.ts';
import { layoutPdf, type PdfPageText, type PdfTextItem } from './pdf-layout.ts';
import { listNumbers, loaderError, titleCandidates } from './shared.ts';

export { joinWrappedLines } from './pdf-layout.ts';

function classifyPdfError(error: unknown, path: string): Error {
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') return loaderError('INGEST_PASSWORD', path, 'the PDF asks for a password to open', error);
  return loaderError('INGEST_CORRUPT', path, 'the PDF structure is invalid; the file may be cut off or not a real PDF', error);
}

function isTextItem(item: unknown): item is TextItem {
  return typeof item === 'object' && item !== null && 'str' in item && 'transform' in item;
}

/** One page's text items in points, baseline y measured from the bottom. */
async function pageText(document: PDFDocumentProxy, pageNumber: number): Promise<PdfPageText> {
  const page = await document.getPage(pageNumber);
  try {
    const content = await page.getTextContent();
    const items: PdfTextItem[] = [];
    for (const item of content.items) {
      if (!isTextItem(item) || !item.str) continue;
      const [, , c = 0, d = 0, x = 0, y = 0] = item.transform as number[];
      items.push({ text: item.str, x, y, width: item.width, size: Math.hypot(c, d) || item.height, font: item.fontName });
    }
    return { page: pageNumber, items };
  } finally {
    page.cleanup();
  }
}

/** The metadata title, unless it is empty. Generic titles ("Untitled", "Microsoft Word - x.docx") are dropped later. */
function metadataTitle(info: unknown): string | undefined {
  const title = (info as { Title?: unknown } | undefined)?.Title;
  return typeof title === 'string' && title.trim() ? title.replace(/^Microsoft (Word|PowerPoint|Excel) - /i, '').trim() : undefined;
}

/**
 * Reads a PDF's text, structured, without page furniture.
 *
 * @example
 *   const document = await loadPdf({ path: 'returns.pdf', bytes });
 *   document.sections[0] // { text: 'You have 30 days…', headingPath: ['Returns'], page: 1 }
 */
export async function loadPdf({ path, bytes }: LoaderInput): Promise<ParsedDocument> {
  // verbosity 0 = errors only: pdf.js otherwise prints font warnings for many real files. No eval of font
  // programs: documents come from anyone.
  const task = getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false, useSystemFonts: false, stopAtErrors: false });
  let document: PDFDocumentProxy | undefined;
  try {
    const pages: PdfPageText[] = [];
    let info: unknown;
    try {
      document = await task.promise;
      info = (await document.getMetadata()).info;
      for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) pages.push(await pageText(document, pageNumber));
    } catch (error) {
      throw classifyPdfError(error, path);
    }
    const total = document.numPages;
    const layout = layoutPdf(pages);
    const pagesWithText = new Set(layout.sections.map((section) => section.page));
    const emptyPages = pages.filter((page) => !page.items.some((item) => /[\p{L}\p{N}]/u.test(item.text))).map((page) => page.page);
    if (pagesWithText.size === 0 && layout.headings.length === 0) {
      throw loaderError('INGEST_NO_TEXT', path, `no text found — needs OCR; ${total} page${total === 1 ? '' : 's'} with images only`);
    }
    if (layout.sections.length === 0) {
      throw loaderError('INGEST_NO_TEXT', path, `only headings (${layout.headings.length}), no text under them`, undefined, 'Add the text that belongs under the headings, or remove the file from the folder.');
    }
    const warnings: string[] = [];
    if (emptyPages.length > 0) {
      warnings.push(`No text on page${emptyPages.length === 1 ? '' : 's'} ${listNumbers(emptyPages)} (scanned images?): those pages need OCR and are not searchable.`);
    }
    const metadata = metadataTitle(info);
    const candidates = titleCandidates({
      path,
      candidates: [metadata ? { text: metadata, source: 'metadata' } : undefined, ...layout.headingCandidates, layout.firstLine],
    });
    const { cleanup } = layout;
    const removedAnything = cleanup.repeatedLines + cleanup.pageNumbers + cleanup.headingEchoes > 0;
    return {
      type: 'pdf',
      title: candidates[0]?.text ?? '',
      titleCandidates: candidates,
      sections: layout.sections,
      pageCount: total,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(removedAnything ? { cleanup } : {}),
    };
  } finally {
    await (document ? document.destroy() : task.destroy()).catch(() => undefined);
  }
}
