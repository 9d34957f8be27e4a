import { describe, expect, it } from 'vitest';
import { parseBlocks, toPlainText } from '../../src/text/markdown.ts';
import { isDecorationLine, loadPlainText } from './text.ts';

const load = (text: string, path = '/docs/notes.txt') => loadPlainText({ path, text });

describe('plain-text loader', () => {
  it('turns underlined lines into headings and drops the underlines and other rules', () => {
    const document = load([
      'Shipping',
      '========',
      '',
      'We ship to 40 countries.',
      '',
      '**********',
      '',
      'Costs',
      '-----',
      '',
      'Orders over $49 ship free.',
      '____',
    ].join('\n'));
    expect(document.sections).toEqual([
      { text: 'We ship to 40 countries.', headingPath: ['Shipping'] },
      { text: 'Orders over $49 ship free.', headingPath: ['Shipping', 'Costs'] },
    ]);
    expect(document.cleanup?.decorationLines).toBe(4);
    expect(document.title).toBe('Shipping');
  });

  it('keeps bullet and numbered lists, nested by indentation, and a pipe table', () => {
    const document = load('Steps to return:\n1. Pack the item\n   - keep the seal\n2. Drop it off\n\n| Zone | Days |\n|------|------|\n| Asia | 5 |\n+------+------+\n| EU | 7 |\n');
    const blocks = parseBlocks(document.sections.map((section) => section.text).join('\n\n'));
    expect(blocks).toEqual([
      { kind: 'paragraph', text: 'Steps to return:' },
      { kind: 'list', ordered: true, items: [{ text: 'Pack the item', depth: 0, number: 1 }, { text: 'keep the seal', depth: 1 }, { text: 'Drop it off', depth: 0, number: 2 }] },
      { kind: 'table', header: ['Zone', 'Days'], rows: [['Asia', '5'], ['EU', '7']] },
    ]);
  });

  it('keeps literal text literal: no link, bold or list appears that the file did not have', () => {
    const document = load('Contact\n\nSee [our page](javascript:alert(1)) and **kwargs.\n| not a table');
    const text = document.sections[0]?.text ?? '';
    expect(parseBlocks(text)).toEqual([{ kind: 'paragraph', text }]);
    expect(text).not.toMatch(/\]\(javascript/);
    expect(toPlainText(text)).toBe('See [our page](javascript:alert(1)) and **kwargs. | not a table');
  });

  it('recognises decoration lines and leaves words alone', () => {
    for (const line of ['=====', '-----', '*****', '____', '- - - -', '-=-=-=-=', '+------+------+', '~~~~~~']) expect(isDecorationLine(line), line).toBe(true);
    for (const line of ['--', 'a----', '| a | b |', '1.2.3', '----- end -----']) expect(isDecorationLine(line), line).toBe(false);
  });
});
