import { describe, expect, it } from 'vitest';
import { parseBlocks, toPlainText } from '../src/text/markdown.ts';
import { chunkDocument, estimateTokens } from './chunker.ts';
import type { ParsedDocument } from './types.ts';

function passages(sections: ParsedDocument['sections']): ParsedDocument {
  return { type: 'markdown', title: 'Test', sections };
}

const englishParagraph = (count: number): string =>
  Array.from({ length: count }, (_, index) => `Sentence number ${index + 1} explains one rule of the returns policy in plain words.`).join(' ');

describe('estimateTokens', () => {
  it('counts about one token per Chinese character and 1.3 per English word', () => {
    expect(estimateTokens('退款多久到账')).toBe(6);
    expect(estimateTokens('How long do refunds take')).toBe(7);
    expect(estimateTokens('')).toBe(0);
  });
});

describe('chunkDocument', () => {
  it('splits Chinese text at 。！？ and never cuts a sentence in the middle', () => {
    const sentences = Array.from({ length: 40 }, (_, index) => `第${index + 1}条：自签收之日起三十天内可以申请退货，退款会在三到五个工作日内原路退回。`);
    const drafts = chunkDocument({ document: passages([{ text: sentences.join(''), headingPath: ['退货政策'] }]), countTokens: estimateTokens, targetTokens: 120, overlapTokens: 20 });
    expect(drafts.length).toBeGreaterThan(3);
    for (const draft of drafts) {
      expect(draft.text.endsWith('。')).toBe(true);
      expect(draft.text).not.toMatch(/。 /); // Chinese sentences join without a space
      expect(draft.headingPath).toEqual(['退货政策']);
    }
    for (const sentence of sentences) expect(drafts.some((draft) => draft.text.includes(sentence))).toBe(true);
  });

  it('keeps every chunk under maxTokens and near the target', () => {
    const drafts = chunkDocument({ document: passages([{ text: englishParagraph(80), headingPath: [] }]), countTokens: estimateTokens, targetTokens: 100, overlapTokens: 20, maxTokens: 130 });
    expect(drafts.length).toBeGreaterThan(5);
    for (const draft of drafts) expect(estimateTokens(draft.text)).toBeLessThanOrEqual(130);
    for (const draft of drafts.slice(0, -1)) expect(estimateTokens(draft.text)).toBeGreaterThan(60);
  });

  it('repeats the last sentence of a chunk at the start of the next (overlap)', () => {
    const drafts = chunkDocument({ document: passages([{ text: englishParagraph(30), headingPath: [] }]), countTokens: estimateTokens, targetTokens: 80, overlapTokens: 25 });
    expect(drafts.length).toBeGreaterThan(2);
    for (let index = 1; index < drafts.length; index++) {
      const previousSentences = drafts[index - 1]?.text.split(/(?<=\.) /) ?? [];
      const firstSentence = drafts[index]?.text.split(/(?<=\.) /)[0];
      expect(previousSentences.at(-1)).toBe(firstSentence);
    }
  });

  it('has no overlap when overlapTokens is 0, and loses nothing', () => {
    const text = englishParagraph(30);
    const drafts = chunkDocument({ document: passages([{ text, headingPath: [] }]), countTokens: estimateTokens, targetTokens: 80, overlapTokens: 0 });
    expect(drafts.map((draft) => draft.text).join(' ')).toBe(text);
  });

  it('never crosses a section or page boundary and keeps heading path and page', () => {
    const document: ParsedDocument = {
      type: 'pdf',
      title: 'Policy',
      pageCount: 2,
      sections: [
        { text: 'Returns are accepted within 30 days.', headingPath: ['Returns'], page: 1 },
        { text: 'Shipping to Hong Kong takes 5 to 8 business days.', headingPath: ['Shipping'], page: 2 },
      ],
    };
    const drafts = chunkDocument({ document, countTokens: estimateTokens });
    expect(drafts).toEqual([
      { ordinal: 0, kind: 'passage', text: 'Returns are accepted within 30 days.', headingPath: ['Returns'], page: 1 },
      { ordinal: 1, kind: 'passage', text: 'Shipping to Hong Kong takes 5 to 8 business days.', headingPath: ['Shipping'], page: 2 },
    ]);
  });

  it('merges a tiny trailing piece into the previous chunk of the same section', () => {
    const text = `${englishParagraph(9)} Thanks.`;
    const drafts = chunkDocument({ document: passages([{ text, headingPath: [] }]), countTokens: estimateTokens, targetTokens: 150, overlapTokens: 0, maxTokens: 200 });
    expect(drafts).toHaveLength(1);
    expect(drafts[0]?.text.endsWith('Thanks.')).toBe(true);
  });

  it('hard-splits 10,000 Chinese characters without punctuation and loses nothing', () => {
    const characters = '退货退款保修发票配送隐私支付订单客服物流';
    const wall = Array.from({ length: 10_000 }, (_, index) => characters[index % characters.length]).join('');
    const drafts = chunkDocument({ document: passages([{ text: wall, headingPath: ['长文'] }]), countTokens: estimateTokens, targetTokens: 220, overlapTokens: 30, maxTokens: 256 });
    expect(drafts.length).toBeGreaterThanOrEqual(Math.ceil(10_000 / 256));
    for (const draft of drafts) expect(estimateTokens(draft.text)).toBeLessThanOrEqual(256);
    expect(drafts.map((draft) => draft.text).join('')).toBe(wall);
  });

  it('keeps paragraphs and lists as Markdown blocks inside a chunk', () => {
    const drafts = chunkDocument({ document: passages([{ text: 'You can pay with:\n- Visa\n- Alipay\n\nInvoices are emailed.', headingPath: [] }]), countTokens: estimateTokens });
    expect(drafts[0]?.text).toBe('You can pay with:\n\n- Visa\n- Alipay\n\nInvoices are emailed.');
  });

  it('makes exactly one unsplit chunk per FAQ entry, however long the answer', () => {
    const longAnswer = englishParagraph(60);
    const document: ParsedDocument = {
      type: 'faq',
      title: 'FAQ',
      sections: [],
      faq: [
        { id: 'r1', question: 'How long do I have to return an item?', answer: 'You have 30 days from delivery.', alternates: ['return window'], category: 'Returns', row: 1 },
        { id: 'w1', question: 'What does the warranty cover?', answer: longAnswer, alternates: [], row: 2 },
      ],
    };
    const drafts = chunkDocument({ document, countTokens: estimateTokens, targetTokens: 50, maxTokens: 60 });
    expect(drafts).toHaveLength(2);
    expect(drafts[0]).toEqual({
      ordinal: 0,
      kind: 'faq',
      text: 'How long do I have to return an item?\nYou have 30 days from delivery.',
      headingPath: ['Returns'],
      faq: { id: 'r1', question: 'How long do I have to return an item?', answer: 'You have 30 days from delivery.', alternates: ['return window'], category: 'Returns' },
    });
    expect(drafts[1]?.faq?.answer).toBe(longAnswer);
    expect(drafts[1]?.text).toBe(`What does the warranty cover?\n${longAnswer}`);
  });

  it('counts tokens once per sentence, not once per growing chunk', () => {
    let calls = 0;
    const countTokens = (text: string): number => {
      calls++;
      return estimateTokens(text);
    };
    const sentenceCount = 2000;
    const drafts = chunkDocument({ document: passages([{ text: englishParagraph(sentenceCount), headingPath: [] }]), countTokens, targetTokens: 220 });
    // one call per sentence plus one verification per chunk
    expect(calls).toBe(sentenceCount + drafts.length);
  });
});

