/**
 * The web page's Markdown parser (web/markdown.js, plain JavaScript for the browser) and the server's
 * (src/text/markdown.ts) read the same subset the same way, and the web's inline parser keeps only safe links.
 */
import { describe, expect, it } from 'vitest';
import { parseBlocks } from '../src/text/markdown.ts';
import { isWebUrl, parseBlocks as parseBlocksWeb, parseInline } from '../web/markdown.js';

const samples: Record<string, string> = {
  paragraphs: 'First line\nsoft break.\n\nSecond paragraph with **bold** and [a link](https://example.com).',
  'nested lists': '- one\n  - one.a\n    - one.a.i\n- two\n\n1. step\n2. step two\n   continued',
  'ordered from 3': '3. third\n4. fourth',
  table: '| Plan | Price |\n| --- | ---: |\n| Basic | $5 |\n| Pro \\| Plus | $9 |',
  'table without header': '| a | b |\n| c | d |',
  code: '```\n<script>alert(1)</script>\n```\nafter',
  mixed: 'Intro:\n- a\n- b\n\n| x | y |\n| -- | -- |\n| 1 | 2 |\n\nEnd [1].',
  chinese: '退款政策：\n- 收到商品后 **5个工作日** 内退款\n- 特价商品不退',
  hostile: '<script>x()</script> <img src=x onerror=alert(1)> [click](javascript:alert(1))',
  'ten levels': Array.from({ length: 10 }, (_, depth) => `${'  '.repeat(depth)}- level ${depth}`).join('\n'),
  'blank lines': 'a\n\n\n\n- b\n\n\n- c\n\n\n\nd',
};

describe('web/markdown.js', () => {
  it.each(Object.entries(samples))('parses %s into the same blocks as src/text/markdown.ts', (_name, text) => {
    expect(parseBlocksWeb(text)).toEqual(parseBlocks(text));
  });

  it('reads inline bold, code, links and citation markers', () => {
    expect(parseInline('See **the table** [2] and [docs](https://x.example/a_b) or `code` \\*not bold\\*')).toEqual([
      { kind: 'text', text: 'See ' },
      { kind: 'bold', children: [{ kind: 'text', text: 'the table' }] },
      { kind: 'text', text: ' ' },
      { kind: 'citation', n: 2 },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'docs', url: 'https://x.example/a_b' },
      { kind: 'text', text: ' or ' },
      { kind: 'code', text: 'code' },
      { kind: 'text', text: ' *not bold*' },
    ]);
    expect(parseInline('**unclosed and [1]')).toEqual([{ kind: 'text', text: '**unclosed and ' }, { kind: 'citation', n: 1 }]);
  });

  it('keeps only http(s) URLs as outside links', () => {
    for (const url of ['https://example.com', 'http://example.com/a?b=c']) expect(isWebUrl(url), url).toBe(true);
    for (const url of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,x', '//evil.example', '/api/documents/x.md', 'vbscript:x', 'https//x']) {
      expect(isWebUrl(url), url).toBe(false);
    }
  });

  it('parses a 50 KB answer in one linear pass', () => {
    const table = ['| Item | Price | Notes |', '| --- | --- | --- |', ...Array.from({ length: 1400 }, (_, index) => `| item ${index} | $${index}.00 | **note** ${index} |`)].join('\n');
    expect(table.length).toBeGreaterThan(50_000);
    const started = performance.now();
    const [block] = parseBlocksWeb(table);
    const unclosed = parseInline('**'.repeat(20_000));
    console.log(`50 KB table parsed in ${(performance.now() - started).toFixed(1)} ms`);
    expect(block).toMatchObject({ kind: 'table', header: ['Item', 'Price', 'Notes'] });
    expect(block?.kind === 'table' ? block.rows.length : 0).toBe(1400);
    expect(unclosed).toHaveLength(1);
  });
});
