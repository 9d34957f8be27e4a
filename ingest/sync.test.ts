import { describe, expect, it } from 'vitest';
import { filterToSql } from '../src/store/index.ts';
import { chunkId, embeddingText, isIgnoredName } from './sync.ts';

describe('sync helpers', () => {
  it('ignores hidden files, editor swap files, partial downloads and Office lock files, not documents', () => {
    for (const name of ['.DS_Store', '.returns.md.swp', '~$policy.docx', 'notes.md~', 'upload.pdf.crdownload', 'big.pdf.part', 'Thumbs.db']) expect(isIgnoredName(name), name).toBe(true);
    for (const name of ['returns.pdf', 'faq.csv', '退款政策.md', 'v1.2 terms.docx']) expect(isIgnoredName(name), name).toBe(false);
  });

  it('embeds a passage with its title and heading path, without repeating a heading equal to the title', () => {
    expect(embeddingText('Returns Policy', { ordinal: 0, kind: 'passage', text: 'You have 30 days.', headingPath: ['Returns Policy', 'Timing'] })).toBe('Returns Policy > Timing: You have 30 days.');
    expect(embeddingText('', { ordinal: 0, kind: 'passage', text: 'Plain.', headingPath: [] })).toBe('Plain.');
    expect(embeddingText('FAQ', { ordinal: 0, kind: 'faq', text: 'Q?\nA.', headingPath: ['Shipping'] })).toBe('Q?\nA.');
  });

  it('gives stable chunk ids per document and ordinal', () => {
    expect(chunkId('policies/returns.pdf', 3)).toBe(chunkId('policies/returns.pdf', 3));
    expect(chunkId('policies/returns.pdf', 3)).toMatch(/^[0-9a-f]{12}-3$/);
    expect(chunkId('policies/returns.pdf', 3)).not.toBe(chunkId('policies/refunds.pdf', 3));
  });

  it('turns filters into SQL with quotes escaped and empty lists ignored', () => {
    expect(filterToSql({ docPath: ["it's.md"], kind: ['faq'], language: [] })).toBe("`docPath` IN ('it''s.md') AND `kind` IN ('faq')");
    expect(filterToSql({})).toBeUndefined();
  });
});
