/**
 * The two WeChat API calls kefu makes: the access token (`GET /cgi-bin/token`), cached until shortly before it
 * expires and fetched once however many senders ask at once, and the customer-service text message
 * (`POST /cgi-bin/message/custom/send`), used for agent replies and for answers slower than the passive-reply window.
 * The AppSecret and the access token appear only in the URLs sent to WeChat, never in errors or logs.
 */
import { KefuError } from '../errors/index.ts';

export interface WechatApiSettings {
  readonly appId: string;
  readonly appSecret: string;
  readonly apiBaseUrl: string;
}

export interface WechatClient {
  /** Sends a text message to a follower; throws WECHAT_API_FAILED (naming WeChat's errcode, never a secret). */
  sendText(input: { openId: string; text: string }): Promise<void>;
}

/** errcodes meaning the access token is no longer valid: fetch a new one and try once more. */
const TOKEN_EXPIRED = new Set([40001, 40014, 42001]);
/** Renew this long before WeChat says the token expires (it lasts 7200 s). */
const RENEW_EARLY_MS = 300_000;
const TIMEOUT_MS = 5_000;

interface WechatAnswer {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
}

async function call(url: string, what: string, init: RequestInit = {}): Promise<WechatAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    // The URL carries the secret or the token: the cause keeps only its name.
    throw new KefuError('WECHAT_API_FAILED', { detail: `${what}: ${(error as Error).name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS} ms` : 'could not connect'}` });
  }
  const text = await response.text();
  if (!response.ok) throw new KefuError('WECHAT_API_FAILED', { detail: `${what}: HTTP ${response.status}` });
  try {
    return JSON.parse(text) as WechatAnswer;
  } catch {
    throw new KefuError('WECHAT_API_FAILED', { detail: `${what}: the answer is not JSON` });
  }
}

/**
 * A WeChat API client for one Official Account.
 *
 * @example
 *   const client = createWechatClient({ settings: config.channels.wechat });
 *   await client.sendText({ openId: 'oUser', text: 'Hello from Alice' });
 */
export function createWechatClient(options: { settings: WechatApiSettings; now?: () => number }): WechatClient {
  const { settings } = options;
  const now = options.now ?? Date.now;
  let cached: { token: string; expiresAt: number } | undefined;
  let fetching: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const url = new URL(`${settings.apiBaseUrl}/cgi-bin/token`);
    url.search = new URLSearchParams({ grant_type: 'client_credential', appid: settings.appId, secret: settings.appSecret }).toString();
    const answer = await call(url.toString(), 'access token');
    if (!answer.access_token) throw new KefuError('WECHAT_API_FAILED', { detail: `access token: errcode ${answer.errcode ?? '?'} ${answer.errmsg ?? ''}`.trim() });
    cached = { token: answer.access_token, expiresAt: now() + Math.max(60, answer.expires_in ?? 7200) * 1000 - RENEW_EARLY_MS };
    return answer.access_token;
  }

  async function accessToken(renew: boolean): Promise<string> {
    if (!settings.appId || !settings.appSecret) {
      throw new KefuError('WECHAT_API_FAILED', { detail: 'KEFU_WECHAT_APP_ID and KEFU_WECHAT_APP_SECRET are not set', hint: 'Set both to send agent replies and slow answers to WeChat users.' });
    }
    if (!renew && cached && cached.expiresAt > now()) return cached.token;
    fetching ??= fetchToken().finally(() => {
      fetching = undefined;
    });
    return fetching;
  }

  async function send(input: { openId: string; text: string }, renew: boolean): Promise<void> {
    const token = await accessToken(renew);
    const url = `${settings.apiBaseUrl}/cgi-bin/message/custom/send?access_token=${encodeURIComponent(token)}`;
    const answer = await call(url, 'customer-service message', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ touser: input.openId, msgtype: 'text', text: { content: input.text } }),
    });
    if (answer.errcode === undefined || answer.errcode === 0) return;
    if (!renew && TOKEN_EXPIRED.has(answer.errcode)) return send(input, true);
    throw new KefuError('WECHAT_API_FAILED', { detail: `customer-service message: errcode ${answer.errcode} ${answer.errmsg ?? ''}`.trim() });
  }

  return { sendText: (input) => send(input, false) };
}
