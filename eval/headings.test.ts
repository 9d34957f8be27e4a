import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePagedPdf } from '../test/support/pdf.ts';
import { readCatalog } from './catalog.ts';
import { headingMatcher, htmlHeadings, markdownHeadings, pdfFurniture, textHeadings } from './headings.ts';

let temp: string;
beforeEach(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-headings-'));
});
afterEach(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('headings from the documents\' structure', () => {
  it('reads Markdown (# and underlined), HTML (h1–h6, title) and text titles', () => {
    expect(markdownHeadings('# Returns and refunds\n\nYou have 30 days.\n\nSale items\n----------\n\nText.\n\n```\n# not a heading\n```\n## 退款政策\n')).toEqual(['Returns and refunds', 'Sale items', '退款政策']);
    expect(htmlHeadings('<html><head><title>Shipping | Shop</title></head><body><h1>Shipping</h1><p>Text</p><h3>Express <b>delivery</b></h3></body></html>')).toEqual(['Shipping | Shop', 'Shipping', 'Express delivery']);
    expect(textHeadings('Contact customer service\n\nCall us on weekdays.\n\nOpening hours\n=============\nNine to five.')).toEqual(['Opening hours', 'Contact customer service']);
    // a first line that is a sentence is not a title
    expect(textHeadings('Call us on weekdays.\n\nMore text.')).toEqual([]);
  });

  it('finds PDF headings by their shape and running headers by recurrence, not wrapped body lines', () => {
    const body = (topic: string) => `the plan covers ${topic} when it is medically\nnecessary and prescribed by a physician.\nservices.`;
    const pages = [
      `COVERED SERVICES\nAcupuncture\nCOVERED SERVICES: Acupuncture\nAt Contoso, ${body('acupuncture')}\nPage 1 of 4\nNorthwind Standard Plan Guide`,
      `Hearing Care\nHearing Care\nThe ${body('hearing aids')}\nPage 2 of 4\nNorthwind Standard Plan Guide`,
      `HOW DO I FILE A CLAIM?\nTimely Filing\nHOW DO I FILE A CLAIM?\nTimely Filing\nClaims must be filed within twelve months.\nThe (MHPAEA).\n${body('claims')}\nPage 3 of 4\nNorthwind Standard Plan Guide`,
      `Exceptions\n${body('exceptions')}\nPage 4 of 4\nNorthwind Standard Plan Guide`,
    ];
    const furniture = pdfFurniture({ pages });
    expect(furniture.headings).toEqual(expect.arrayContaining(['COVERED SERVICES', 'COVERED SERVICES: Acupuncture', 'Acupuncture', 'Hearing Care', 'HOW DO I FILE A CLAIM?', 'Timely Filing']));
    expect(furniture.headings).not.toContain('services.');
    expect(furniture.headings).not.toContain('(MHPAEA).');
    expect(furniture.runningLines).toEqual(expect.arrayContaining(['Page # of #', 'Northwind Standard Plan Guide']));
    expect(furniture.runningLines).not.toContain('services.');
  });
});

describe('a heading or page furniture used as a sentence of an answer', () => {
  const matcher = headingMatcher({
    headings: ['COVERED SERVICES', 'Acupuncture', 'Timely Filing', 'HOW DO I FILE A CLAIM?', 'Refunds', 'COBRA', '退款政策'],
    runningLines: ['Page # of #'],
  });

  it('flags what the issue shows: headings glued to the text, running headers, a heading alone', () => {
    expect(matcher.find('HOW DO I FILE A CLAIM? Timely Filing HOW DO I FILE A CLAIM? If you are a member, file within 12 months.')).toBe('HOW DO I FILE A CLAIM?');
    expect(matcher.find('The plan covers it. COVERED SERVICES: Acupuncture At Contoso we cover acupuncture.')).toBe('COVERED SERVICES');
    expect(matcher.find('Acupuncture At Contoso we cover acupuncture.')).toBe('Acupuncture');
    expect(matcher.find('Claims take 30 days. Page 12 of 104')).toBe('Page # of #');
    expect(matcher.find('- Refunds\n- Sale items are final.')).toBe('Refunds');
    expect(matcher.find('退款政策 退款将在5个工作日内到账。')).toBe('退款政策');
  });

  it('leaves ordinary sentences alone, even when they start with a heading word or name an acronym', () => {
    expect(matcher.find('Refunds are paid within 5 business days.')).toBeUndefined();
    expect(matcher.find('Acupuncture is covered up to 12 visits a year.')).toBeUndefined();
    expect(matcher.find('You can keep your coverage under COBRA for 18 months.')).toBeUndefined();
    expect(matcher.find('退款政策规定30天内可以退货。')).toBeUndefined();
  });
});

describe('the corpus catalogue', () => {
  it('reads a real PDF\'s headings and running footer, and caches them by file size and time', async () => {
    const corpus = path.join(temp, 'corpus');
    const pages = ['COVERED SERVICES\nAcupuncture\nCOVERED SERVICES: Acupuncture\nAt Contoso we cover it.\nContoso Plan Guide', 'Text of page two.\nContoso Plan Guide', 'Text of page three.\nContoso Plan Guide'];
    await mkdir(corpus, { recursive: true });
    await writeFile(path.join(corpus, 'plan.pdf'), await makePagedPdf(pages));
    await writeFile(path.join(corpus, 'returns.md'), '# Returns\n\nYou have 30 days.\n');
    const cacheFile = path.join(temp, 'catalog.json');
    const catalog = await readCatalog(corpus, { cacheFile });
    expect(catalog.pageCounts.get('plan.pdf')).toBe(3);
    expect(catalog.furniture.headings).toEqual(expect.arrayContaining(['COVERED SERVICES', 'COVERED SERVICES: Acupuncture', 'Returns']));
    expect(catalog.furniture.runningLines).toContain('Contoso Plan Guide');

    // the cache answers for unchanged files; a changed file is read again
    const cached = await readCatalog(corpus, { cacheFile });
    expect(cached.furniture).toEqual(catalog.furniture);
    await writeFile(path.join(corpus, 'returns.md'), '# Returns and exchanges\n\nYou have 30 days.\n');
    await utimes(path.join(corpus, 'returns.md'), new Date(), new Date(Date.now() + 5000));
    expect((await readCatalog(corpus, { cacheFile })).furniture.headings).toContain('Returns and exchanges');
  });
});
