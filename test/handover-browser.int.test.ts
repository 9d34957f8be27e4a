/**
 * The hand-over in a real browser, two pages at once: a customer in the widget on another site asks for a person,
 * the conversation appears in the agent's queue, the agent replies, the customer sees it live, answers, the agent
 * sees it, resolves, and kefu answers the next question. Debian's Chromium driven by playwright-core against the
 * real app over a real small index; the agent account is made by the real accounts service.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { SCREENSHOTS as screenshots, launchBrowser, type TestBrowser } from './support/browser.ts';

/** expect.poll with room for a busy machine. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 100 });
const HOSTILE = '<img src=x onerror="window.__kefuInjected = true"><script>window.__kefuInjected = true</script>';

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let browser: Browser;
let baseUrl: string;
let chrome: TestBrowser;
let host: http.Server;
let hostUrl: string;
let aliceToken: string;

async function signIn(page: Page, name: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/agent`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Sign-in token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await poll(() => page.getByRole('tab', { name: /Waiting/ }).count()).toBe(1);
}

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '10000' });
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false, documents: fixture.documents, documentReader: fixture.documentReader });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  aliceToken = (await createAccounts({ records, settings: fixture.config.accounts }).addUser({ name: 'alice', role: 'agent', displayName: 'Alice' })).token;
  // The customer's shop: another origin embedding the widget with one script tag.
  const hostPage = `<!doctype html><title>Shop</title><h1>Shop</h1><script src="${baseUrl}/widget.js" defer></script>`;
  host = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(hostPage));
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
  chrome = await launchBrowser();
  browser = chrome.browser;
});

afterAll(async () => {
  await chrome?.close();
  await app?.close();
  await records?.close();
  host?.close();
  await fixture?.close();
});

describe('live hand-over in Chromium', () => {
  it('takes a customer from the widget to an agent and back to kefu, live on both sides', async () => {
    const problems: string[] = [];
    const agent = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    agent.on('pageerror', (error) => problems.push(`agent: ${error.message}`));
    await signIn(agent, 'alice', aliceToken);
    await poll(() => agent.locator('.queue-empty').textContent()).toContain('No one is waiting');

    const customer = await browser.newPage({ viewport: { width: 1024, height: 800 }, locale: 'en-US' });
    customer.on('pageerror', (error) => problems.push(`customer: ${error.message}`));
    await customer.goto(`${hostUrl}/shop.html`);
    const bubble = customer.getByRole('button', { name: /Open customer service chat/ });
    await bubble.click();
    const chat = customer.frameLocator('iframe[title="Customer service chat"]');
    await poll(() => chat.locator('h1').textContent()).toBe('Customer service');

    // The customer asks for a person in words.
    await chat.getByLabel('Your question').fill('I want to talk to a person');
    const handedOverAt = Date.now();
    await chat.getByLabel('Your question').press('Enter');
    const ticketNotice = chat.locator('.message-system[data-ticket]');
    await poll(() => ticketNotice.textContent()).toMatch(/ticket KF-\d{6}/);
    const ticket = /KF-\d{6}/.exec((await ticketNotice.textContent()) ?? '')?.[0] ?? '';

    // It appears in the agent's queue without a reload.
    const item = agent.locator('.queue-item', { hasText: ticket });
    await item.waitFor({ timeout: 30_000 });
    console.log(`hand-over appeared in the open workspace ${Date.now() - handedOverAt} ms after the customer pressed Enter (includes answering; not asserted)`);
    expect(await item.textContent()).toContain('asked for a person');
    await item.click();
    await poll(() => agent.locator('.entry-user').first().textContent()).toContain('I want to talk to a person');
    // kefu's answer is there with its outcome, for the agent.
    await poll(() => agent.locator('.entry-assistant .entry-meta').first().textContent()).toContain('hand-over asked');
    await agent.screenshot({ path: path.join(screenshots, 'agent-1280.png') });

    // The agent replies (with markup that must stay text); the customer sees it live, styled apart, with the name.
    const reply = agent.getByLabel('Message to the customer');
    await reply.fill(`Hello, Alice here. ${HOSTILE}`);
    // The customer sees the agent typing.
    await poll(() => chat.locator('#typing').textContent()).toBe('Alice is typing…');
    await reply.press('Enter');
    const agentMessage = chat.locator('.message-agent').last();
    await poll(() => agentMessage.locator('.message-text').textContent()).toBe(`Hello, Alice here. ${HOSTILE}`);
    expect(await agentMessage.locator('.message-author').textContent()).toBe('Alice');
    await poll(() => chat.locator('#state-banner').textContent()).toBe('You are chatting with Alice');
    await poll(() => chat.locator('.message-system').allTextContents()).toContain('You are now chatting with Alice.');

    // The customer answers; the agent sees it, and the customer's typing before it.
    await chat.getByLabel('Your question').fill('My order number is <b>1234</b>');
    await poll(() => agent.locator('#customer-typing').isVisible()).toBe(true);
    await chat.getByLabel('Your question').press('Enter');
    await poll(() => agent.locator('.entry-user').last().textContent()).toContain('My order number is <b>1234</b>');
    // kefu did not answer over the agent.
    expect(await chat.locator('.message-assistant:not(.message-welcome)').count()).toBe(1);

    // Closed widget: the next reply shows as an unread count on the bubble.
    await bubble.click();
    await reply.fill('I found your order: it ships today.');
    await reply.press('Enter');
    await poll(() => customer.locator('.kefu-unread').textContent()).toBe('1');
    await expect.poll(() => customer.getByRole('button', { name: /1 unread/ }).count(), { timeout: 10_000 }).toBe(1);
    await customer.screenshot({ path: path.join(screenshots, 'widget-unread.png') });
    await customer.getByRole('button', { name: /Open customer service chat/ }).click();
    await poll(() => chat.locator('.message-agent').last().locator('.message-text').textContent()).toBe('I found your order: it ships today.');
    await poll(() => customer.locator('.kefu-unread').isVisible()).toBe(false);

    // Resolve: the customer is told and asked for a rating; the next question goes to kefu again.
    await agent.getByRole('button', { name: 'Resolve' }).click();
    await poll(() => chat.locator('.message-system').allTextContents()).toContain('Alice marked this conversation as resolved. If you need anything else, just write again.');
    await chat.getByRole('button', { name: '5 out of 5' }).click();
    await poll(() => chat.locator('.rating').textContent()).toContain('Thank you for your rating.');
    await chat.getByLabel('Your question').fill('How long do refunds take?');
    await chat.getByLabel('Your question').press('Enter');
    const kefu = chat.locator('.message-assistant[aria-busy="false"]').last();
    await poll(() => kefu.locator('.message-text').textContent()).toContain('5 business days');
    await poll(() => agent.getByRole('tab', { name: /Resolved/ }).count()).toBe(1);

    // Nothing an agent or customer typed ran as markup, on either side.
    for (const page of [agent, customer]) expect(await page.evaluate(() => (window as unknown as { __kefuInjected?: boolean }).__kefuInjected)).toBeUndefined();
    expect(await chat.locator('.messages img, .messages script, .messages b').count()).toBe(0);
    expect(await agent.locator('.transcript img, .transcript script, .transcript b').count()).toBe(0);
    // The conversation survives a reload of the customer's page.
    // (Chromium refuses the third-party chat frame any storage here: the widget keeps it on the shop's side.)
    await customer.reload();
    await customer.getByRole('button', { name: /Open customer service chat/ }).click();
    await poll(() => chat.locator('.message-agent').count()).toBe(2);
    expect(problems).toEqual([]);
    await agent.close();
    await customer.close();
  });

  it('is usable on a 375 px phone: the queue, then the conversation, then its details, with nothing wider than the screen', async () => {
    // A waiting conversation to open.
    const started = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: '我要转人工', channel: 'web' } });
    const ticket = started.json().handoff.ticket.number as string;
    const phone = await browser.newPage({ viewport: { width: 375, height: 740 }, locale: 'zh-CN' });
    await phone.goto(`${baseUrl}/agent/`);
    await phone.getByLabel('用户名').fill('alice');
    await phone.getByLabel('登录令牌').fill(aliceToken);
    await phone.getByRole('button', { name: '登录' }).click();
    await poll(() => phone.getByRole('tab', { name: /等待中/ }).count()).toBe(1);
    await phone.locator('.queue-item', { hasText: ticket }).click();
    await poll(() => phone.locator('.entry-user').first().textContent()).toContain('我要转人工');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await phone.locator('.queue').isVisible()).toBe(false);
    await phone.screenshot({ path: path.join(screenshots, 'agent-375-conversation.png') });
    await phone.getByRole('button', { name: '详情' }).click();
    await poll(() => phone.getByRole('button', { name: '分配给我' }).isVisible()).toBe(true);
    await phone.getByRole('button', { name: '分配给我' }).click();
    await poll(() => phone.locator('#details-body').textContent()).toContain('已分配给 Alice');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await phone.screenshot({ path: path.join(screenshots, 'agent-375-details.png') });
    await phone.getByRole('button', { name: '← 对话' }).click();
    await phone.getByRole('button', { name: '切换为英文' }).click();
    await poll(() => phone.getByRole('button', { name: 'Details' }).isVisible()).toBe(true);
    await phone.getByRole('button', { name: '← Queue' }).click();
    // Assigned to Alice, it left the waiting list for hers.
    await phone.getByRole('tab', { name: /Mine/ }).click();
    await poll(() => phone.locator('.queue-item', { hasText: ticket }).isVisible()).toBe(true);
    await phone.screenshot({ path: path.join(screenshots, 'agent-375-queue.png') });
    await phone.close();
  });

  it('shows two agents who else is viewing a conversation', async () => {
    const bobToken = (await createAccounts({ records, settings: fixture.config.accounts }).addUser({ name: 'bob', role: 'owner', displayName: 'Bob' })).token;
    const started = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'I want to speak to a human', channel: 'web' } });
    const ticket = started.json().handoff.ticket.number as string;
    const alice = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const bob = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    await signIn(alice, 'alice', aliceToken);
    await signIn(bob, 'bob', bobToken);
    await alice.locator('.queue-item', { hasText: ticket }).click();
    await bob.locator('.queue-item', { hasText: ticket }).click();
    await poll(() => alice.locator('#viewers').textContent()).toBe('Also viewing: Bob');
    await poll(() => bob.locator('#viewers').textContent()).toBe('Also viewing: Alice');
    // Bob takes it; Alice's details say so without a reload.
    await bob.getByRole('button', { name: 'Assign to me' }).click();
    await poll(() => alice.locator('#details-body').textContent()).toContain('Assigned to Bob');
    await alice.close();
    await bob.close();
  });

  it('inserts a quick reply with /shortcut and fills in its variables', async () => {
    const started = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'I want to speak to a human', channel: 'web' } });
    const { conversationId, conversationToken } = started.json() as { conversationId: string; conversationToken: string };
    const ticket = started.json().handoff.ticket.number as string;
    const agent = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    await signIn(agent, 'alice', aliceToken);
    await agent.getByRole('button', { name: 'Quick replies…' }).click();
    await agent.getByLabel('Shortcut').fill('hello');
    await agent.getByLabel('Text', { exact: true }).fill('Hi, this is {agent} about ticket {ticket}.');
    await agent.getByRole('button', { name: 'Save' }).click();
    await poll(() => agent.locator('.quick-reply').count()).toBe(1);
    await agent.getByRole('button', { name: 'Close' }).click();
    await agent.locator('.queue-item', { hasText: ticket }).click();
    const reply = agent.getByLabel('Message to the customer');
    await reply.click();
    await reply.pressSequentially('/hel');
    await poll(() => agent.locator('.suggestion').first().textContent()).toContain('/hello');
    await reply.press('Enter');
    expect(await reply.inputValue()).toBe(`Hi, this is Alice about ticket ${ticket}.`);
    await reply.press('Enter');
    const read = await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}`, headers: { 'x-conversation-token': conversationToken } });
    expect((read.json().messages as Array<{ role: string; text: string }>).filter((message) => message.role === 'agent').map((message) => message.text)).toEqual([`Hi, this is Alice about ticket ${ticket}.`]);
    await agent.close();
  });
});
