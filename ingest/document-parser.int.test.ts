/** The parser thread's limits: out of memory and no progress become failed files (slow: real large parses). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { makeDocx } from '../test/support/zip.ts';
import { createDocumentParser } from './document-parser.ts';
import { failure } from '../test/support/kefu-error.ts';

/** A real Word file of `paragraphs` distinct sentences: compresses like real text (about 10:1), parses slowly. */
function bigDocx(paragraphs: number): Buffer {
  return makeDocx({
    paragraphs: function* () {
      for (let index = 0; index < paragraphs; index++) yield `Clause ${index}: parcels for order ${index * 7919 % 100_003} are kept ${index % 17} days at locker ${(index * 31) % 977}.`;
    },
  });
}

describe('the parser thread\'s limits', () => {
  it('turns a parser running out of memory into a failed file, and parses the next file on a fresh thread', async () => {
    const parser = createDocumentParser({ config: loadConfig({ env: { KEFU_PARSER_MEMORY_MB: '64' }, dotenvDir: null }) });
    try {
      const error = await failure(parser.parse({ path: 'manual.docx', bytes: bigDocx(60_000) }));
      expect(error.code).toBe('INGEST_LIMIT');
      expect(error.message).toMatch(/manual\.docx \(parsing it needed more memory than KEFU_PARSER_MEMORY_MB=64 allows\)/);
      const next = await parser.parse({ path: 'next.md', bytes: Buffer.from('# Next\n\nStill working.') });
      expect(next.kind === 'document' && next.document.title).toBe('Next');
    } finally {
      await parser.close();
    }
  });

  it('stops a parser that makes no progress within KEFU_PARSER_TIMEOUT_S', async () => {
    const parser = createDocumentParser({ config: loadConfig({ env: { KEFU_PARSER_TIMEOUT_S: '1' }, dotenvDir: null }) });
    try {
      const error = await failure(parser.parse({ path: 'slow.docx', bytes: bigDocx(40_000) }));
      expect(error.code).toBe('INGEST_LIMIT');
      expect(error.message).toMatch(/slow\.docx \(parsing it made no progress for 1 s; limit KEFU_PARSER_TIMEOUT_S=1\)/);
      const next = await parser.parse({ path: 'next.txt', bytes: Buffer.from('Still working.') });
      expect(next.kind).toBe('document');
    } finally {
      await parser.close();
    }
  });
});