describe('chunkDocument with structure', () => {
  const table = (rows: number): string =>
    ['| Instance | vCPUs | RAM | Price per hour |', '| --- | --- | --- | --- |', ...Array.from({ length: rows }, (_, index) => `| cn-standard-${index} | ${(index % 16) + 1} | ${(index % 8) * 4 + 4} GB | $${(index / 1000).toFixed(3)} |`)].join('\n');

  it('chunks a 2,000-row table by rows: the header row in every chunk, every row exactly once, in linear time', () => {
    let calls = 0;
    const countTokens = (text: string): number => {
      calls++;
      return estimateTokens(text);
    };
    const started = performance.now();
    const drafts = chunkDocument({ document: passages([{ text: `Prices in every region:\n\n${table(2000)}`, headingPath: ['Prices'] }]), countTokens, targetTokens: 220, overlapTokens: 30, maxTokens: 256 });
    const milliseconds = performance.now() - started;
    expect(drafts.length).toBeGreaterThan(50);
    const seen: string[] = [];
    for (const draft of drafts) {
      const blocks = parseBlocks(draft.text);
      const tables = blocks.filter((block) => block.kind === 'table');
      expect(tables).toHaveLength(1);
      expect(tables[0]?.kind === 'table' && tables[0].header).toEqual(['Instance', 'vCPUs', 'RAM', 'Price per hour']);
      if (tables[0]?.kind === 'table') seen.push(...tables[0].rows.map((row) => row[0] ?? ''));
      expect(estimateTokens(toPlainText(draft.text, { tables: 'records' }))).toBeLessThanOrEqual(256);
    }
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, index) => `cn-standard-${index}`));
    // One tokenizer call per row and sentence, one per chunk: linear, not quadratic.
    expect(calls).toBe(2000 + 1 + drafts.length);
    console.log(`2,000-row table: ${drafts.length} chunks in ${milliseconds.toFixed(0)} ms`);
  });

  it('keeps a list that fits in one chunk together with the sentence introducing it', () => {
    const prose = englishParagraph(12);
    const list = Array.from({ length: 8 }, (_, index) => `- Accessory number ${index + 1} is covered for two years.`).join('\n');
    const drafts = chunkDocument({ document: passages([{ text: `${prose}\n\nThe plan covers these accessories:\n\n${list}\n\n${englishParagraph(2)}`, headingPath: [] }]), countTokens: estimateTokens, targetTokens: 150, overlapTokens: 20, maxTokens: 200 });
    const withList = drafts.filter((draft) => draft.text.includes('- Accessory'));
    expect(withList).toHaveLength(1);
    expect(withList[0]?.text).toContain(`The plan covers these accessories:\n\n${list}`);
  });

  it('never starts a chunk with a repeated table row or list item (overlap is prose only)', () => {
    const text = `${englishParagraph(6)}\n\n${table(40)}\n\n${englishParagraph(6)}`;
    const drafts = chunkDocument({ document: passages([{ text, headingPath: [] }]), countTokens: estimateTokens, targetTokens: 120, overlapTokens: 40, maxTokens: 160 });
    const rows = drafts.flatMap((draft) => parseBlocks(draft.text).flatMap((block) => (block.kind === 'table' ? block.rows.map((row) => row[0]) : [])));
    expect(rows).toEqual(Array.from({ length: 40 }, (_, index) => `cn-standard-${index}`));
  });

  it('restarts a nested list cut between chunks at the top level, and keeps step numbers', () => {
    const items = Array.from({ length: 30 }, (_, index) => `${index + 1}. Step ${index + 1} of the process is explained here in a full sentence.\n   - detail ${index + 1}`).join('\n');
    const drafts = chunkDocument({ document: passages([{ text: items, headingPath: [] }]), countTokens: estimateTokens, targetTokens: 100, overlapTokens: 20, maxTokens: 130 });
    expect(drafts.length).toBeGreaterThan(3);
    for (const draft of drafts) {
      const [block] = parseBlocks(draft.text);
      expect(block?.kind).toBe('list');
      expect(block?.kind === 'list' && block.items[0]?.depth).toBe(0);
    }
    expect(drafts[1]?.text).toMatch(/^\d+\. Step \d+/);
  });
});
