/**
 * "Where is my order?" in the web chat, in a real browser: the customer asks, kefu asks for the order number, the
 * customer gives it, and the live status from the order system (a stand-in order API the test starts) is shown.
 * Debian's Chromium driven by playwright-core against the real app over a real small index, with an intents file
 * in the inbox and an actions.yaml; nothing of ours is faked.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { SCREENSHOTS as screenshots, launchBrowser, type TestBrowser } from './support/browser.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { ORDER_API_TOKEN, ORDERS, intentsCsv, orderActionsYaml, startOrderApi, type OrderApi } from './support/order-api.ts';

const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 100 });

let fixture: ChatFixture;
let api: OrderApi;
let actionsDir: string;
let records: RecordsStore;
let app: KefuApp;
let chrome: TestBrowser;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  api = await startOrderApi();
  actionsDir = await mkdtemp(path.join(tmpdir(), 'kefu-actions-browser-'));
  await writeFile(path.join(actionsDir, 'actions.yaml'), orderActionsYaml(api.url, { timeoutMs: 2000 }));
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '10000', KEFU_ACTIONS_FILE: path.join(actionsDir, 'actions.yaml'), ORDER_API_TOKEN }, { 'intents.csv': intentsCsv });
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false, documents: fixture.documents, documentReader: fixture.documentReader });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  chrome = await launchBrowser();
  browser = chrome.browser;
}, 180_000);

afterAll(async () => {
  await chrome?.close();
  await app?.close();
  await records?.close();
  await fixture?.close();
  await api?.close();
  if (actionsDir) await rm(actionsDir, { recursive: true, force: true });
});

describe('an order-status conversation in the web chat', () => {
  it('asks for the order number, then shows the live status from the order system', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'en-US' });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(baseUrl);
    await poll(() => page.locator('h1').textContent()).toBe('Customer service');

    await page.getByLabel('Your question').fill('where is my order?');
    await page.keyboard.press('Enter');
    const question = page.locator('.message-assistant[aria-busy="false"]').last();
    await poll(() => question.locator('.message-text').textContent()).toContain('What is your order number?');
    expect(api.requests).toHaveLength(0);

    await page.getByLabel('Your question').fill(`It is ${ORDERS.shipped}`);
    await page.keyboard.press('Enter');
    await poll(() => page.locator('.message-assistant[aria-busy="false"]').count()).toBe(2);
    const status = page.locator('.message-assistant[aria-busy="false"]').last();
    await poll(() => status.locator('.message-text').textContent()).toContain(`Order ${ORDERS.shipped} has status "shipped" with SF Express; expected delivery 2026-12-03.`);
    expect(api.requests.map((request) => request.url)).toEqual([`/api/orders/${ORDERS.shipped}`]);
    await page.screenshot({ path: path.join(screenshots, 'order-status-conversation.png'), fullPage: true });
    // The secret never reaches the browser.
    expect(await page.content()).not.toContain(ORDER_API_TOKEN);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);
});
