/**
 * Real PDFs for tests and benchmarks, made with pdfkit (a real PDF library, not hand-written bytes).
 *
 * @example
 *   const bytes = await makePdf({ info: { Title: 'Returns' } }, (document) => document.text('Returns within 30 days.'));
 */
import PDFDocument from 'pdfkit';

export function makePdf(options: PDFKit.PDFDocumentOptions, draw: (document: PDFKit.PDFDocument) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const document = new PDFDocument(options);
    const parts: Buffer[] = [];
    document.on('data', (part: Buffer) => parts.push(part));
    document.on('end', () => resolve(Buffer.concat(parts)));
    document.on('error', reject);
    draw(document);
    document.end();
  });
}

/** A PDF with one page per text. */
export function makePagedPdf(pages: readonly string[], options: PDFKit.PDFDocumentOptions = {}): Promise<Buffer> {
  return makePdf({ ...options, autoFirstPage: false }, (document) => {
    for (const text of pages) document.addPage().text(text);
  });
}
