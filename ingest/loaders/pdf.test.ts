import { describe, expect, it } from 'vitest';
import { makePdf } from '../../test/support/pdf.ts';
import { loadPdf } from './pdf.ts';
import { echoesHeadings, isLabel, joinWrappedLines, layoutPdf, pageNumberOf, type PdfPageText, type PdfTextItem } from './pdf-layout.ts';

const topics = ['Batteries', 'Screens', 'Chargers', 'Speakers', 'Cables', 'Remotes'];

/** A warranty guide whose every page carries the same running header and a "Page n of N" footer. */
function guideWithFurniture(): Promise<Buffer> {
  return makePdf({ autoFirstPage: false, info: { Title: 'Contoso Electronics' } }, (document) => {
    topics.forEach((topic, index) => {
      const page = index + 1;
      document.addPage({ margins: { top: 72, bottom: 72, left: 72, right: 72 } });
      document.font('Helvetica').fontSize(9).text('Lumen Warranty Guide — Confidential', 72, 30, { lineBreak: false });
      if (page === 1) document.font('Helvetica-Bold').fontSize(20).text('Warranty Guide', 72, 72);
      document.font('Helvetica-Bold').fontSize(14).text(topic, 72, page === 1 ? 110 : 72);
      document.font('Helvetica').fontSize(11).text(`${topic} carry a ${page + 1}-year warranty against manufacturing defects, and repairing ${topic.toLowerCase()} is free of charge.`, { width: 450 });
      document.moveDown();
      document.text(`• Keep the receipt for the ${topic.toLowerCase()}`);
      document.text('• Register the product online within 30 days');
      document.fontSize(9).text(`Page ${page} of ${topics.length}`, 72, 760, { lineBreak: false });
    });
  });
}

async function load(bytes: Buffer, name = 'guide.pdf') {
  return loadPdf({ path: `/tmp/${name}`, bytes });
}

