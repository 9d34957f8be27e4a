/**
 * DOCX loader: mammoth converts the document to HTML (Heading 1–6 styles become h1–h6, Word lists
 * become lists, tables keep their header rows and merged cells), then the HTML loader turns that into
 * sections of the Markdown subset, so headings become the heading path.
 */
import mammoth from 'mammoth';
import type { LoaderInput, ParsedDocument } from '../types.ts';
import { parseHtml } from './html.ts';
import { loaderError } from './shared.ts';

// Images carry no text for search; skip mammoth's default of inlining them as base64.
const skipImages = mammoth.images.imgElement(() => Promise.resolve({ src: '' }));

/**
 * Reads a Word document.
 *
 * @example
 *   const document = await loadDocx({ path: 'warranty.docx', bytes });
 *   document.sections[0].headingPath // ['Warranty', 'What is covered']
 */
export async function loadDocx({ path, bytes }: LoaderInput): Promise<ParsedDocument> {
  let html: string;
  try {
    const result = await mammoth.convertToHtml({ buffer: bytes }, { convertImage: skipImages, externalFileAccess: false });
    html = result.value;
  } catch (error) {
    throw loaderError('INGEST_CORRUPT', path, 'the Word document could not be opened; it may be cut off or not a real .docx', error);
  }
  const document = parseHtml({ html, path, type: 'docx' });
  if (document.sections.length === 0) throw loaderError('INGEST_EMPTY', path, 'the Word document has no text');
  return document;
}
