/**
 * Intents and business actions end to end over HTTP: an intents file in the inbox is trained by the real sync, an
 * actions.yaml calls a stand-in order API (a real HTTP server), and customers talk to POST /api/chat of the real app
 * over a real small index. The answer JSON names the intent; "where is my order?" asks for the number, the next
 * message gets the live status; a failing order system gives an apology and a ticket that carries the slots; an
 * intent routed to a person opens a ticket with its priority; an FAQ route answers that entry verbatim.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageFields, parseXml } from '../src/channels/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { ORDER_API_TOKEN, ORDERS, intentsCsv, orderActionsYaml, startOrderApi, type OrderApi } from './support/order-api.ts';
import { APP_ID, APP_SECRET, postToKefu, startSimulatedWechat, textMessage } from './support/wechat-server.ts';

const shopFaq = `id,question,answer
gift-1,Do you sell gift cards?,"Yes: gift cards from $10 to $200, sold online and in every store, valid for three years."
`;

let fixture: ChatFixture;
let api: OrderApi;
let actionsDir: string;
let records: RecordsStore;
let app: KefuApp;

interface ChatReply {
  answer: string;
  outcome: string;
  conversationId: string;
  conversationToken?: string;
  intent?: { name: string; confidence: number; route: string };
  action?: { name: string; status: string; slot?: string };
  handoff?: { ticket: { id: number; reason: string } };
  state: string;
}

async function chat(question: string, conversation?: { id: string; token: string }): Promise<ChatReply> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/chat',
    headers: conversation ? { 'x-conversation-token': conversation.token } : {},
    payload: { question, ...(conversation ? { conversationId: conversation.id } : {}) },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ChatReply>();
}

/** A new conversation: its first reply and the handle to continue it. */
async function start(question: string): Promise<{ reply: ChatReply; conversation: { id: string; token: string } }> {
  const reply = await chat(question);
  return { reply, conversation: { id: reply.conversationId, token: reply.conversationToken ?? '' } };
}

beforeAll(async () => {
  api = await startOrderApi();
  actionsDir = await mkdtemp(path.join(tmpdir(), 'kefu-actions-'));
  await writeFile(path.join(actionsDir, 'actions.yaml'), orderActionsYaml(api.url, { timeoutMs: 1000 }));
  fixture = await createChatFixture(
    { KEFU_RATE_LIMIT_PER_MINUTE: '100000', KEFU_ACTIONS_FILE: path.join(actionsDir, 'actions.yaml'), ORDER_API_TOKEN },
    { 'intents.csv': intentsCsv, 'shop-faq.csv': shopFaq },
  );
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false, documents: fixture.documents, documentReader: fixture.documentReader });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await records?.close();
  await fixture?.close();
  await api?.close();
  if (actionsDir) await rm(actionsDir, { recursive: true, force: true });
});

describe('an order-status conversation', () => {
  it('is recognised by intent, asks for the order number, and answers the next message with the live status', async () => {
    const { reply, conversation } = await start('has my parcel been dispatched yet');
    expect(reply.intent).toMatchObject({ name: 'order_status', route: 'action:order-status' });
    expect(reply.intent?.confidence).toBeGreaterThan(0.3);
    expect(reply).toMatchObject({ outcome: 'clarify', action: { name: 'order-status', status: 'asked', slot: 'order' } });
    expect(reply.answer).toContain('What is your order number?');
    const before = api.requests.length;
    const status = await chat(`Sure, it's ${ORDERS.shipped}`, conversation);
    expect(status).toMatchObject({ outcome: 'answered', action: { name: 'order-status', status: 'answered' }, state: 'bot' });
    expect(status.answer).toBe(`Order ${ORDERS.shipped} has status "shipped" with SF Express; expected delivery 2026-12-03.`);
    expect(api.requests.slice(before).map((request) => request.url)).toEqual([`/api/orders/${ORDERS.shipped}`]);
  });

  it('works in Chinese, started by the action pattern', async () => {
    const { reply, conversation } = await start('我的订单到哪了？');
    expect(reply.answer).toBe('请提供您的订单号（以 KF 开头，例如 KF20260001）。');
    const status = await chat(ORDERS.shipped, conversation);
    expect(status.answer).toBe(`订单 ${ORDERS.shipped} 当前状态：已发货（SF Express），预计 2026-12-03 送达。`);
    // A bare order number has no language of its own: the answer keeps the conversation's.
    expect((status as unknown as { language: string }).language).toBe('zh');
  });

  it('asks again for a reply that is not a number, and leaves the action when the customer changes topic', async () => {
    const { conversation } = await start('where is my order?');
    const again = await chat('hmm one sec', conversation);
    expect(again).toMatchObject({ outcome: 'clarify', action: { status: 'asked' } });
    expect(again.answer).toMatch(/^I could not find that in your message\. What is your order number\?/);
    const other = await chat('How long do I have to return an item?', conversation);
    expect(other.action).toBeUndefined();
    expect(other.intent).toMatchObject({ name: 'returns', route: 'retrieval' });
    expect(other.outcome).toBe('answered');
    expect(other.answer).toMatch(/30 days/);
  });

  it('apologises and hands over when the order system fails; the ticket carries the slots and the priority', async () => {
    const { reply, conversation } = await start(`where is my order ${ORDERS.serverError}`);
    expect(reply).toMatchObject({ outcome: 'handoff', action: { name: 'order-status', status: 'failed' }, state: 'waiting', handoff: { ticket: { reason: 'intent' } } });
    expect(reply.answer).toMatch(/cannot reach the order system/);
    const ticket = await records.currentTicket(conversation.id);
    expect(ticket).toMatchObject({ reason: 'intent', priority: 'high' });
    expect(ticket?.note).toContain(`order=${ORDERS.serverError}`);
    expect(ticket?.note).toContain('HTTP 500');
    // The secret is nowhere in what was stored or shown.
    const stored = JSON.stringify(await records.listMessages(conversation.id)) + JSON.stringify(ticket) + JSON.stringify(reply);
    expect(stored).not.toContain(ORDER_API_TOKEN);
  });
});

