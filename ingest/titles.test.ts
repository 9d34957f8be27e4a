import { describe, expect, it } from 'vitest';
import { bookEntry, chooseTitle, parseBook, serializeBook, type TitleBook } from './titles.ts';
import type { TitleCandidate } from './types.ts';

const heading = (text: string): TitleCandidate => ({ text, source: 'heading' });
const metadata = (text: string): TitleCandidate => ({ text, source: 'metadata' });
const fileName = (text: string): TitleCandidate => ({ text, source: 'file-name' });

describe('chooseTitle', () => {
  const standard = [metadata('Contoso Electronics'), heading('Northwind Health Standard Plan'), fileName('Northwind Standard Benefits Details')];
  const plus = [metadata('Contoso Electronics'), heading('Northwind Health Plus Plan'), fileName('Northwind Health Plus Benefits Details')];

  it('skips a title carried by unrelated documents of the folder and takes the next candidate', () => {
    const book: TitleBook = new Map([['standard.pdf', bookEntry(standard)], ['plus.pdf', bookEntry(plus)]]);
    expect(chooseTitle({ path: 'standard.pdf', candidates: standard, book })).toBe('Northwind Health Standard Plan');
    expect(chooseTitle({ path: 'plus.pdf', candidates: plus, book })).toBe('Northwind Health Plus Plan');
  });

  it('keeps a title shared by copies of one document (their other candidates agree)', () => {
    const book: TitleBook = new Map([['a/returns.md', ['Returns Policy', 'Refunds']], ['b/returns.md', ['Returns Policy', 'Refunds']]]);
    expect(chooseTitle({ path: 'a/returns.md', candidates: [heading('Returns Policy'), heading('Refunds'), fileName('returns')], book })).toBe('Returns Policy');
  });

  it('falls back to the file name when every candidate is shared, and uses the metadata title when nobody shares it', () => {
    const book: TitleBook = new Map([['x.pdf', ['Contoso Electronics']], ['y.pdf', ['Contoso Electronics', 'Employee Handbook']]]);
    expect(chooseTitle({ path: 'x.pdf', candidates: [metadata('Contoso Electronics'), fileName('x')], book })).toBe('x');
    expect(chooseTitle({ path: 'z.pdf', candidates: [metadata('Price List 2026'), fileName('z')], book })).toBe('Price List 2026');
  });

  it('round-trips a book and reads damaged data as empty', () => {
    const book: TitleBook = new Map([['b.md', ['B']], ['a.md', ['A', 'Intro']]]);
    expect(parseBook(serializeBook(book))).toEqual(new Map([['a.md', ['A', 'Intro']], ['b.md', ['B']]]));
    expect(parseBook('{not json')).toEqual(new Map());
    expect(parseBook(undefined)).toEqual(new Map());
  });
});
