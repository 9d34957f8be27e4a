import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../test/support/pdf.ts';
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { KefuError, type ErrorCode } from '../src/errors/index.ts';
import { isSupportedFile, loadFile } from './loaders/index.ts';
import { joinWrappedLines } from './loaders/pdf.ts';
import type { ParsedDocument } from './types.ts';

let directory: string;

/** Writes a fixture into the temp dir and reads it back, as the sync code does. */
async function fixture(name: string, content: Buffer | string): Promise<{ path: string; bytes: Buffer }> {
  const filePath = path.join(directory, name);
  await writeFile(filePath, content);
  return { path: filePath, bytes: await readFile(filePath) };
}

async function load(name: string, content: Buffer | string, maxFileBytes?: number): Promise<ParsedDocument> {
  return loadFile({ ...(await fixture(name, content)), ...(maxFileBytes === undefined ? {} : { maxFileBytes }) });
}

async function loadError(name: string, content: Buffer | string, maxFileBytes?: number): Promise<KefuError> {
  try {
    await load(name, content, maxFileBytes);
  } catch (error) {
    if (error instanceof KefuError) return error;
    throw error;
  }
  throw new Error(`${name} loaded without an error`);
}

function expectCode(error: KefuError, code: ErrorCode, messagePattern: RegExp): void {
  expect(error.code).toBe(code);
  expect(error.message).toMatch(messagePattern);
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-loaders-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('PDF', () => {
  const threePages = (): Promise<Buffer> =>
    makePdf({ info: { Title: 'Lumen Returns Policy' } }, (document) => {
      document.fontSize(18).text('Returns');
      document.fontSize(11).text('You have 30 days from delivery to return an item for a full refund.');
      document.addPage().text('We ship to Hong Kong and Macau; delivery takes 5 to 8 business days.');
      document.addPage().text('Every product has a 2-year warranty against manufacturing defects.');
    });

  it('gives one section per page with 1-based page numbers and the metadata title', async () => {
    const document = await load('returns.pdf', await threePages());
    expect(document.type).toBe('pdf');
    expect(document.title).toBe('Lumen Returns Policy');
    expect(document.pageCount).toBe(3);
    expect(document.sections.map((section) => section.page)).toEqual([1, 2, 3]);
    expect(document.sections[0]?.text).toContain('30 days from delivery');
    expect(document.sections[1]?.text).toContain('Hong Kong');
    expect(document.sections[2]?.text).toContain('2-year warranty');
  });

  it('falls back to a short first line standing apart, else the file name, when the PDF has no title metadata or heading', async () => {
    const apart = await makePdf({}, (document) => {
      document.text('Shipping Guide');
      document.moveDown(2);
      document.text('Orders over $49 ship free.');
    });
    expect((await load('guide.pdf', apart)).title).toBe('Shipping Guide');
    const runOn = await makePdf({}, (document) => {
      document.text('Shipping Guide');
      document.text('Orders over $49 ship free.');
    });
    expect((await load('shipping_guide.pdf', runOn)).title).toBe('shipping guide');
  });

  it('refuses a password-protected PDF with INGEST_PASSWORD', async () => {
    const bytes = await makePdf({ userPassword: 'secret', ownerPassword: 'owner' }, (document) => document.text('Hidden text'));
    expectCode(await loadError('locked.pdf', bytes), 'INGEST_PASSWORD', /password-protected: locked\.pdf/);
  });

  it('refuses a PDF without a text layer with INGEST_NO_TEXT saying it needs OCR', async () => {
    const bytes = await makePdf({}, (document) => {
      document.rect(50, 50, 200, 120).fill('#333333');
      document.circle(300, 400, 60).stroke();
    });
    const error = await loadError('scan.pdf', bytes);
    expectCode(error, 'INGEST_NO_TEXT', /scan\.pdf .*no text found — needs OCR/);
  });

  it('refuses a truncated PDF with INGEST_CORRUPT', async () => {
    const bytes = await threePages();
    const error = await loadError('cut.pdf', bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectCode(error, 'INGEST_CORRUPT', /damaged or truncated: cut\.pdf/);
  });

  it('reads a PDF even when it was renamed to .txt', async () => {
    const document = await load('renamed.txt', await threePages());
    expect(document.type).toBe('pdf');
    expect(document.pageCount).toBe(3);
  });

  it('keeps a text file that merely mentions the PDF header as text', async () => {
    const document = await load('notes.md', '# Notes\nA PDF file starts with %PDF-1.7 and ends with %%EOF.');
    expect(document.type).toBe('markdown');
  });

  it('refuses an HTML page saved as .pdf (a failed download) as not a real PDF', async () => {
    const error = await loadError('download.pdf', '<!DOCTYPE html><html><body>Access denied</body></html>');
    expectCode(error, 'INGEST_CORRUPT', /not a real \.pdf file: the content is an HTML page/);
  });
});

describe('PDF line joining', () => {
  it('re-joins Chinese lines without a space, and a hyphenated word only when the document uses the joined word', () => {
    expect(joinWrappedLines(['退款审核通过后，银行卡5-10个', '工作日到账。'])).toBe('退款审核通过后，银行卡5-10个工作日到账。');
    expect(joinWrappedLines(['Refunds are pro-', 'cessed quickly.'], new Set(['processed']))).toBe('Refunds are processed quickly.');
    expect(joinWrappedLines(['your out-', 'of-pocket costs'], new Set(['out', 'of', 'pocket']))).toBe('your out-of-pocket costs');
  });
});

describe('Markdown', () => {
  it('builds heading paths from #, ## and ### and keeps code fences as text', async () => {
    const markdown = [
      '---',
      'title: "Returns & Refunds"',
      '---',
      'Intro before any heading.',
      '# Returns',
      'You have **30 days** to return an item. See [the form](https://example.com/form).',
      '## Refunds',
      '### Timing',
      'Refunds reach your card in 5-7 business days.',
      '```',
      '# not a heading',
      'return-code: RMA-123',
      '```',
      '## Exchanges',
      'Exchanges are free.',
    ].join('\n');
    const document = await load('returns.md', markdown);
    expect(document.type).toBe('markdown');
    expect(document.title).toBe('Returns & Refunds');
    expect(document.sections.map((section) => section.headingPath)).toEqual([[], ['Returns'], ['Returns', 'Refunds', 'Timing'], ['Returns', 'Exchanges']]);
    expect(document.sections[1]?.text).toBe('You have **30 days** to return an item. See [the form](https://example.com/form).');
    expect(document.sections[2]?.text).toContain('# not a heading');
    expect(document.sections[2]?.text).toContain('return-code: RMA-123');
  });

  it('uses the first level-1 heading as the title when there is no front matter', async () => {
    const document = await load('shipping.markdown', 'Shipping\n========\n\nWe ship worldwide.\n\nCosts\n-----\n\nFree over $49.');
    expect(document.title).toBe('Shipping');
    expect(document.sections.map((section) => section.headingPath)).toEqual([['Shipping'], ['Shipping', 'Costs']]);
  });
});

describe('plain text', () => {
  it('decodes GB18030-encoded Chinese text', async () => {
    const chinese = '退货政策\n\n自签收之日起30天内可以申请退货。退款将在3-5个工作日内原路退回。';
    const document = await load('退货政策.txt', iconv.encode(chinese, 'gb18030'));
    expect(document.type).toBe('text');
    expect(document.title).toBe('退货政策');
    expect(document.sections[0]?.text).toContain('退款将在3-5个工作日内原路退回。');
  });

  it('handles a UTF-8 byte order mark', async () => {
    const document = await load('bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Hello 你好', 'utf8')]));
    expect(document.sections[0]?.text).toBe('Hello 你好');
  });

  it('refuses bytes that are neither UTF-8 nor GB18030 with INGEST_ENCODING', async () => {
    const bytes = Buffer.from([0x48, 0x69, 0x20, 0xff, 0xfe, 0xfd, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x20, 0x21]);
    const error = await loadError('weird.txt', bytes);
    expectCode(error, 'INGEST_ENCODING', /Could not decode the text: weird\.txt \(not valid UTF-8 \(first bad byte at offset 3\)/);
  });

  it('refuses binary data with a .txt name with INGEST_BINARY', async () => {
    const bytes = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x3e, 0x00]);
    expectCode(await loadError('program.txt', bytes), 'INGEST_BINARY', /binary data, not text: program\.txt/);
  });

  it('refuses empty and whitespace-only files with INGEST_EMPTY', async () => {
    expectCode(await loadError('empty.txt', ''), 'INGEST_EMPTY', /File is empty: empty\.txt/);
    expectCode(await loadError('blank.md', '  \n\n\t \n'), 'INGEST_EMPTY', /File is empty: blank\.md/);
  });
});

