/**
 * The WeChat Official Account endpoint against a simulated WeChat (test/support/wechat-server.ts: a real HTTP server
 * that signs and posts messages the way WeChat does and plays the access-token and customer-service message APIs),
 * over a listening app with a real knowledge base.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { messageFields, parseXml, wechatSignature } from '../src/channels/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { APP_ID, APP_SECRET, postToKefu, signedQuery, startSimulatedWechat, textMessage, wechatXml, type SimulatedWechat } from './support/wechat-server.ts';

const TOKEN = 'kefuWechatToken2026';
const ACCOUNT = 'gh_kefu_test';

let fixture: ChatFixture;
let wechat: SimulatedWechat;

interface Running {
  app: KefuApp;
  records: RecordsStore;
  base: string;
  logs: string[];
}

async function start(options: { database: string; env?: Record<string, string> }): Promise<Running> {
  const config = loadConfig({
    env: {
      KEFU_DATA_DIR: fixture.dataDir,
      KEFU_WECHAT_TOKEN: TOKEN,
      KEFU_WECHAT_APP_ID: APP_ID,
      KEFU_WECHAT_APP_SECRET: APP_SECRET,
      KEFU_WECHAT_API_BASE_URL: wechat.apiBaseUrl,
      KEFU_WEBHOOK_RETRY_MS: '100',
      ...options.env,
    },
    dotenvDir: null,
    cwd: fixture.dataDir,
  });
  const records = openSqliteRecords({ path: path.join(fixture.dataDir, options.database) });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = await buildApp({ config, answerService: fixture.answerService, records, logger: { level: 'info', stream } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, records, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, logs };
}

let kefu: Running;
let nextMsgId = 24_000_000_000_000_000_00n;
const msgId = () => String((nextMsgId += 1n));

beforeAll(async () => {
  fixture = await createChatFixture();
  wechat = await startSimulatedWechat();
  kefu = await start({ database: 'kefu.db' });
});

afterAll(async () => {
  await kefu?.app.close();
  await kefu?.records.close();
  await wechat?.close();
  await fixture?.close();
});

const contentOf = (xml: string) => messageFields(parseXml(xml));

/** The conversation a follower is in now. */
async function conversationOf(openId: string) {
  const channel = await kefu.records.getChannel('wechat');
  if (!channel) throw new Error('the wechat channel was not registered');
  return (await kefu.records.channelConversation({ channel, externalUserId: openId, idleMs: 3_600_000 })).conversation;
}

