import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkDocument, estimateTokens } from './chunker.ts';
import { loadFile } from './loaders/index.ts';
import type { ChunkDraft } from './types.ts';

const sampleRoot = path.join(import.meta.dirname, '..', 'data', 'sample');

async function sampleChunks(): Promise<Map<string, ChunkDraft[]>> {
  const chunks = new Map<string, ChunkDraft[]>();
  for (const folder of await readdir(sampleRoot)) {
    for (const name of await readdir(path.join(sampleRoot, folder))) {
      const filePath = path.join(sampleRoot, folder, name);
      const document = await loadFile({ path: filePath, bytes: await readFile(filePath) });
      expect(document.warnings ?? []).toEqual([]);
      chunks.set(`${folder}/${name}`, chunkDocument({ document, countTokens: estimateTokens }));
    }
  }
  return chunks;
}

describe('bundled sample knowledge base (data/sample)', () => {
  it('loads every file without warnings and holds the facts first-run questions ask about', async () => {
    const chunks = await sampleChunks();
    expect([...chunks.keys()].filter((key) => key.startsWith('en/')).length).toBeGreaterThanOrEqual(5);
    expect([...chunks.keys()].filter((key) => key.startsWith('zh/')).length).toBeGreaterThanOrEqual(5);
    const find = (file: string, pattern: RegExp): ChunkDraft | undefined => chunks.get(file)?.find((chunk) => pattern.test(chunk.text));

    expect(find('en/returns.md', /30 days from the delivery date/)?.headingPath).toEqual(['Returns & Refunds', 'How long you have to return an item']);
    expect(find('en/shipping.html', /Yes, we ship to Hong Kong/)).toBeDefined();
    expect(find('en/warranty.md', /2-year warranty/)).toBeDefined();
    expect(find('zh/returns.md', /支付宝、微信支付 \| 1-3 个工作日/)?.headingPath).toEqual(['退货与退款政策', '退款']);
    expect(find('zh/warranty.md', /2 年保修/)).toBeDefined();

    const englishFaq = chunks.get('faq/faq-en.csv') ?? [];
    const chineseFaq = chunks.get('faq/faq-zh.csv') ?? [];
    expect(englishFaq.length).toBeGreaterThanOrEqual(20);
    expect(chineseFaq.length).toBeGreaterThanOrEqual(20);
    expect(chineseFaq.find((chunk) => chunk.faq?.question === '退款多久到账？')?.faq?.alternates).toContain('钱多久能退回来');
    expect(englishFaq.every((chunk) => chunk.faq?.category && chunk.faq.alternates.length > 0)).toBe(true);
  });
});
