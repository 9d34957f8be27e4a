/**
 * The web chat in a real browser: Debian's Chromium driven by playwright-core against the real app
 * over a real small index. Chromium must be installed (`apt-get install -y chromium`); without it
 * this test fails, it does not skip.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type IndexingStatus, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { SCREENSHOTS as screenshots, launchBrowser, type TestBrowser } from './support/browser.ts';

/** expect.poll with room for a busy machine (the default gives up after 1 s). */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

/** A price list of 1,400 rows: an answer over 50 KB. */
const bigTable = ['| Part | Price | Stock | Notes |', '| --- | --- | --- | --- |', ...Array.from({ length: 1400 }, (_, index) => `| part-${index} | $${index}.00 | ${index % 7} | **spare** ${index} |`)].join('\n');

/** Documents of this test beside the shared fixture: structured FAQ answers, an HTML page, hostile Markdown. */
const documents: Record<string, string> = {
  'more-faq.json': JSON.stringify([
    {
      question: 'What are the shipping rates?',
      answer:
        '| Service | Delivery time | Price | Tracking | Insurance | Signature |\n| --- | --- | --- | --- | --- | --- |\n' +
        '| Standard | 3 to 5 business days | $5 | Yes, by email | Up to $100 | Not needed |\n| Express | 1 to 2 business days | $12 | Yes, by email and SMS | Up to $500 | Required |\n\nPrices include tax.',
    },
    { question: 'Which payment methods do you accept?', answer: 'We accept:\n\n- Credit cards\n  - Visa\n  - Mastercard\n- PayPal\n- Bank transfer\n\nAll payments are encrypted.' },
    {
      question: 'How do I check my gift card balance?',
      answer:
        'Enter the code on the **balance page** <script>window.__kefuInjected = true</script> <img src=x onerror="window.__kefuInjected = true">.\n\n' +
        '- [Open the balance page](javascript:window.__kefuInjected=true)\n- [Read the help centre](https://help.example.com/gift-cards)',
    },
    { question: 'Can I see the complete spare parts price list?', answer: `Here is the complete list:\n\n${bigTable}\n\nPrices change every January.` },
  ]),
  'store-guide.html': `<!doctype html><html><head><title>Store guide</title></head><body>
<nav><a href="/">Home</a></nav>
<main>
<h1>Store guide</h1>
<h2>Opening hours</h2>
<p>Our flagship store on Harbour Street opens at 9 am and closes at 8 pm on weekdays.</p>
<h2>Parking</h2>
<p>Customers park free for two hours in the Harbour Street garage with a validated ticket.</p>
<p>Bicycles can be left in the covered rack beside the main entrance.</p>
<script>window.__kefuInjected = true</script>
</main></body></html>`,
  'gift-cards.md': `# Gift cards

## Redeeming a gift card
Gift cards are redeemed at checkout by entering the sixteen digit code <script>window.__kefuInjected = true</script> <img src=x onerror="window.__kefuInjected = true"> shown on the back of the card. See [the balance page](javascript:window.__kefuInjected=true) or [our help centre](https://help.example.com/gift-cards) for balances.
`,
};

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let browser: Browser;
let baseUrl: string;
let chrome: TestBrowser;
/** What /api/health reports about indexing; a test sets it to watch the page's indexing notice. */
let indexing: IndexingStatus | undefined;

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '10000' }, documents);
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  app = await buildApp({
    config: fixture.config,
    answerService: fixture.answerService,
    records,
    logger: false,
    documents: fixture.documents,
    documentReader: fixture.documentReader,
    health: () => ({ checks: { model: true, index: true }, ...(indexing ? { indexing } : {}) }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  chrome = await launchBrowser();
  browser = chrome.browser;
});

afterAll(async () => {
  await chrome?.close();
  await app?.close();
  await records?.close();
  await fixture?.close();
});

describe('web chat in Chromium', () => {
  it('streams an answer with a source link, takes a thumbs-up and hands over to a person', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'en-US' });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(baseUrl);
    await poll(() => page.locator('h1').textContent()).toBe('Customer service');

    // Keyboard only: type and press Enter.
    await page.getByLabel('Your question').fill('How long does express shipping take?');
    await page.keyboard.press('Enter');

    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    await poll(() => answer.locator('.message-text').textContent()).toContain('1 to 2 business days');
    const source = answer.locator('a.source-link').first();
    await poll(() => source.textContent()).toContain('Shipping');
    expect(await source.getAttribute('href')).toMatch(/^\/view\.html\?doc=shipping\.md&chunk=/);
    // The card shows the passage the answer quoted.
    await poll(() => answer.locator('.source-quote').first().textContent()).toContain('1 to 2 business days');
    const document = await page.request.get(`${baseUrl}/api/documents/shipping.md`);
    expect(await document.text()).toContain('Express shipping');

    await answer.getByRole('button', { name: 'Helpful', exact: true }).click();
    await poll(() => answer.locator('.feedback-label').textContent()).toBe('Thanks for your feedback.');
    await poll(() => answer.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('true');

    await page.getByRole('button', { name: 'Talk to a person' }).first().click();
    const handoff = page.locator('.message-system').last();
    await poll(() => handoff.textContent()).toMatch(/ticket KF-\d{6}/);
    await page.screenshot({ path: path.join(screenshots, 'chat-375.png'), fullPage: true });

    // What the browser did is what the records hold.
    const conversationId = await page.evaluate(() => (JSON.parse(localStorage.getItem('kefu-conversation') ?? '{}') as { id?: string }).id);
    const messages = await records.listMessages(conversationId ?? '');
    const stored = messages.find((message) => message.role === 'assistant');
    expect(await records.listFeedback(stored?.id ?? '')).toMatchObject([{ rating: 'up' }]);
    const [ticket] = await records.listTickets();
    expect(ticket?.conversationId).toBe(conversationId);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows document markup as text, never runs it, and switches to Chinese', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 }, locale: 'zh-CN' });
    await page.goto(baseUrl);
    await poll(() => page.locator('h1').textContent()).toBe('在线客服');
    await page.getByLabel('您的问题').fill('What does the tracking page show?');
    await page.getByRole('button', { name: '发送' }).click();
    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    await poll(() => answer.locator('.message-text').textContent()).toContain('<script>');
    expect(await page.evaluate(() => (window as unknown as { __kefuInjected?: boolean }).__kefuInjected)).toBeUndefined();
    expect(await page.locator('.messages script, .messages img').count()).toBe(0);
    await page.close();
  });

  it('renders a table answer as a table that scrolls sideways inside the bubble on a 375 px phone', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'en-US' });
    await page.goto(baseUrl);
    await page.getByLabel('Your question').fill('What are the shipping rates?');
    await page.keyboard.press('Enter');
    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    const table = answer.locator('.message-text table');
    await poll(() => table.locator('thead th').allTextContents()).toEqual(['Service', 'Delivery time', 'Price', 'Tracking', 'Insurance', 'Signature']);
    expect(await table.locator('tbody tr').count()).toBe(2);
    expect(await table.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['Standard', '3 to 5 business days', '$5', 'Yes, by email', 'Up to $100', 'Not needed']);
    expect(await answer.locator('.message-text p').last().textContent()).toMatch(/^Prices include tax\./);
    // The table is wider than the bubble and scrolls inside it; the page itself does not scroll sideways.
    const sizes = await answer.locator('.table-scroll').evaluate((scroller) => ({ scroll: scroller.scrollWidth, client: scroller.clientWidth }));
    expect(sizes.scroll).toBeGreaterThan(sizes.client);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    // An FAQ source is titled by its question and does not repeat the answer.
    expect(await answer.locator('.source-title').first().textContent()).toBe('What are the shipping rates?');
    expect(await answer.locator('.source-quote').count()).toBe(0);
    await page.screenshot({ path: path.join(screenshots, 'table-375.png'), fullPage: true });
    await page.close();
  });

  it('renders a list answer as a nested list, and a 50 KB answer without freezing the page', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 }, locale: 'en-US' });
    await page.goto(baseUrl);
    await page.getByLabel('Your question').fill('Which payment methods do you accept?');
    await page.keyboard.press('Enter');
    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    const list = answer.locator('.message-text > ul');
    await poll(() => list.locator(':scope > li').count()).toBe(3);
    expect(await list.locator(':scope > li').first().locator('ul > li').allTextContents()).toEqual(['Visa', 'Mastercard']);

    // The longest main-thread task while the 50 KB answer arrives and renders (reported, not asserted).
    await page.evaluate(() => {
      const record = window as unknown as { __longestTask: number };
      record.__longestTask = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) record.__longestTask = Math.max(record.__longestTask, entry.duration);
      }).observe({ type: 'longtask' });
    });
    const started = Date.now();
    await page.getByLabel('Your question').fill('Can I see the complete spare parts price list?');
    await page.keyboard.press('Enter');
    const big = page.locator('.message-assistant[aria-busy="false"]').last();
    await big.locator('.feedback').waitFor({ timeout: 30_000 });
    await poll(() => big.locator('.message-text tbody tr').count()).toBe(1400);
    const longestTask = await page.evaluate(() => (window as unknown as { __longestTask: number }).__longestTask);
    console.log(`50 KB table answer: shown ${Date.now() - started} ms after sending; longest main-thread task ${longestTask.toFixed(0)} ms`);
    // The page still takes input: the composer is usable right away.
    await page.getByLabel('Your question').fill('thanks');
    expect(await page.getByLabel('Your question').inputValue()).toBe('thanks');
    expect(await big.locator('.message-text strong').count()).toBe(1400);
    await page.close();
  });

  it('opens a cited HTML page as a readable view at the cited passage, highlighted', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'en-US' });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(baseUrl);
    await page.getByLabel('Your question').fill('Where can customers park at the Harbour Street store?');
    await page.keyboard.press('Enter');
    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    const source = answer.locator('a.source-link', { hasText: 'Store guide' }).first();
    const href = (await source.getAttribute('href')) ?? '';
    expect(href).toMatch(/^\/view\.html\?doc=store-guide\.html&chunk=/);
    // An [n] marker in the answer leads to its source card.
    const marker = answer.locator('.message-text a.citation-ref').first();
    expect(await marker.getAttribute('href')).toMatch(/^#message-\d+-source-\d$/);

    const view = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'en-US' });
    view.on('pageerror', (error) => pageErrors.push(error.message));
    await view.goto(`${baseUrl}${href}`);
    await poll(() => view.locator('h1').textContent()).toBe('Store guide');
    // Structure, not source code: headings and paragraphs as elements, no tags shown as text.
    expect(await view.locator('.view-body h2, .view-body h3').allTextContents()).toEqual(expect.arrayContaining(['Opening hours', 'Parking']));
    expect(await view.locator('.view-body').textContent()).not.toMatch(/<\/?(p|h2|main|html)>/);
    const focus = view.locator('.view-section-focus');
    await poll(() => focus.textContent()).toContain('Customers park free for two hours');
    await poll(() => view.locator('mark.passage').first().textContent()).toMatch(/park free for two hours/);
    expect(await view.locator('script:not([src])').count()).toBe(0);
    expect(await view.evaluate(() => (window as unknown as { __kefuInjected?: boolean }).__kefuInjected)).toBeUndefined();
    await view.screenshot({ path: path.join(screenshots, 'view-html-375.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await view.close();
    await page.close();
  });

  it('keeps <script>, <img onerror> and javascript: links in documents inert in the answer and in the view', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 }, locale: 'en-US' });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(baseUrl);
    const inert = async (target: typeof page) => {
      expect(await target.evaluate(() => (window as unknown as { __kefuInjected?: boolean }).__kefuInjected)).toBeUndefined();
      expect(await target.locator('main script, .messages script, img[src="x"], a[href^="javascript:" i]').count()).toBe(0);
    };

    // An FAQ answer is returned verbatim: its markup is shown as text, its javascript: link as plain text,
    // its https link stays a link that opens in a new tab.
    await page.getByLabel('Your question').fill('How do I check my gift card balance?');
    await page.keyboard.press('Enter');
    const faq = page.locator('.message-assistant[aria-busy="false"]').last();
    await faq.locator('.feedback').waitFor({ timeout: 30_000 });
    const text = faq.locator('.message-text');
    await poll(() => text.textContent()).toContain('<script>window.__kefuInjected = true</script>');
    expect(await text.textContent()).toContain('<img src=x onerror=');
    expect(await text.locator('strong').first().textContent()).toBe('balance page');
    expect(await text.locator('a', { hasText: 'Open the balance page' }).count()).toBe(0);
    expect(await text.locator('li').first().textContent()).toBe('Open the balance page');
    const help = text.locator('a', { hasText: 'Read the help centre' });
    expect(await help.getAttribute('href')).toBe('https://help.example.com/gift-cards');
    expect(await help.getAttribute('rel')).toContain('noopener');
    await inert(page);

    await page.getByLabel('Your question').fill('How do I redeem a gift card at checkout?');
    await page.keyboard.press('Enter');
    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    await poll(() => answer.locator('.message-text').textContent()).toContain('sixteen digit code');
    await inert(page);
    // Every link in the answer is an http(s) link, a citation marker or a cited document.
    for (const link of await answer.locator('.message-text a').all()) expect(await link.getAttribute('href')).toMatch(/^(https?:\/\/|#message-|\/view\.html\?|\/api\/documents\/)/);

    const href = (await answer.locator('a.source-link', { hasText: 'Gift cards' }).first().getAttribute('href')) ?? '';
    const view = await browser.newPage({ viewport: { width: 1024, height: 800 } });
    await view.goto(`${baseUrl}${href}`);
    await poll(() => view.locator('.view-body').textContent()).toContain('sixteen digit code');
    // Ingestion keeps a document's https links and turns its javascript: link into text.
    expect((await Promise.all((await view.locator('.view-body a').all()).map((link) => link.getAttribute('href'))))).toEqual(['https://help.example.com/gift-cards']);
    expect(await view.locator('.view-body').textContent()).toContain('the balance page');
    await inert(view);
    // A text document keeps its markup as written: the view shows it as characters.
    await view.goto(`${baseUrl}/view.html?doc=tracking.txt`);
    await poll(() => view.locator('.view-body').textContent()).toContain('<script>window.__kefuInjected = true</script>');
    expect(await view.locator('.view-body').textContent()).toContain('<img src=x onerror=');
    await inert(view);
    expect(dialogs).toEqual([]);
    await view.close();
    await page.close();
  });

  it('says the documents are being indexed, with how far it got, until they are', async () => {
    indexing = { state: 'syncing', filesDone: 3, filesTotal: 10 };
    const page = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'en-US' });
    await page.goto(baseUrl);
    const banner = page.locator('#status-banner');
    await poll(() => banner.textContent()).toContain('indexing 3 of 10');
    indexing = { state: 'idle', filesDone: 10, filesTotal: 10, lastSuccessAt: new Date().toISOString() };
    await expect.poll(() => banner.isHidden(), { timeout: 10_000 }).toBe(true);
    indexing = undefined;
    await page.close();
  });

  it('switches the chat to Chinese', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 }, locale: 'zh-CN' });
    await page.goto(baseUrl);
    await poll(() => page.locator('h1').textContent()).toBe('在线客服');
    await page.getByRole('button', { name: '切换为英文' }).click();
    await poll(() => page.locator('h1').textContent()).toBe('Customer service');
    await page.screenshot({ path: path.join(screenshots, 'chat-desktop.png') });
    await page.close();
  });

  it('adds a chat bubble to another page with one script tag', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 } });
    // A host page on another origin (its own little server) embeds the widget with one script tag.
    const hostPage = `<!doctype html><title>Shop</title><h1>Shop</h1><script src="${baseUrl}/widget.js" defer></script>`;
    const host = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(hostPage));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => problems.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
    await page.goto(`${hostUrl}/host-page.html`);
    await page.waitForLoadState('load');
    expect(problems).toEqual([]);
    const bubble = page.getByRole('button', { name: 'Open customer service chat' });
    await bubble.click();
    const frame = page.frameLocator('iframe[title="Customer service chat"]');
    await poll(() => frame.locator('h1').textContent()).toBe('Customer service');
    await page.screenshot({ path: path.join(screenshots, 'widget.png') });
    await page.close();
    host.close();
  });
});