describe('WeChat endpoint', () => {
  it('verifies the server URL: echoes echostr for the right signature, 403 otherwise', async () => {
    const good = await fetch(`${kefu.base}/wechat?${signedQuery(TOKEN, { echostr: '5837391735281350' })}`);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('5837391735281350');
    const wrong = await fetch(`${kefu.base}/wechat?${signedQuery('anotherToken', { echostr: '5837391735281350' })}`);
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain('5837391735281350');
    expect((await fetch(`${kefu.base}/wechat?echostr=1`)).status).toBe(403);
    // A signed URL captured an hour ago is refused (the signature does not cover the body).
    const timestamp = String(Math.floor(Date.now() / 1000) - 3600);
    const old = new URLSearchParams({ signature: wechatSignature({ token: TOKEN, timestamp, nonce: '7' }), timestamp, nonce: '7', echostr: '1' });
    expect((await fetch(`${kefu.base}/wechat?${old.toString()}`)).status).toBe(403);
  });

  it('refuses a message with a bad signature (403) without storing anything', async () => {
    const before = await kefu.records.lastEventSeq();
    const response = await postToKefu({ base: kefu.base, token: TOKEN, signature: '0'.repeat(40), xml: textMessage({ openId: 'oIntruder', content: 'How long do refunds take?', msgId: msgId() }) });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'WECHAT_SIGNATURE_INVALID' } });
    expect(await kefu.records.lastEventSeq()).toBe(before);
  });

  it('answers a text message with a passive XML reply from the knowledge base, in a wechat conversation', async () => {
    const response = await postToKefu({ base: kefu.base, token: TOKEN, xml: textMessage({ openId: 'oAlice', content: 'How long do refunds take?', msgId: msgId(), account: ACCOUNT }) });
    expect(response.status).toBe(200);
    expect(response.type).toContain('xml');
    const reply = contentOf(response.body);
    expect(reply).toMatchObject({ ToUserName: 'oAlice', FromUserName: ACCOUNT, MsgType: 'text' });
    expect(reply.Content).toMatch(/5 business days/);
    expect(reply.Content).not.toMatch(/\[\d+\]|\*\*/);
    const channel = await kefu.records.getChannel('wechat');
    expect(channel?.kind).toBe('wechat');
  });

  it('answers a retried MsgId once: the same answer, one stored turn', async () => {
    const id = msgId();
    const xml = textMessage({ openId: 'oBob', content: 'Do you ship to Canada?', msgId: id });
    const [first, retry] = await Promise.all([postToKefu({ base: kefu.base, token: TOKEN, xml }), postToKefu({ base: kefu.base, token: TOKEN, xml })]);
    // Whichever arrives while the first is being answered waits for that answer (or gets "success" when another
    // request of the same message replies); one arriving after it gets the same reply again. Never a second answer.
    const answers = [first.body, retry.body].filter((body) => body !== 'success').map((body) => contentOf(body).Content);
    expect(answers.length).toBeGreaterThanOrEqual(1);
    expect(new Set(answers).size).toBe(1);
    const answer = answers[0];
    expect(answer).toMatch(/Canada/);
    const late = await postToKefu({ base: kefu.base, token: TOKEN, xml });
    expect(contentOf(late.body).Content).toBe(answer);
    const messages = await kefu.records.listMessages((await conversationOf('oBob')).id);
    expect(messages.filter((message) => message.role === 'user').map((message) => message.text)).toEqual(['Do you ship to Canada?']);
    expect(messages.filter((message) => message.role === 'assistant')).toHaveLength(1);
  });

  it('hands over, and the agent\'s reply reaches the follower through the customer-service message API (token renewed when expired)', async () => {
    const handed = await postToKefu({ base: kefu.base, token: TOKEN, xml: textMessage({ openId: 'oCarol', content: '我要转人工', msgId: msgId() }) });
    expect(handed.status, handed.body).toBe(200);
    const conversation = await conversationOf('oCarol');
    expect(conversation.state).toBe('waiting');
    // While people have it, a message goes to them and WeChat gets "success".
    const routed = await postToKefu({ base: kefu.base, token: TOKEN, xml: textMessage({ openId: 'oCarol', content: '订单 1234 还没到', msgId: msgId() }) });
    expect(routed.body).toBe('success');

    const accounts = createAccounts({ records: kefu.records, settings: loadConfig({ env: {}, dotenvDir: null }).accounts });
    const agent = await accounts.addUser({ name: 'wang', role: 'agent', displayName: '小王' });
    wechat.expireTokenOnce();
    const before = wechat.sent.length;
    const reply = await fetch(`${kefu.base}/api/agent/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '您好，我是小王，正在为您查询订单 1234。' }),
    });
    expect(reply.status).toBe(201);
    const sent = await wechat.waitForSent(before + 2);
    const toCarol = sent.filter((message) => message.touser === 'oCarol').map((message) => message.text);
    expect(toCarol).toContain('您好，我是小王，正在为您查询订单 1234。');
    // The hand-over notice and "you are now chatting with 小王" went the same way.
    expect(toCarol.some((text) => /KF-\d+/.test(text))).toBe(true);
    expect(wechat.tokensIssued).toBeGreaterThanOrEqual(2);
    const joined = kefu.logs.join('');
    expect(joined).not.toContain(APP_SECRET);
    expect(joined).not.toContain('ACCESS_TOKEN_');
    expect(joined).not.toContain(TOKEN);
  });

  it('replies politely to pictures, untranscribed voice, links, unknown kinds and events; answers transcribed voice; welcomes new followers', async () => {
    const post = (fields: Record<string, string | number>) =>
      postToKefu({ base: kefu.base, token: TOKEN, xml: wechatXml({ ToUserName: ACCOUNT, FromUserName: 'oDan', CreateTime: Math.floor(Date.now() / 1000), ...fields }) });
    for (const kind of ['image', 'voice', 'video', 'location', 'link']) {
      const response = await post({ MsgType: kind, MsgId: msgId(), PicUrl: 'http://example.com/x.jpg' });
      expect(contentOf(response.body).Content, kind).toMatch(/text|文字/);
    }
    const transcribed = await post({ MsgType: 'voice', MsgId: msgId(), MediaId: 'm1', Format: 'amr', Recognition: 'How long do refunds take?' });
    expect(contentOf(transcribed.body).Content).toMatch(/5 business days/);
    const unknown = await post({ MsgType: 'hologram', MsgId: msgId() });
    expect(contentOf(unknown.body).Content).toMatch(/cannot read this kind of message/);
    const welcome = await post({ MsgType: 'event', Event: 'subscribe' });
    expect(contentOf(welcome.body).Content).toMatch(/Hello/);
    expect((await post({ MsgType: 'event', Event: 'unsubscribe' })).body).toBe('success');
    const huge = await post({ MsgType: 'text', MsgId: msgId(), Content: 'refund '.repeat(400) });
    expect(contentOf(huge.body).Content).toMatch(/too long/);
  });

  it('refuses malformed XML, entity declarations, the encrypted mode, an oversized body and JSON with a clear error', async () => {
    const cases: Array<{ xml: string; status: number; code: string; extraQuery?: Record<string, string> }> = [
      { xml: '<xml><MsgType>text</MsgType', status: 400, code: 'WECHAT_MESSAGE_INVALID' },
      { xml: '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>', status: 400, code: 'WECHAT_MESSAGE_INVALID' },
      { xml: wechatXml({ MsgType: 'text', Content: 'no sender' }), status: 400, code: 'WECHAT_MESSAGE_INVALID' },
      { xml: textMessage({ openId: 'oEve', content: 'x', msgId: msgId() }), status: 400, code: 'WECHAT_MESSAGE_INVALID', extraQuery: { encrypt_type: 'aes', msg_signature: 'abc' } },
      { xml: textMessage({ openId: 'oEve', content: 'x'.repeat(70_000), msgId: msgId() }), status: 413, code: 'REQUEST_TOO_LARGE' },
    ];
    for (const entry of cases) {
      const response = await postToKefu({ base: kefu.base, token: TOKEN, xml: entry.xml, ...(entry.extraQuery ? { extraQuery: entry.extraQuery } : {}) });
      expect([response.status, (JSON.parse(response.body) as { error: { code: string } }).error.code], entry.xml.slice(0, 80)).toEqual([entry.status, entry.code]);
    }
    const json = await fetch(`${kefu.base}/wechat?${signedQuery(TOKEN)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"MsgType":"text"}' });
    expect(json.status).toBe(400);
    // The rest of the API still takes JSON only.
    const chatAsXml = await fetch(`${kefu.base}/api/chat`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<xml/>' });
    expect(chatAsXml.status).toBe(415);
  });
});

