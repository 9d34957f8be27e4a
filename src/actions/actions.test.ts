/**
 * Business actions against a real stand-in order API (an HTTP server on a free port): slots asked for when missing,
 * the live status answered in English and Chinese, every kind of failure turned into an apology and a hand-over that
 * carries the slots, injection-shaped slot values encoded or refused, secrets kept out of what is shown or logged.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { KefuError } from '../errors/index.ts';
import { ORDER_API_TOKEN, ORDERS, orderActionsYaml, startOrderApi, type OrderApi } from '../../test/support/order-api.ts';
import { loadActions, parseActionsFile } from './actions-file.ts';
import { createActionRunner, type ActionRunner } from './runner.ts';
import { extractSlot } from './slots.ts';
import type { ActionDefinition } from './types.ts';

let api: OrderApi;
let folder: string;
let runner: ActionRunner;
const logged: unknown[] = [];

function action(name: string): ActionDefinition {
  const found = runner.byName(name);
  if (!found) throw new Error(`no action ${name}`);
  return found;
}

beforeAll(async () => {
  api = await startOrderApi();
  folder = await mkdtemp(path.join(tmpdir(), 'kefu-actions-'));
  await writeFile(path.join(folder, 'actions.yaml'), orderActionsYaml(api.url, { timeoutMs: 800 }));
  const config = loadConfig({ env: { KEFU_DATA_DIR: folder, ORDER_API_TOKEN, KEFU_ACTION_MAX_RESPONSE_KB: '256' }, dotenvDir: null, cwd: folder });
  const catalogue = await loadActions({ config });
  if (!catalogue) throw new Error('actions.yaml was not found');
  runner = createActionRunner({ catalogue, secret: config.actions.secret, maxResponseBytes: config.actions.maxResponseBytes, logger: { warn: (object) => logged.push(object) } });
});

afterAll(async () => {
  await api?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('actions.yaml', () => {
  it('stops kefu at start, naming the variable, when a secret the file needs is not set', async () => {
    const config = loadConfig({ env: { KEFU_DATA_DIR: folder }, dotenvDir: null, cwd: folder });
    const error = await loadActions({ config }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KefuError);
    expect((error as KefuError).code).toBe('ACTIONS_SECRET_MISSING');
    expect((error as KefuError).message).toContain('ORDER_API_TOKEN');
  });

  it('is optional unless configured: no file, no actions; a configured file that is missing is an error', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'kefu-actions-none-'));
    try {
      expect(await loadActions({ config: loadConfig({ env: { KEFU_DATA_DIR: empty }, dotenvDir: null, cwd: empty }) })).toBeUndefined();
      const configured = loadConfig({ env: { KEFU_DATA_DIR: empty, KEFU_ACTIONS_FILE: 'nowhere.yaml' }, dotenvDir: null, cwd: empty });
      await expect(loadActions({ config: configured })).rejects.toMatchObject({ code: 'ACTIONS_INVALID' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('lists every problem with where it is: a slot choosing the host, an unknown slot, a secret in a reply, a bad pattern, no question to ask', () => {
    const { errors, actions } = parseActionsFile({
      timeoutMs: 1000,
      text: `actions:
  - name: bad
    slots:
      - name: order
        type: pattern
        pattern: '([unclosed'
      - name: phone
        type: phone
        ask: Your phone?
    request:
      url: 'https://{phone}.example.com/x'
    reply: 'Token {env.SECRET} for {nothing}'
`,
    });
    expect(actions).toHaveLength(0);
    const text = errors.join('\n');
    expect(text).toMatch(/slots\[0\]: pattern is not a valid regular expression/);
    expect(text).toMatch(/slots\[0\]: ask must be the question/);
    expect(text).toMatch(/request\.url: .*literal host/);
    expect(text).toMatch(/reply: \{env\.SECRET\}: secrets may be used only in the request/);
    expect(parseActionsFile({ timeoutMs: 1000, text: 'actions:\n  - name: x\n    request: { url: "https://a.example/{nothing}" }\n    reply: ok\n' }).errors.join('\n')).toMatch(/\{nothing\} is not a slot of this action/);
    expect(parseActionsFile({ timeoutMs: 1000, text: 'actions: [' }).errors[0]).toMatch(/not valid YAML/);
    expect(parseActionsFile({ timeoutMs: 1000, text: 'hello: 1' }).errors[0]).toMatch(/list "actions:"/);
  });
});

describe('slots', () => {
  it('reads order numbers, phone numbers, dates and options, and refuses values that cannot be values', () => {
    const order = action('order-status').slots[0];
    if (!order) throw new Error('no slot');
    expect(extractSlot({ slot: order, text: 'my order is kf20260001, thanks' })).toBe('kf20260001');
    expect(extractSlot({ slot: order, text: 'KF1; DROP TABLE orders' })).toBeUndefined();
    const ask = { en: 'Which?' };
    expect(extractSlot({ slot: { name: 'phone', extraction: { kind: 'phone' }, ask, maxLength: 30 }, text: 'call me on +86 138-0013-8000 please' })).toBe('+8613800138000');
    expect(extractSlot({ slot: { name: 'day', extraction: { kind: 'date' }, ask, maxLength: 30 }, text: '明天可以吗', today: new Date('2026-03-05T10:00:00Z') })).toBe('2026-03-06');
    expect(extractSlot({ slot: { name: 'day', extraction: { kind: 'date' }, ask, maxLength: 30 }, text: 'on 2026/2/30' })).toBeUndefined();
    expect(extractSlot({ slot: { name: 'day', extraction: { kind: 'date' }, ask, maxLength: 30 }, text: '3月5日' , today: new Date('2026-01-01T00:00:00Z') })).toBe('2026-03-05');
    const speed = { name: 'speed', extraction: { kind: 'option' as const, options: [{ value: 'express', words: ['fast', '加急'] }, { value: 'standard', words: ['普通'] }] }, ask, maxLength: 30 };
    expect(extractSlot({ slot: speed, text: 'the fast one' })).toBe('express');
    expect(extractSlot({ slot: speed, text: '普通的就行' })).toBe('standard');
    expect(extractSlot({ slot: speed, text: 'breakfast' })).toBeUndefined();
  });
});

describe('running an action against the order system', () => {
  it('asks for the order number when it is missing (en and zh), and reads where it stands from the history', async () => {
    const ask = await runner.run({ action: action('order-status'), messages: ['where is my order?'], language: 'en' });
    expect(ask).toMatchObject({ kind: 'ask', slot: 'order', text: expect.stringContaining('What is your order number?') });
    const zh = await runner.run({ action: action('order-status'), messages: ['我的订单到哪了'], language: 'zh' });
    expect(zh).toMatchObject({ kind: 'ask', text: expect.stringContaining('请提供您的订单号') });
    const pending = runner.pending([
      { role: 'user', text: 'where is my order?' },
      { role: 'assistant', text: ask.text },
    ]);
    expect(pending).toMatchObject({ awaiting: 'order', asked: 1, language: 'en', messages: ['where is my order?'] });
    expect(runner.pending([{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'Hello!' }])).toBeUndefined();
  });

  it('answers with the live status, with the secret sent only as the header', async () => {
    const before = api.requests.length;
    const reply = await runner.run({ action: action('order-status'), messages: ['where is my order?', `it is ${ORDERS.shipped}`], language: 'en' });
    expect(reply).toEqual({ kind: 'reply', action: 'order-status', text: `Order ${ORDERS.shipped} has status "shipped" with SF Express; expected delivery 2026-12-03.`, slots: { order: ORDERS.shipped } });
    const zh = await runner.run({ action: action('order-status'), messages: [`订单 ${ORDERS.shipped} 到哪了`], language: 'zh' });
    expect(zh.text).toBe(`订单 ${ORDERS.shipped} 当前状态：已发货（SF Express），预计 2026-12-03 送达。`);
    const sent = api.requests.slice(before);
    expect(sent.map((request) => request.url)).toEqual([`/api/orders/${ORDERS.shipped}`, `/api/orders/${ORDERS.shipped}`]);
    expect(sent.every((request) => request.authorization === `Bearer ${ORDER_API_TOKEN}`)).toBe(true);
  });

  it('says when the order does not exist (404) without handing over', async () => {
    const reply = await runner.run({ action: action('order-status'), messages: [ORDERS.missing], language: 'en' });
    expect(reply).toMatchObject({ kind: 'reply', notFound: true, text: `I could not find order ${ORDERS.missing}. Please check the number.` });
  });

  it.each([
    ['a 500', ORDERS.serverError, /HTTP 500/],
    ['an HTML page', ORDERS.html, /not JSON \(content-type text\/html\)/],
    ['a 50 MB body (read no further than the limit)', ORDERS.huge, /larger than 262144 bytes/],
    ['no answer at all', ORDERS.silent, /no answer within 800 ms/],
    ['broken JSON', ORDERS.badJson, /not valid JSON/],
  ])('turns %s into an apology and a hand-over that carries the slots', async (_name, order, reason) => {
    const started = performance.now();
    const turn = await runner.run({ action: action('order-status'), messages: [order], language: 'zh' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(turn).toMatchObject({ kind: 'failed', priority: 'high', slots: { order }, text: '抱歉，订单系统暂时无法访问，正在为您转接人工客服查询。' });
    if (turn.kind !== 'failed') throw new Error('not failed');
    expect(turn.failure).toMatch(reason);
    expect(JSON.stringify([turn, logged])).not.toContain(ORDER_API_TOKEN);
  });

  it('encodes injection-shaped slot values into the URL and the JSON body, and refuses ones that cannot be values', async () => {
    const lookup = action('code-lookup');
    for (const value of ['1; DROP TABLE users', '../../admin', 'a&b=c#d', '"},"admin":true,"x":{"']) {
      const before = api.requests.length;
      const turn = await runner.run({ action: lookup, messages: [`lookup ${value}`], language: 'en' });
      expect(turn.kind).toBe('reply');
      const [request] = api.requests.slice(before);
      const encoded = encodeURIComponent(value);
      expect(request?.url).toBe(`/api/lookup/${encoded}?q=${encoded}`);
      expect(JSON.parse(request?.body ?? '')).toEqual({ code: value, note: `asked for ${value}` });
    }
    // A value of dots alone would be a path step (/api/lookup/.. is /api/); 2 KB is over the slot's limit.
    for (const value of ['..', 'x'.repeat(2048)]) {
      const before = api.requests.length;
      expect(await runner.run({ action: lookup, messages: [`lookup ${value}`], language: 'en' })).toMatchObject({ kind: 'ask' });
      expect(api.requests.length).toBe(before);
    }
    // The order number slot takes only what looks like one.
    expect(await runner.run({ action: action('order-status'), messages: ['KF2026; DROP TABLE orders'], language: 'en' })).toMatchObject({ kind: 'ask' });
  });
});
