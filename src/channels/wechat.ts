/**
 * The WeChat Official Account endpoint without HTTP: URL verification, messages in, passive replies out.
 *
 * - Every request must carry WeChat's signature (sha1 of the sorted token, timestamp and nonce) with a timestamp within
 *   5 minutes of this machine's clock: anything else is refused (WECHAT_SIGNATURE_INVALID, 403) before the body is
 *   looked at (the route checks it in a hook).
 * - A text message (and a voice message WeChat transcribed, `Recognition`) is a customer turn of the `wechat` channel
 *   for the follower's openid. The answer goes back as the passive reply when it is ready within
 *   KEFU_WECHAT_REPLY_DEADLINE_MS (WeChat waits 5 s); otherwise kefu answers `success` (WeChat then shows nothing and
 *   does not retry) and sends the answer through the customer-service message API when it is ready.
 * - WeChat retries a message it got no answer for (three times, by MsgId): a retry of a message being answered waits
 *   for the same answer (the newest waiting request gets it, the others `success`), a retry of one answered gets the
 *   same reply (or `success` when it went out through the API), and nothing is answered or stored twice.
 * - Pictures, voice without transcription, video, location, links, files get a polite sentence asking for text; a
 *   new follower (`subscribe`) gets the welcome; other events and unknown kinds get `success` or a polite sentence.
 * - While people have the conversation the message goes to them and the reply is `success`: their answers arrive
 *   through the customer-service message API (the channel outbox).
 */
import { KefuError } from '../errors/index.ts';
import { toPlainText } from '../text/markdown.ts';
import type { ChannelRecord } from '../records/types.ts';
import { MAX_EXTERNAL_ID_CHARS, type ChannelService, type ChannelTurnResult } from './service.ts';
import type { WechatClient } from './wechat-client.ts';
import { checkSignature, fitWechatText, messageFields, parseXml, textReply } from './wechat-protocol.ts';

export interface WechatSettings {
  readonly token: string;
  readonly replyDeadlineMs: number;
  readonly welcome: string;
}

