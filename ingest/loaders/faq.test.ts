import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { makeXlsx } from '../../test/support/zip.ts';
import { loadFile, openFile } from './index.ts';
import { failure } from '../../test/support/kefu-error.ts';

const csv = (text: string) => loadFile({ path: 'faq.csv', bytes: Buffer.from(text) });

describe('CSV with broken quoting', () => {
  it('is INGEST_CORRUPT naming the lines, not an empty sheet, when a quote swallows the rest', async () => {
    const error = await failure(csv('question,answer\n"Do you ship to Macau?,Yes in 5 days.\nHow long are returns?,30 days.\n"\n'));
    expect(error.code).toBe('INGEST_CORRUPT');
    expect(error.message).toMatch(/faq\.csv \(a quote opened on line 2 closes only on line 4/);
  });

  it('is INGEST_CORRUPT when a quote swallows rows in the middle, instead of losing them silently', async () => {
    const error = await failure(csv('question,answer\nWhere?,Here\n"Do you ship to Macau?,Yes in 5 days.\nHow long are returns?,30 days.\nLast","One"\n'));
    expect(error.code).toBe('INGEST_CORRUPT');
    expect(error.message).toMatch(/line 3 closes only on line 5/);
  });

  it('is INGEST_CORRUPT when the header itself was swallowed, and INGEST_CORRUPT for a quote never closed', async () => {
    expect((await failure(csv('"question,answer\nDo you ship?,Yes.\nReturns?,30 days."\n'))).code).toBe('INGEST_CORRUPT');
    expect((await failure(csv('question,answer\n"Do you ship to Macau?,Yes in 5 days.\nHow long are returns?,30 days.\n'))).code).toBe('INGEST_CORRUPT');
  });

  it('keeps answers that legitimately span lines with commas in them', async () => {
    const document = await csv('question,answer\nHow do I return an item?,"Steps:\n1. Open Orders, pick the item\n2. Print the label, drop the parcel"\n');
    expect(document.faq?.[0]?.answer).toBe('Steps:\n1. Open Orders, pick the item\n2. Print the label, drop the parcel');
  });
});

describe('large and untidy FAQ sheets', () => {
  it('reads a 10,000-row sheet with repeated questions and empty answers, reporting both without failing', async () => {
    const lines = ['question,answer'];
    for (let row = 1; row <= 10_000; row++) {
      if (row % 500 === 0) lines.push(`Question without an answer ${row}?,`);
      else if (row % 1000 === 1 && row > 1) lines.push(`How long is delivery to district 7?,Three days (row ${row}).`);
      else lines.push(`How long is delivery to district ${row}?,Three days (row ${row}).`);
    }
    const document = await csv(`${lines.join('\n')}\n`);
    expect(document.faq).toHaveLength(10_000 - 20);
    const warnings = document.warnings ?? [];
    expect(warnings.find((warning) => warning.startsWith('Skipped 20 rows'))).toMatch(/sheet rows 501, 1001, .* and 10 more/);
    expect(warnings.find((warning) => warning.includes('repeat an earlier question'))).toMatch(/^9 rows repeat an earlier question \(sheet rows 1002 repeats 8/);
  });

  it('streams rows in batches', async () => {
    const lines = ['question,answer', ...Array.from({ length: 2500 }, (_, index) => `Question ${index}?,Answer ${index}.`)];
    const opened = await openFile({ path: 'faq.csv', bytes: Buffer.from(lines.join('\n')), faqBatchRows: 1000 });
    if (opened.kind !== 'faq') throw new Error('expected a stream');
    const sizes: number[] = [];
    for (;;) {
      const step = await opened.stream.next();
      if (step.done) {
        expect(step.value.entries).toBe(2500);
        break;
      }
      sizes.push(step.value.entries.length);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
  });

  it('fails a sheet with more rows than KEFU_MAX_CHUNKS_PER_FILE with INGEST_LIMIT', async () => {
    const lines = ['question,answer', ...Array.from({ length: 50 }, (_, index) => `Question ${index}?,Answer ${index}.`)];
    const error = await failure(loadFile({ path: 'faq.csv', bytes: Buffer.from(lines.join('\n')), limits: { maxChunks: 20 } }));
    expect(error.code).toBe('INGEST_LIMIT');
    expect(error.message).toMatch(/more than 20 question\/answer rows/);
  });

  it('reads the FAQ sheet of a workbook whose first sheet is a cover page, titled by that sheet', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Cover').addRow(['Lumen FAQ, March 2026']);
    const sheet = workbook.addWorksheet('Shipping');
    sheet.addRow(['Question', 'Answer']);
    sheet.addRow(['Do you ship to Macau?', 'Yes, in 5 to 8 business days.']);
    const document = await loadFile({ path: 'faq.xlsx', bytes: Buffer.from(await workbook.xlsx.writeBuffer()) });
    expect(document.title).toBe('faq — Shipping');
    expect(document.faq).toEqual([{ id: 'row-1', question: 'Do you ship to Macau?', answer: 'Yes, in 5 to 8 business days.', alternates: [], row: 1 }]);
  });

  it('reads an .xlsx written with inline strings (not only shared strings)', async () => {
    const document = await loadFile({ path: 'inline.xlsx', bytes: makeXlsx({ rows: [['Do you ship to Macau?', 'Yes.'], ['Returns?', '30 days.']] }) });
    expect(document.faq?.map((entry) => entry.question)).toEqual(['Do you ship to Macau?', 'Returns?']);
  });
});
