/**
 * The web chat in a real browser: Debian's Chromium driven by playwright-core against the real app
 * over a real small index. Chromium must be installed (`apt-get install -y chromium`); without it
 * this test fails, it does not skip.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const screenshots = path.resolve(import.meta.dirname, '..', 'test-results');

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let browser: Browser;
let baseUrl: string;
let profileDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (CI does this) to run the browser test.`);
  }
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '10000' });
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  profileDir = await mkdtemp(path.join(tmpdir(), 'kefu-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    // launch() always starts from a fresh temporary --user-data-dir; this keeps it in our temp folder.
    env: { ...process.env, TMPDIR: profileDir },
  });
  await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await records?.close();
  await fixture?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe('web chat in Chromium', () => {
  it('streams an answer with a source link, takes a thumbs-up and hands over to a person', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'en-US' });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(baseUrl);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Customer service');

    // Keyboard only: type and press Enter.
    await page.getByLabel('Your question').fill('How long does express shipping take?');
    await page.keyboard.press('Enter');

    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    await expect.poll(() => answer.locator('.message-text').textContent()).toContain('1 to 2 business days');
    const source = answer.locator('a.source-link').first();
    await expect.poll(() => source.textContent()).toContain('Shipping');
    expect(await source.getAttribute('href')).toBe('/api/documents/shipping.md');
    const document = await page.request.get(`${baseUrl}/api/documents/shipping.md`);
    expect(await document.text()).toContain('Express shipping');

    await answer.getByRole('button', { name: 'Helpful', exact: true }).click();
    await expect.poll(() => answer.locator('.feedback-label').textContent()).toBe('Thanks for your feedback.');
    await expect.poll(() => answer.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('true');

    await page.getByRole('button', { name: 'Talk to a person' }).first().click();
    const handoff = page.locator('.message-system').last();
    await expect.poll(() => handoff.textContent()).toMatch(/ticket KF-\d{6}/);
    await page.screenshot({ path: path.join(screenshots, 'chat-375.png'), fullPage: true });

    // What the browser did is what the records hold.
    const conversationId = await page.evaluate(() => sessionStorage.getItem('kefu-conversation'));
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
    await expect.poll(() => page.locator('h1').textContent()).toBe('在线客服');
    await page.getByLabel('您的问题').fill('What does the tracking page show?');
    await page.getByRole('button', { name: '发送' }).click();
    const answer = page.locator('.message-assistant[aria-busy="false"]').last();
    await answer.locator('.feedback').waitFor({ timeout: 30_000 });
    await expect.poll(() => answer.locator('.message-text').textContent()).toContain('<script>');
    expect(await page.evaluate(() => (window as unknown as { __kefuInjected?: boolean }).__kefuInjected)).toBeUndefined();
    expect(await page.locator('.messages script, .messages img').count()).toBe(0);

    await page.getByRole('button', { name: '切换为英文' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Customer service');
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
    await expect.poll(() => frame.locator('h1').textContent()).toBe('Customer service');
    await page.screenshot({ path: path.join(screenshots, 'widget.png') });
    await page.close();
    host.close();
  });
});