export interface WechatLogger {
  info(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
}

/** What the route sends back. */
export interface WechatResponse {
  contentType: 'application/xml; charset=utf-8' | 'text/plain; charset=utf-8';
  body: string;
}

export interface WechatEndpoint {
  /** True when the query carries WeChat's signature for this token (checked before the body is read). */
  signed(query: Record<string, unknown>): boolean;
  /** GET: the `echostr` back, for a signed request (the route refused unsigned ones). */
  verify(query: Record<string, unknown>): WechatResponse;
  /** POST: one message; `receivedAt` is when the request arrived (the reply deadline counts from it). */
  receive(input: { query: Record<string, unknown>; body: string; receivedAt?: number }): Promise<WechatResponse>;
  /** Slow answers still being sent through the API (tests and shutdown wait for them). */
  settle(): Promise<void>;
}

// What WeChat users are told, in Chinese first (most of them read it) and English.
const WELCOME = '您好！我是智能客服，请直接输入您的问题。\nHello! I am the customer-service assistant: type your question.';
const TEXT_ONLY = '抱歉，我目前只能阅读文字消息，请用文字描述您的问题。\nSorry, I can only read text messages for now: please type your question.';
const UNKNOWN_KIND = '抱歉，暂不支持这种消息，请用文字描述您的问题。\nSorry, I cannot read this kind of message: please type your question.';
const TOO_LONG = '您的消息太长了，请简短描述您的问题。\nYour message is too long: please ask in fewer words.';
const FAILED = '抱歉，系统暂时出了问题，请稍后再试。\nSorry, something went wrong on our side: please try again in a moment.';
/** Kinds WeChat documents besides text and events: answered with TEXT_ONLY. */
const MEDIA_KINDS = new Set(['image', 'voice', 'video', 'shortvideo', 'location', 'link', 'file']);
const SUCCESS: WechatResponse = { contentType: 'text/plain; charset=utf-8', body: 'success' };
/** Answered message ids remembered for WeChat's retries (which come within about 15 s). */
const REMEMBERED = 10_000;
/** Customer-service message attempts for a slow answer, and the wait before the second. */
const SEND_ATTEMPTS = 3;
const SEND_RETRY_MS = 1_000;
/** How far a request's timestamp may be from this machine's clock (replays of a captured signed URL). */
const SIGNATURE_MAX_AGE_MS = 300_000;

/** An answer as a WeChat text: plain text (no Markdown, no [n] markers), within WeChat's length limit. */
export function wechatText(markdown: string): string {
  return fitWechatText(toPlainText(markdown).replace(/ ?\[\d+\]/g, '').trim());
}

interface InProgress {
  /** Requests for this message waiting for its answer (the first and WeChat's retries). */
  waiters: Set<(text: string | undefined) => void>;
}

/**
 * The endpoint.
 *
 * @example
 *   const endpoint = createWechatEndpoint({ settings: config.channels.wechat, channels, client, maxQuestionChars: 2000, log });
 *   const reply = await endpoint.receive({ query: request.query, body: xml });
 */
export function createWechatEndpoint(options: {
  settings: WechatSettings;
  channels: ChannelService;
  client?: WechatClient;
  maxQuestionChars: number;
  log: WechatLogger;
  now?: () => number;
}): WechatEndpoint {
  const { settings, channels, log } = options;
  const now = options.now ?? Date.now;
  const inProgress = new Map<string, InProgress>();
  const answered = new Map<string, { text: string; via: 'passive' | 'api' | 'none' }>();
  const sending = new Set<Promise<void>>();
  let channel: Promise<ChannelRecord> | undefined;

  const wechatChannel = (): Promise<ChannelRecord> => {
    channel ??= channels.ensureWechat().catch((error: unknown) => {
      channel = undefined;
      throw error;
    });
    return channel;
  };

  function remember(key: string, value: { text: string; via: 'passive' | 'api' | 'none' }): void {
    answered.set(key, value);
    if (answered.size > REMEMBERED) answered.delete(answered.keys().next().value ?? '');
  }

  async function sendThroughApi(openId: string, text: string, key: string): Promise<void> {
    if (!options.client) {
      log.warn({ msgId: key }, 'a WeChat answer was too slow for the passive reply and KEFU_WECHAT_APP_ID/SECRET are not set: it was not sent');
      return;
    }
    for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt += 1) {
      try {
        await options.client.sendText({ openId, text });
        return;
      } catch (error) {
        log.warn({ msgId: key, attempt, error: (error as Error).message }, 'sending a slow WeChat answer through the customer-service API failed');
        if (attempt < SEND_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, SEND_RETRY_MS * attempt));
      }
    }
  }

  /** The answer is ready: the newest waiting request replies with it, or the API sends it when nobody waits any more. */
  function settle(key: string, entry: InProgress, openId: string, text: string | undefined): void {
    inProgress.delete(key);
    const waiters = [...entry.waiters];
    entry.waiters.clear();
    const newest = text ? waiters.pop() : undefined;
    for (const waiter of waiters) waiter(undefined);
    if (!text) {
      remember(key, { text: '', via: 'none' });
    } else if (newest) {
      remember(key, { text, via: 'passive' });
      newest(text);
    } else {
      remember(key, { text, via: 'api' });
      const work = sendThroughApi(openId, text, key).finally(() => sending.delete(work));
      sending.add(work);
    }
  }

  function replyTextOf(result: ChannelTurnResult): string | undefined {
    // A repeat answered by another process: it replied or sent the answer itself.
    if (result.duplicate || result.routed || !result.answer) return undefined;
    const { text, outcome, suggestions } = result.answer;
    // "Did you mean …?" lists its questions as buttons on the web; a WeChat follower reads them as lines to copy.
    const choices = outcome === 'clarify' && suggestions.length > 0 ? `\n${suggestions.map((suggestion) => `• ${suggestion}`).join('\n')}` : '';
    return wechatText(`${text}${choices}`) || undefined;
  }

  async function textMessage(input: { key: string; openId: string; text: string; deadline: number; reply: (content: string) => WechatResponse }): Promise<WechatResponse> {
    const { key, openId } = input;
    const done = answered.get(key);
    if (done) return done.via === 'passive' ? input.reply(done.text) : SUCCESS;
    let entry = inProgress.get(key);
    if (!entry) {
      const created: InProgress = { waiters: new Set() };
      entry = created;
      inProgress.set(key, created);
      void (async () => {
        let text: string | undefined;
        try {
          text = replyTextOf(await channels.inbound({ channel: await wechatChannel(), externalUserId: openId, text: input.text, messageId: key }));
        } catch (error) {
          // Another process is answering this message: it replies.
          if ((error as KefuError).code === 'CHANNEL_MESSAGE_PENDING') text = undefined;
          else {
            log.warn({ err: error, msgId: key }, 'a WeChat message could not be answered');
            text = FAILED;
          }
        }
        settle(key, created, openId, text);
      })();
    }
    const waiting = entry;
    return new Promise<WechatResponse>((resolve) => {
      const waiter = (text: string | undefined) => {
        clearTimeout(timer);
        resolve(text ? input.reply(text) : SUCCESS);
      };
      const timer = setTimeout(() => {
        // Too slow for this request: `success` now; the answer goes to a later retry, or through the API.
        if (waiting.waiters.delete(waiter)) resolve(SUCCESS);
      }, Math.max(0, input.deadline - now()));
      waiting.waiters.add(waiter);
    });
  }

  return {
    signed(query) {
      // The signature covers the token, timestamp and nonce, not the body: a captured URL could carry another body,
      // so it is only good for a while (WeChat's own retries come within seconds).
      const timestamp = typeof query.timestamp === 'string' && /^\d{1,12}$/.test(query.timestamp) ? Number(query.timestamp) * 1000 : Number.NaN;
      if (!(Math.abs(now() - timestamp) <= SIGNATURE_MAX_AGE_MS)) return false;
      return checkSignature({ token: settings.token, timestamp: query.timestamp, nonce: query.nonce, signature: query.signature });
    },

    verify: (query) => ({ contentType: 'text/plain; charset=utf-8', body: typeof query.echostr === 'string' ? query.echostr : '' }),

    async receive(input) {
      const receivedAt = input.receivedAt ?? now();
      if (input.query.encrypt_type === 'aes') {
        throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: 'the encrypted (safe) mode is not supported', hint: 'Set the message encryption mode of the Official Account to plain text (明文模式).' });
      }
      const fields = messageFields(parseXml(input.body));
      const openId = fields.FromUserName ?? '';
      const account = fields.ToUserName ?? '';
      const kind = fields.MsgType ?? '';
      if (!openId || !account || !kind) throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: 'ToUserName, FromUserName and MsgType are required' });
      if (openId.length > MAX_EXTERNAL_ID_CHARS) throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: 'FromUserName is too long' });
      const reply = (content: string): WechatResponse => ({ contentType: 'application/xml; charset=utf-8', body: textReply({ to: openId, from: account, content, now: new Date(now()) }) });
      const transcribed = kind === 'voice' ? (fields.Recognition ?? '').trim() : '';
      if (kind === 'text' || transcribed) {
        const text = transcribed || (fields.Content ?? '').trim();
        if (!text) return reply(TEXT_ONLY);
        if (text.length > options.maxQuestionChars) return reply(TOO_LONG);
        // WeChat's retries carry the same MsgId; a message without one is keyed as WeChat advises (sender + time).
        const key = (fields.MsgId || `${openId}:${fields.CreateTime ?? ''}`).slice(0, MAX_EXTERNAL_ID_CHARS);
        return textMessage({ key, openId, text, deadline: receivedAt + settings.replyDeadlineMs, reply });
      }
      if (kind === 'event') return (fields.Event ?? '').toLowerCase() === 'subscribe' ? reply(settings.welcome || WELCOME) : SUCCESS;
      if (MEDIA_KINDS.has(kind)) return reply(TEXT_ONLY);
      return reply(UNKNOWN_KIND);
    },

    async settle() {
      await Promise.all([...sending]);
    },
  };
}