describe('size and type checks', () => {
  it('refuses a file over the size limit before parsing it', async () => {
    const error = await loadError('big.txt', 'x'.repeat(3000), 2048);
    expectCode(error, 'INGEST_TOO_LARGE', /larger than the size limit: big\.txt \(2\.9 KB, the limit is 2\.0 KB\)/);
  });

  it('refuses an unsupported extension and says which', async () => {
    expectCode(await loadError('slides.pptx', 'whatever'), 'INGEST_UNSUPPORTED_TYPE', /Unsupported file type: slides\.pptx \(\.pptx files are not read\)/);
    expect(isSupportedFile('a/B.PDF')).toBe(true);
    expect(isSupportedFile('a/b.pptx')).toBe(false);
  });
});

describe('HTML', () => {
  it('keeps text and headings, drops scripts, styles and navigation, decodes entities', async () => {
    const html = `<!DOCTYPE html><html><head><title>Shipping &amp; Delivery</title><style>p { color: red }</style></head>
      <body><nav><a href="/">Home</a> <a href="/shop">Shop</a></nav>
      <h1>Shipping</h1><p>We ship to Hong&nbsp;Kong &amp; Macau.</p>
      <script>var secret = "tracking-script";</script><noscript>Enable JavaScript</noscript>
      <h2>Costs</h2><ul><li>Orders over $49 ship free.</li><li>Express costs $12.</li></ul>
      <table><tr><th>Zone</th><th>Days</th></tr><tr><td>Mainland</td><td>3-5</td></tr></table></body></html>`;
    const document = await load('shipping.html', html);
    expect(document.type).toBe('html');
    expect(document.title).toBe('Shipping & Delivery');
    expect(document.sections.map((section) => section.headingPath)).toEqual([['Shipping'], ['Shipping', 'Costs']]);
    expect(document.sections[0]?.text).toBe('We ship to Hong Kong & Macau.');
    const all = document.sections.map((section) => section.text).join('\n');
    expect(all).not.toMatch(/tracking-script|color: red|Enable JavaScript|Home/);
    expect(document.sections[1]?.text).toContain('- Orders over $49 ship free.');
    expect(document.sections[1]?.text).toContain('Mainland | 3-5');
  });
});

