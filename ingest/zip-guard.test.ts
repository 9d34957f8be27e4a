import { Document, Packer, Paragraph } from 'docx';
import { describe, expect, it } from 'vitest';
import { makePdf } from '../test/support/pdf.ts';
import { makeDocxBomb, makePdfBomb, makeXlsx } from '../test/support/zip.ts';
import { loadFile } from './loaders/index.ts';
import { checkPdfStreams, checkZipContainer } from './zip-guard.ts';
import { failure } from '../test/support/kefu-error.ts';

const MB = 1024 * 1024;
const limits = { maxUnzippedBytes: 200 * MB, maxRatio: 100 };

describe('zip bombs in Office files', () => {
  it('refuses a .docx holding 100 MB of XML in a few hundred KB while inflating, with little memory', async () => {
    const bomb = makeDocxBomb({ xmlBytes: 100 * MB });
    expect(bomb.length).toBeLessThan(1 * MB);
    const before = process.memoryUsage().rss;
    const error = await failure(loadFile({ path: 'policy.docx', bytes: bomb }));
    expect(error.code).toBe('INGEST_LIMIT');
    expect(error.message).toMatch(/policy\.docx \(part word\/document\.xml expands more than 100 times, as zip bombs do .*KEFU_MAX_ZIP_RATIO/);
    expect(error.hint).toMatch(/Split the document/);
    // Inflated output is counted and dropped: nothing near 100 MB was held.
    expect(process.memoryUsage().rss - before).toBeLessThan(60 * MB);
  });

  it('does not trust the sizes the archive declares', async () => {
    const liar = makeDocxBomb({ xmlBytes: 30 * MB, declaredSize: 1000 });
    expect((await failure(checkZipContainer({ path: 'liar.docx', bytes: liar, ...limits }))).code).toBe('INGEST_LIMIT');
  });

  it('refuses an .xlsx bomb the same way', async () => {
    const bomb = makeXlsx({ xmlBytes: 50 * MB });
    const error = await failure(loadFile({ path: 'faq.xlsx', bytes: bomb }));
    expect(error.code).toBe('INGEST_LIMIT');
    expect(error.message).toMatch(/xl\/worksheets\/sheet1\.xml expands more than 100 times/);
  });

  it('refuses a file decompressing past KEFU_MAX_UNZIPPED_MB, and reads a real one within the limits', async () => {
    const word = new Document({ sections: [{ children: Array.from({ length: 200 }, (_, index) => new Paragraph({ text: `Clause ${index}: returns are accepted within ${index + 10} days, keep the receipt ${index * 7}.` })) }] });
    const bytes = await Packer.toBuffer(word);
    const report = await checkZipContainer({ path: 'policy.docx', bytes, ...limits });
    expect(report.unzippedBytes).toBeGreaterThan(bytes.length);
    const tight = await failure(loadFile({ path: 'policy.docx', bytes, limits: { maxUnzippedBytes: 20_000 } }));
    expect(tight.code).toBe('INGEST_LIMIT');
    expect(tight.message).toMatch(/decompresses to more than .* KEFU_MAX_UNZIPPED_MB/);
    const document = await loadFile({ path: 'policy.docx', bytes });
    expect(document.sections.map((section) => section.text).join(' ')).toContain('Clause 199');
  });

  it('refuses a document with more text than KEFU_MAX_TEXT_CHARS before parsing it', async () => {
    const error = await failure(loadFile({ path: 'long.md', bytes: Buffer.from(`# Long\n\n${'A sentence about returns. '.repeat(1000)}`), limits: { maxTextChars: 10_000 } }));
    expect(error.code).toBe('INGEST_LIMIT');
    expect(error.message).toMatch(/characters of text, more than KEFU_MAX_TEXT_CHARS=10000/);
  });

  it('refuses a PDF whose compressed content streams decompress past KEFU_MAX_UNZIPPED_MB, before pdf.js inflates them', async () => {
    const bomb = makePdfBomb({ contentBytes: 300 * MB });
    expect(bomb.length).toBeLessThan(2 * MB);
    const error = await failure(loadFile({ path: 'manual.pdf', bytes: bomb }));
    expect(error.code).toBe('INGEST_LIMIT');
    expect(error.message).toMatch(/manual\.pdf \(its compressed streams decompress to more than 200 MB, as PDF bombs do/);
    const real = await makePdf({}, (document) => document.text('Returns are accepted within 30 days.'));
    expect((await checkPdfStreams({ path: 'real.pdf', bytes: real, maxUnzippedBytes: 200 * MB })).streams).toBeGreaterThan(0);
  });
});