describe('WeChat endpoint with a slow answer', () => {
  let slow: Running;
  beforeAll(async () => {
    // A 1 ms reply window: no answer can make it, so every answer takes the customer-service message API.
    slow = await start({ database: 'kefu-slow.db', env: { KEFU_WECHAT_REPLY_DEADLINE_MS: '1' } });
  });
  afterAll(async () => {
    await slow?.app.close();
    await slow?.records.close();
  });

  it('answers "success" at once and sends the answer through the API; a retry gets "success", not a second answer', async () => {
    const id = msgId();
    const xml = textMessage({ openId: 'oFrank', content: 'How long do refunds take?', msgId: id });
    const before = wechat.sent.filter((message) => message.touser === 'oFrank').length;
    const response = await postToKefu({ base: slow.base, token: TOKEN, xml });
    expect(response.body).toBe('success');
    const sent = await wechat.waitForSent(wechat.sent.length + 1);
    const toFrank = sent.filter((message) => message.touser === 'oFrank');
    expect(toFrank.length).toBe(before + 1);
    expect(toFrank.at(-1)?.text).toMatch(/5 business days/);
    const retry = await postToKefu({ base: slow.base, token: TOKEN, xml });
    expect(retry.body).toBe('success');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wechat.sent.filter((message) => message.touser === 'oFrank').length).toBe(before + 1);
  });

  it('sends one answer for WeChat\'s three tries of a message arriving while it is being answered', async () => {
    const xml = textMessage({ openId: 'oGrace', content: 'Do you ship to Canada?', msgId: msgId() });
    const tries = await Promise.all([0, 1, 2].map(() => postToKefu({ base: slow.base, token: TOKEN, xml })));
    expect(tries.map((response) => response.body)).toEqual(['success', 'success', 'success']);
    await wechat.waitForSent(wechat.sent.filter((message) => message.touser !== 'oGrace').length + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const toGrace = wechat.sent.filter((message) => message.touser === 'oGrace');
    expect(toGrace).toHaveLength(1);
    expect(toGrace[0]?.text).toMatch(/Canada/);
  });
});
