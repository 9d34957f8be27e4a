import { describe, expect, it } from 'vitest';
import { parseBlocks, renderBlocks, splitTableRow, toPlainText } from './markdown.ts';

describe('the Markdown subset of chunk text and answers', () => {
  it('reads a table with its header row, escaped pipes included', () => {
    const blocks = parseBlocks('Prices:\n\n| Instance | vCPUs | Note |\n| --- | --- | --- |\n| cn-standard-4 | 4 | a \\| b |\n| cn-standard-8 | 8 | |');
    expect(blocks[0]).toEqual({ kind: 'paragraph', text: 'Prices:' });
    expect(blocks[1]).toEqual({ kind: 'table', header: ['Instance', 'vCPUs', 'Note'], rows: [['cn-standard-4', '4', 'a | b'], ['cn-standard-8', '8', '']] });
  });

  it('reads nested and ordered lists, and a list that survives blank lines between items', () => {
    const blocks = parseBlocks('1. Sign in\n2. Open **Orders**\n   - pick the order\n\n3. Click Return');
    expect(blocks).toEqual([
      { kind: 'list', ordered: true, items: [
        { text: 'Sign in', depth: 0, number: 1 },
        { text: 'Open **Orders**', depth: 0, number: 2 },
        { text: 'pick the order', depth: 1 },
        { text: 'Click Return', depth: 0, number: 3 },
      ] },
    ]);
  });

  it('keeps the numbers of nested steps', () => {
    const source = '- Returns\n  1. Pack the item\n  2. Drop it off\n- Exchanges';
    expect(renderBlocks(parseBlocks(source))).toBe(source);
    expect(toPlainText('1. Sign in\n   1. Open the app\n   2. Tap Orders')).toBe('1. Sign in\n  1. Open the app\n  2. Tap Orders');
  });

  it('round-trips through render and parse', () => {
    const source = 'A paragraph.\n\n- one\n  - two\n\n| a | b |\n| --- | --- |\n| 1 | x \\| y |';
    expect(parseBlocks(renderBlocks(parseBlocks(source)))).toEqual(parseBlocks(source));
  });

  it('gives plain text for terminals and records for search', () => {
    const table = '| Plan | Price |\n| --- | --- |\n| Basic | $5 |';
    expect(toPlainText(table)).toBe('Plan | Price\nBasic | $5');
    expect(toPlainText(table, { tables: 'records' })).toBe('Plan: Basic; Price: $5');
    expect(toPlainText('See [the page](https://example.com) **now**.')).toBe('See the page now.');
    expect(toPlainText('退款会在\n5个工作日内到账')).toBe('退款会在5个工作日内到账');
  });

  it('splits cells without losing text', () => {
    expect(splitTableRow('| a | b |')).toEqual(['a', 'b']);
    expect(splitTableRow('|a\\|b|')).toEqual(['a|b']);
  });
});
