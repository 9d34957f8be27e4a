/**
 * `loadFile`'s dispatch: which loader reads which bytes. (Each loader's own behaviour is tested in
 * ingest/loaders.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { KefuError } from '../../src/errors/index.ts';
import { loadFile } from './index.ts';

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KefuError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('UTF-16 text with a byte-order mark', () => {
  const policy = 'Returns policy\n\nReturns are accepted within 30 days of delivery. 30 天内可退货。';

  it.each([
    ['little-endian', utf16le],
    ['big-endian', utf16be],
  ])('reads %s .txt, .md and .html files', async (_name, encode) => {
    const text = await loadFile({ path: 'returns.txt', bytes: encode(policy) });
    expect(text.title).toBe('Returns policy');
    expect(text.sections[0]?.text).toBe('Returns are accepted within 30 days of delivery. 30 天内可退货。');
    const markdown = await loadFile({ path: 'returns.md', bytes: encode(`# Returns\n\n${policy}`) });
    expect(markdown.sections.map((section) => section.text).join('\n')).toContain('30 天内可退货');
    const html = await loadFile({ path: 'returns.html', bytes: encode('<!doctype html><html><head><title>Returns</title></head><body><p>Returns within 30 days.</p></body></html>') });
    expect(html.title).toBe('Returns');
  });

  it('reads a tab-separated FAQ sheet saved by Excel as "Unicode text" (UTF-16LE)', async () => {
    const document = await loadFile({ path: 'faq.csv', bytes: utf16le('question\tanswer\r\n退款多久到账？\t3-5 个工作日。\r\n') });
    expect(document.faq?.[0]).toMatchObject({ question: '退款多久到账？', answer: '3-5 个工作日。' });
  });

  it('still refuses binary data behind a UTF-16 mark, and NUL bytes without one', async () => {
    expect(await codeOf(loadFile({ path: 'x.txt', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.alloc(64)]) }))).toBe('INGEST_BINARY');
    expect(await codeOf(loadFile({ path: 'x.txt', bytes: Buffer.from('text\u0000with nul', 'utf8') }))).toBe('INGEST_BINARY');
  });
});
