/**
 * A simulated WeChat for tests and the bench: a real HTTP server that plays the WeChat API kefu calls (the access
 * token and the customer-service message API) and a sender that signs and posts messages to kefu's /wechat the way
 * WeChat's servers do (query signature, XML body, plain-text mode).
 */
import { randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { wechatSignature } from '../../src/channels/wechat-protocol.ts';

export const APP_ID = 'wx1234567890abcdef';
export const APP_SECRET = 'a-simulated-app-secret-0123456789';

export interface SentMessage {
  touser: string;
  text: string;
  at: number;
}

export interface SimulatedWechat {
  /** The API base URL (KEFU_WECHAT_API_BASE_URL). */
  apiBaseUrl: string;
  /** Messages kefu sent through the customer-service message API. */
  sent: SentMessage[];
  /** Access tokens handed out. */
  tokensIssued: number;
  /** Every API request's URL (secrets included: only the test reads them). */
  requests: string[];
  /** The next custom-send answers errcode 42001 (token expired) once. */
  expireTokenOnce(): void;
  /** Resolves when `count` messages have been sent through the API (or rejects after `timeoutMs`). */
  waitForSent(count: number, timeoutMs?: number): Promise<SentMessage[]>;
  close(): Promise<void>;
}

/** Starts the simulated WeChat API. */
export async function startSimulatedWechat(): Promise<SimulatedWechat> {
  const validTokens = new Set<string>();
  let expireNext = false;
  const waiters = new Set<() => boolean>();
  const state: SimulatedWechat = {
    apiBaseUrl: '',
    sent: [],
    tokensIssued: 0,
    requests: [],
    expireTokenOnce: () => {
      expireNext = true;
    },
    waitForSent: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (state.sent.length >= count) {
            clearTimeout(timer);
            resolve(state.sent);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`only ${state.sent.length} of ${count} WeChat messages arrived`)), timeoutMs);
        if (!check()) waiters.add(check);
      }),
    close: async () => undefined,
  };
  const json = (response: http.ServerResponse, body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://wechat.test');
      state.requests.push(url.toString());
      if (request.method === 'GET' && url.pathname === '/cgi-bin/token') {
        if (url.searchParams.get('grant_type') !== 'client_credential' || url.searchParams.get('appid') !== APP_ID || url.searchParams.get('secret') !== APP_SECRET) {
          json(response, { errcode: 40125, errmsg: 'invalid appsecret' });
          return;
        }
        state.tokensIssued += 1;
        const token = `ACCESS_TOKEN_${state.tokensIssued}_${randomInt(1e9)}`;
        validTokens.add(token);
        json(response, { access_token: token, expires_in: 7200 });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
        const token = url.searchParams.get('access_token') ?? '';
        if (expireNext) {
          expireNext = false;
          validTokens.delete(token);
        }
        if (!validTokens.has(token)) {
          json(response, { errcode: 42001, errmsg: 'access_token expired' });
          return;
        }
        const message = JSON.parse(body) as { touser?: string; msgtype?: string; text?: { content?: string } };
        if (message.msgtype !== 'text' || !message.touser || typeof message.text?.content !== 'string') {
          json(response, { errcode: 40008, errmsg: 'invalid message type' });
          return;
        }
        state.sent.push({ touser: message.touser, text: message.text.content, at: performance.now() });
        for (const waiter of [...waiters]) if (waiter()) waiters.delete(waiter);
        json(response, { errcode: 0, errmsg: 'ok' });
        return;
      }
      response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.apiBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return state;
}

/** The query WeChat adds to each request to the server URL. */
export function signedQuery(token: string, extra: Record<string, string> = {}, signatureOverride?: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(1e9));
  const signature = signatureOverride ?? wechatSignature({ token, timestamp, nonce });
  return new URLSearchParams({ signature, timestamp, nonce, ...extra }).toString();
}

/** A message as WeChat's XML (plain-text mode). */
export function wechatXml(fields: Record<string, string | number>): string {
  const inner = Object.entries(fields)
    .map(([name, value]) => (typeof value === 'number' || /^\d+$/.test(value) ? `<${name}>${value}</${name}>` : `<${name}><![CDATA[${value}]]></${name}>`))
    .join('');
  return `<xml>${inner}</xml>`;
}

/** A text message from a follower to the account. */
export function textMessage(options: { openId: string; content: string; msgId: string | number; account?: string }): string {
  return wechatXml({
    ToUserName: options.account ?? 'gh_kefu_test',
    FromUserName: options.openId,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'text',
    Content: options.content,
    // WeChat's MsgId is a 64-bit number: kept as digits, never through a JavaScript number.
    MsgId: String(options.msgId),
  });
}

/** Posts a message to kefu's /wechat as WeChat does; returns the status, content type and body. */
export async function postToKefu(options: { base: string; token: string; xml: string; signature?: string; extraQuery?: Record<string, string> }): Promise<{ status: number; type: string; body: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${options.base}/wechat?${signedQuery(options.token, { openid: 'x', ...options.extraQuery }, options.signature)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: options.xml,
  });
  const body = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', body, ms: performance.now() - started };
}