describe('other intent routes', () => {
  it('hands a complaint to a person with the intent\'s priority', async () => {
    const { reply, conversation } = await start('I would like to make a formal complaint about your staff');
    expect(reply).toMatchObject({ outcome: 'handoff', intent: { name: 'complaint', route: 'person:high' }, handoff: { ticket: { reason: 'intent' } }, state: 'waiting' });
    expect(await records.currentTicket(conversation.id)).toMatchObject({ reason: 'intent', priority: 'high', note: 'intent complaint' });
  });

  it('answers an intent routed to an FAQ entry with that entry, verbatim', async () => {
    const { reply } = await start('can I buy a gift voucher for my friend');
    expect(reply).toMatchObject({ outcome: 'faq', intent: { name: 'gift_cards', route: 'faq:gift-1' } });
    expect(reply.answer).toBe('Yes: gift cards from $10 to $200, sold online and in every store, valid for three years. [1]');
  });

  it('answers an intent routed to retrieval from the documents, naming the intent', async () => {
    const { reply } = await start('How long do refunds take?');
    expect(reply.intent).toMatchObject({ name: 'returns', route: 'retrieval' });
    expect(reply.action).toBeUndefined();
    expect(reply.answer).toMatch(/5 business days/);
  });

  it('gives no intent to a message that belongs to none, and answers it as before', async () => {
    const { reply } = await start('what will the weather be like in Paris tomorrow');
    expect(reply.intent).toBeUndefined();
    expect(reply.action).toBeUndefined();
    expect(reply.outcome).toBe('refused');
  });
});

describe('an order-status conversation through WeChat', () => {
  it('asks a follower for the order number and replies with the live status, on the same answer path as the web chat', async () => {
    const token = 'kefuWechatToken2026';
    const wechat = await startSimulatedWechat();
    const config = loadConfig({
      env: {
        KEFU_DATA_DIR: fixture.dataDir,
        KEFU_ACTIONS_FILE: path.join(actionsDir, 'actions.yaml'),
        ORDER_API_TOKEN,
        KEFU_WECHAT_TOKEN: token,
        KEFU_WECHAT_APP_ID: APP_ID,
        KEFU_WECHAT_APP_SECRET: APP_SECRET,
        KEFU_WECHAT_API_BASE_URL: wechat.apiBaseUrl,
      },
      dotenvDir: null,
      cwd: fixture.dataDir,
    });
    const wechatRecords = openSqliteRecords({ path: path.join(fixture.dataDir, 'wechat.db') });
    const wechatApp = await buildApp({ config, answerService: fixture.answerService, records: wechatRecords, logger: false });
    await wechatApp.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(wechatApp.server.address() as AddressInfo).port}`;
    let sentBefore = 0;
    /** The follower's message and kefu's reply: the passive reply, or (past WeChat's 5 s on a busy machine) the API message. */
    async function say(content: string, msgId: string): Promise<string> {
      const response = await postToKefu({ base, token, xml: textMessage({ openId: 'oOrderFollower', content, msgId }) });
      expect(response.status).toBe(200);
      if (response.body !== 'success') return messageFields(parseXml(response.body)).Content ?? '';
      const sent = await wechat.waitForSent(sentBefore + 1, 30_000);
      sentBefore = sent.length;
      return sent.at(-1)?.text ?? '';
    }
    try {
      const before = api.requests.length;
      expect(await say('where is my order?', '9100000000000000001')).toContain('What is your order number?');
      expect(await say(`it is ${ORDERS.shipped}`, '9100000000000000002')).toBe(`Order ${ORDERS.shipped} has status "shipped" with SF Express; expected delivery 2026-12-03.`);
      expect(api.requests.slice(before).map((request) => request.url)).toEqual([`/api/orders/${ORDERS.shipped}`]);
    } finally {
      await wechatApp.close();
      await wechatRecords.close();
      await wechat.close();
    }
  });
});
