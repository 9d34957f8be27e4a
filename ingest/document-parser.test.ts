import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { createDocumentParser } from './document-parser.ts';
import { failure } from '../test/support/kefu-error.ts';

describe('parsing in a worker thread', () => {
  it('parses documents and streams FAQ sheets in batches, one file after another on one thread', async () => {
    const parser = createDocumentParser({ config: loadConfig({ env: {}, dotenvDir: null }), faqBatchRows: 2 });
    try {
      const markdown = await parser.parse({ path: 'returns.md', bytes: Buffer.from('# Returns\n\nThirty days.') });
      expect(markdown.kind === 'document' && markdown.document.title).toBe('Returns');
      const faq = await parser.parse({ path: 'faq.csv', bytes: Buffer.from('question,answer\nA?,1\nB?,2\nC?,3\n,4\n') });
      if (faq.kind !== 'faq') throw new Error('expected a stream');
      const batches: number[] = [];
      let step = await faq.stream.next();
      while (!step.done) {
        batches.push(step.value.entries.length);
        step = await faq.stream.next();
      }
      expect(batches).toEqual([2, 1]);
      expect(step.value.warnings[0]).toMatch(/Skipped 1 row/);
      const failed = await failure(parser.parse({ path: 'broken.pdf', bytes: Buffer.from('%PDF-1.7 not really') }));
      expect(failed.code).toBe('INGEST_CORRUPT');
      expect(failed.message).toMatch(/broken\.pdf/);
    } finally {
      await parser.close();
    }
  });

});