describe('DOCX', () => {
  it('keeps Word headings as heading paths', async () => {
    const word = new Document({
      sections: [
        {
          children: [
            new Paragraph({ text: 'Warranty', heading: HeadingLevel.HEADING_1 }),
            new Paragraph({ text: 'All products carry a 2-year warranty.' }),
            new Paragraph({ text: 'What is covered', heading: HeadingLevel.HEADING_2 }),
            new Paragraph({ text: 'Manufacturing defects and battery failure are covered.' }),
          ],
        },
      ],
    });
    const document = await load('warranty.docx', await Packer.toBuffer(word));
    expect(document.type).toBe('docx');
    expect(document.title).toBe('Warranty');
    expect(document.sections).toEqual([
      { text: 'All products carry a 2-year warranty.', headingPath: ['Warranty'] },
      { text: 'Manufacturing defects and battery failure are covered.', headingPath: ['Warranty', 'What is covered'] },
    ]);
  });
});

describe('damaged Office files', () => {
  it('refuses a truncated DOCX with INGEST_CORRUPT', async () => {
    const word = new Document({ sections: [{ children: [new Paragraph({ text: 'Warranty terms '.repeat(200) })] }] });
    const bytes = await Packer.toBuffer(word);
    const error = await loadError('cut.docx', bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectCode(error, 'INGEST_CORRUPT', /damaged or truncated: cut\.docx/);
  });

  it('refuses a truncated XLSX with INGEST_CORRUPT', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('FAQ');
    sheet.addRow(['question', 'answer']);
    for (let index = 0; index < 50; index++) sheet.addRow([`Question ${index}?`, `Answer ${index}.`]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const error = await loadError('cut.xlsx', bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectCode(error, 'INGEST_CORRUPT', /damaged or truncated: cut\.xlsx/);
  });
});

describe('FAQ sheets', () => {
  it('finds the header below a title row', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('常见问题');
    sheet.addRow(['Lumen 常见问题（2026年3月）']);
    sheet.addRow(['提问', '回答', '其他问法']);
    sheet.addRow(['保修期多长？', 'Lumen 品牌商品保修 2 年。', '保修几年|质保多久']);
    const document = await load('title-row.xlsx', Buffer.from(await workbook.xlsx.writeBuffer()));
    expect(document.faq).toEqual([{ id: 'row-1', question: '保修期多长？', answer: 'Lumen 品牌商品保修 2 年。', alternates: ['保修几年', '质保多久'], row: 1 }]);
  });

  it('reads an XLSX sheet with English headers, alternates and categories', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('FAQ');
    sheet.addRow(['ID', 'Question', 'Answer', 'Similar Questions', 'Category']);
    sheet.addRow(['ret-1', 'How long do I have to return an item?', 'You have 30 days from delivery.', 'return window\nCan I still return it?', 'Returns']);
    sheet.addRow(['', 'Do you ship to Hong Kong?', '', '', 'Shipping']);
    sheet.addRow(['ship-2', 'Do you ship to Hong Kong?', 'Yes, in 5-8 business days.', 'HK delivery | Hong Kong shipping', 'Shipping']);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const document = await load('faq.xlsx', bytes);
    expect(document.type).toBe('faq');
    expect(document.sections).toEqual([]);
    expect(document.faq).toEqual([
      { id: 'ret-1', question: 'How long do I have to return an item?', answer: 'You have 30 days from delivery.', alternates: ['return window', 'Can I still return it?'], category: 'Returns', row: 1 },
      { id: 'ship-2', question: 'Do you ship to Hong Kong?', answer: 'Yes, in 5-8 business days.', alternates: ['HK delivery', 'Hong Kong shipping'], category: 'Shipping', row: 3 },
    ]);
    expect(document.warnings).toEqual(['Skipped 1 row with an empty question or answer (rows of sheet "FAQ": 3).']);
  });

  it('reads a CSV with Chinese headers', async () => {
    const csv = '问题,答案,相似问题,分类\n退款多久到账？,退款审核通过后3-5个工作日原路退回。,退款什么时候到；钱多久能退回来,退款\n,没有问题的答案,,\n';
    const document = await load('常见问题.csv', csv);
    expect(document.faq).toEqual([
      { id: 'row-1', question: '退款多久到账？', answer: '退款审核通过后3-5个工作日原路退回。', alternates: ['退款什么时候到', '钱多久能退回来'], category: '退款', row: 1 },
    ]);
    expect(document.warnings?.[0]).toMatch(/Skipped 1 row .*sheet rows 3/);
  });

  it('reads a GBK CSV as Excel on Chinese Windows saves it', async () => {
    const document = await load('faq-gbk.csv', iconv.encode('问题,答案\n支持开发票吗？,支持，可在订单页申请电子发票。\n', 'gbk'));
    expect(document.faq?.[0]?.answer).toBe('支持，可在订单页申请电子发票。');
  });

  it('reads a JSON FAQ as an array or under "faq"', async () => {
    const items = [{ q: 'Do you ship to Hong Kong?', a: 'Yes.', alternates: ['HK shipping?'], category: 'Shipping' }];
    const array = await load('faq.json', JSON.stringify(items));
    const wrapped = await load('faq2.json', JSON.stringify({ faq: items }));
    for (const document of [array, wrapped]) {
      expect(document.faq).toEqual([{ id: 'row-1', question: 'Do you ship to Hong Kong?', answer: 'Yes.', alternates: ['HK shipping?'], category: 'Shipping', row: 1 }]);
    }
  });

  it('names the columns it found when there are no question/answer columns', async () => {
    const csvError = await loadError('products.csv', 'Name,Price,Stock\nLamp,29,4\n');
    expectCode(csvError, 'INGEST_FAQ_COLUMNS', /no question\/answer columns: products\.csv \(columns found: "Name", "Price", "Stock"\)/);
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Prices').addRow(['SKU', '价格']);
    const xlsxError = await loadError('prices.xlsx', Buffer.from(await workbook.xlsx.writeBuffer()));
    expectCode(xlsxError, 'INGEST_FAQ_COLUMNS', /columns found: "SKU", "价格"/);
    const jsonError = await loadError('config.json', JSON.stringify({ port: 3000, host: 'x' }));
    expectCode(jsonError, 'INGEST_FAQ_COLUMNS', /top-level keys found: "port", "host"/);
  });
});

describe('plain text titles', () => {
  it('takes a short first line standing alone as the title, else the file name', async () => {
    const titled = await load('contact.txt', 'Contact us\n\nEmail support@lumen.example any time.');
    expect(titled.title).toBe('Contact us');
    expect(titled.sections[0]?.text).toBe('Email support@lumen.example any time.');
    const untitled = await load('notes_2026.txt', 'We reply within one day.\n\nPhone lines open at 9.');
    expect(untitled.title).toBe('notes 2026');
  });
});