describe('PDF furniture', () => {
  it('drops a header and a footer repeated on every page, keeps each page its own heading and text', async () => {
    const document = await load(await guideWithFurniture());
    const all = document.sections.map((section) => section.text).join('\n');
    expect(all).not.toMatch(/Confidential|Page \d of/);
    expect(document.cleanup).toMatchObject({ repeatedLines: expect.any(Number) });
    expect((document.cleanup?.repeatedLines ?? 0) + (document.cleanup?.pageNumbers ?? 0)).toBe(2 * topics.length);
    expect(document.sections.map((section) => section.page)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(document.sections.map((section) => section.headingPath)).toEqual(topics.map((topic) => ['Warranty Guide', topic]));
    expect(document.sections[2]?.text).toBe('Chargers carry a 4-year warranty against manufacturing defects, and repairing chargers is free of charge.\n\n- Keep the receipt for the chargers\n- Register the product online within 30 days');
  });

  it('treats a heading repeated at the top of every page as a running head, not a heading of each page', async () => {
    const bytes = await makePdf({ autoFirstPage: false }, (document) => {
      topics.slice(0, 4).forEach((topic) => {
        document.addPage();
        document.font('Helvetica-Bold').fontSize(16).text('Service Handbook', 72, 40, { lineBreak: false });
        document.font('Helvetica').fontSize(11).text(`${topic} are serviced in our own workshop and returned within ten business days.`, 72, 100, { width: 450 });
      });
    });
    const document = await load(bytes, 'service_handbook.pdf');
    expect(document.sections.map((section) => section.headingPath)).toEqual([[], [], [], []]);
    expect(document.sections.map((section) => section.text).join(' ')).not.toContain('Service Handbook');
    expect(document.cleanup?.repeatedLines).toBe(4);
  });

  it('gives PDF passages a section: headings from larger or bold type, levels from size', async () => {
    const bytes = await makePdf({}, (document) => {
      document.font('Helvetica-Bold').fontSize(20).text('Returns Policy');
      document.font('Helvetica').fontSize(11).text('This policy covers every order placed in our shop, wherever it ships.');
      document.moveDown();
      document.font('Helvetica-Bold').fontSize(15).text('Refunds');
      document.font('Helvetica').fontSize(11).text('Refunds reach your card within 5 to 10 business days after approval.');
      document.moveDown();
      document.font('Helvetica-Bold').fontSize(11).text('Store credit');
      document.font('Helvetica').fontSize(11).text('Store credit is available immediately after we receive the parcel, and it never expires.');
    });
    const document = await load(bytes, 'returns.pdf');
    expect(document.sections.map((section) => [section.headingPath, section.text])).toEqual([
      [['Returns Policy'], 'This policy covers every order placed in our shop, wherever it ships.'],
      [['Returns Policy', 'Refunds'], 'Refunds reach your card within 5 to 10 business days after approval.'],
      [['Returns Policy', 'Refunds', 'Store credit'], 'Store credit is available immediately after we receive the parcel, and it never expires.'],
    ]);
    expect(document.titleCandidates?.[0]).toEqual({ text: 'Returns Policy', source: 'heading' });
  });

  it('drops a body line that only repeats the heading above it', async () => {
    const bytes = await makePdf({}, (document) => {
      document.font('Helvetica-Bold').fontSize(14).text('HOW DO I FILE A CLAIM?');
      document.moveDown(0.5);
      document.font('Helvetica').fontSize(11).text('How do I file a claim?');
      document.moveDown();
      document.text('File the claim within twelve months of the date of service through the website or the app.');
    });
    const document = await load(bytes, 'claims.pdf');
    expect(document.sections).toEqual([{ text: 'File the claim within twelve months of the date of service through the website or the app.', headingPath: ['HOW DO I FILE A CLAIM?'], page: 1 }]);
    expect(document.cleanup?.headingEchoes).toBe(1);
  });

  it('keeps a table whose columns line up as a Markdown table with its header row', async () => {
    const bytes = await makePdf({}, (document) => {
      document.font('Helvetica').fontSize(11).text('Our protection plans:');
      const top = document.y + 12;
      document.font('Helvetica-Bold').text('Plan', 72, top, { lineBreak: false }).text('Months', 250, top, { lineBreak: false }).text('Price', 400, top, { lineBreak: false });
      document.font('Helvetica');
      [['Basic', '12', '$0'], ['Plus', '24', '$29'], ['Pro', '36', '$49']].forEach(([plan = '', months = '', price = ''], index) => {
        const y = top + 16 * (index + 1);
        document.text(plan, 72, y, { lineBreak: false }).text(months, 250, y, { lineBreak: false }).text(price, 400, y, { lineBreak: false });
      });
    });
    const document = await load(bytes, 'plans.pdf');
    expect(document.sections[0]?.text).toBe('Our protection plans:\n\n| Plan | Months | Price |\n| --- | --- | --- |\n| Basic | 12 | $0 |\n| Plus | 24 | $29 |\n| Pro | 36 | $49 |');
  });
});

describe('PDF layout rules', () => {
  it('knows a line that only repeats headings of its path, alone or several in a row', () => {
    const path = ['Summary of Benefits', 'IMPORTANT PLAN INFORMATION', 'Out-Of-Pocket Maximum'];
    expect(echoesHeadings('IMPORTANT PLAN INFORMATION: Out-of-Pocket Maximum', path)).toBe(true);
    expect(echoesHeadings('Out-of-pocket maximum', path)).toBe(true);
    expect(echoesHeadings('Out-of-pocket maximum for families', path)).toBe(false);
    expect(echoesHeadings('Summary of Benefits Out-Of-Pocket Maximum', path)).toBe(false);
  });

  it('recognises page numbers in the usual forms and nothing else', () => {
    for (const [text, number] of [['3', 3], ['- 3 -', 3], ['Page 3 of 40', 3], ['page 12', 12], ['第3页', 3], ['第 3 页 共 40 页', 3], ['3 / 40', 3], ['iv', 'roman']] as const) {
      expect(pageNumberOf(text), text).toBe(number);
    }
    for (const text of ['Section 3', '3 days', 'Page one', 'I', 'Returns']) expect(pageNumberOf(text), text).toBeUndefined();
  });

  it('joins a line-end hyphen only when the document uses the joined word', () => {
    expect(joinWrappedLines(['Refunds are pro-', 'cessed fast.'], new Set(['processed']))).toBe('Refunds are processed fast.');
    expect(joinWrappedLines(['cutting-', 'edge systems'], new Set(['cutting', 'edge']))).toBe('cutting-edge systems');
    expect(joinWrappedLines(['退款审核通过后，银行卡', '工作日到账。'])).toBe('退款审核通过后，银行卡工作日到账。');
  });

  it('keeps a repeated table header row at the top of the pages a table continues on', () => {
    const item = (text: string, x: number, y: number): PdfTextItem => ({ text, x, y, width: text.length * 5, size: 10, font: 'f1' });
    const pages: PdfPageText[] = [1, 2, 3, 4].map((page) => ({
      page,
      items: [
        item('Model', 72, 760), item('Watts', 300, 760),
        ...[0, 1, 2].flatMap((row) => [item(`Lamp ${page}${row}`, 72, 740 - row * 14), item(`${page * 10 + row} W`, 300, 740 - row * 14)]),
        item(`Lighting catalogue, page ${page}, with notes on bulbs number ${page}${page}`, 72, 600),
      ],
    }));
    const layout = layoutPdf(pages);
    expect(layout.cleanup.repeatedLines).toBe(0);
    expect(layout.tables).toBe(4);
    expect(layout.sections[1]?.text).toContain('| Model | Watts |\n| --- | --- |\n| Lamp 20 | 20 W |');
  });

  it('nests list items by their indentation and numbers ordered steps', () => {
    const item = (text: string, x: number, y: number): PdfTextItem => ({ text, x, y, width: text.length * 5, size: 10, font: 'f1' });
    const layout = layoutPdf([{
      page: 1,
      items: [
        item('To file a claim:', 72, 700),
        item('1. Sign in to the portal', 72, 680),
        item('• Use your member number', 90, 668),
        item('2. Upload the receipt', 72, 656),
      ],
    }]);
    expect(layout.sections[0]?.text).toBe('To file a claim:\n\n1. Sign in to the portal\n  - Use your member number\n2. Upload the receipt');
  });

  it('marks a short body-type line standing alone above text as a bold label, not a sentence', () => {
    for (const text of ['Premiums', 'Tips for Managing Your Costs', 'Company Values:', 'How Do I Return an Item?', '退货政策']) expect(isLabel(text), text).toBe(true);
    for (const text of ['Company: Contoso Electronics', 'the first of many', 'Refunds take five days.', 'This line is a sentence that runs on for more than eight words']) expect(isLabel(text), text).toBe(false);
    const item = (text: string, y: number): PdfTextItem => ({ text, x: 72, y, width: text.length * 5, size: 10, font: 'f1' });
    const layout = layoutPdf([{ page: 1, items: [item('Deductibles', 700), item('The deductible is $2,000 per person and', 680), item('per year.', 668), item('Company Values:', 640), item('1. Quality first', 620), item('2. Integrity always', 608)] }]);
    expect(layout.sections.map((section) => section.text)).toEqual(['**Deductibles**\n\nThe deductible is $2,000 per person and per year.\n\n**Company Values:**\n\n1. Quality first\n2. Integrity always']);
  });
});
