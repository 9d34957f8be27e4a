/**
 * The channel outbox: what reaches a channel's user outside a turn (an agent's reply, kefu's notices such as the
 * hand-over or "You are now chatting with Alice") and the conversation's state changes, sent to the channel's backend
 * as signed webhooks, or to a WeChat follower through the customer-service message API.
 *
 * It works like the webhook worker (src/events/webhooks.ts): it follows the records' event log with its own cursor,
 * queues one delivery per event and channel in `channel_deliveries` (an event committed is never lost, even if the
 * process dies before sending), and sends due deliveries off the request path, retrying with exponential back-off up
 * to KEFU_WEBHOOK_MAX_ATTEMPTS. The answer to a customer's message is not sent here: it is in the response to that
 * message (or, for a slow WeChat answer, sent by the WeChat handler itself).
 */
import { signPayload } from '../events/webhooks.ts';
import type { EventBus } from '../events/bus.ts';
import { toPlainText } from '../text/markdown.ts';
import { CHANNEL_OUTBOX_CURSOR as CURSOR } from '../records/index.ts';
import type { ChannelConversation, ChannelDelivery, ChannelRecord, ConversationEvent, RecordsStore } from '../records/types.ts';
import { fitWechatText } from './wechat-protocol.ts';
import type { WechatClient } from './wechat-client.ts';

export interface OutboxSettings {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryMs: number;
}

export interface OutboxLogger {
  info(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
}

export interface ChannelOutbox {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One round now: queue new events, send what is due, wait for the sends (tests and shutdown). */
  flush(): Promise<void>;
}

/** The webhook body of a channel delivery. */
export interface ChannelEventBody {
  id: string;
  type: 'message.created' | 'conversation.state';
  createdAt: string;
  channel: string;
  externalUserId: string;
  conversationId: string;
  message?: { id: string; role: 'agent' | 'system'; text: string; authorName?: string; createdAt: string };
  state?: { from: string; to: string; cause: string };
}

const CONCURRENCY = 8;
const POLL_MS = 1000;
const MAX_BACKOFF_MS = 3_600_000;

/** Which events a channel's user hears about: what people and notices say, and state changes. */
export function channelEventKind(event: ConversationEvent): 'message' | 'state' | undefined {
  if (event.type === 'message-added' && (event.data.role === 'agent' || event.data.role === 'system')) return 'message';
  if (event.type === 'state-changed') return 'state';
  return undefined;
}

/**
 * The body for one event of a channel's conversation (undefined when the message is gone).
 *
 * @example
 *   await channelEventBody({ records, event, channel, link }) // { type: 'message.created', message: { text: 'Hello, Alice here.' }, … }
 */
export async function channelEventBody(options: { records: RecordsStore; event: ConversationEvent; channel: ChannelRecord; link: ChannelConversation }): Promise<ChannelEventBody | undefined> {
  const { event, channel, link } = options;
  const base = { id: `chd_${event.seq}`, createdAt: event.at, channel: channel.name, externalUserId: link.externalUserId, conversationId: event.conversationId };
  if (channelEventKind(event) === 'state') {
    return { ...base, type: 'conversation.state', state: { from: String(event.data.from), to: String(event.data.to), cause: String(event.data.cause) } };
  }
  const message = typeof event.data.messageId === 'string' ? await options.records.getMessage(event.data.messageId) : undefined;
  if (!message || (message.role !== 'agent' && message.role !== 'system')) return undefined;
  return {
    ...base,
    type: 'message.created',
    message: { id: message.id, role: message.role, text: message.text, createdAt: message.createdAt, ...(message.authorName ? { authorName: message.authorName } : {}) },
  };
}

/**
 * The outbox worker.
 *
 * @example
 *   const outbox = createChannelOutbox({ records, bus, settings: config.webhooks, log: app.log, wechat });
 *   await outbox.start();
 */
export function createChannelOutbox(options: { records: RecordsStore; bus: EventBus; settings: OutboxSettings; log: OutboxLogger; wechat?: WechatClient; now?: () => Date }): ChannelOutbox {
  const { records, settings, log } = options;
  const now = options.now ?? (() => new Date());
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let round: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  /** Channels that can be told anything: a webhook URL, or WeChat with an API client. */
  const deliverable = (channel: ChannelRecord): boolean => !channel.disabled && (channel.kind === 'wechat' ? options.wechat !== undefined : channel.webhookUrl !== undefined);

  async function queueNewEvents(): Promise<void> {
    const channels = new Map((await records.listChannels()).filter(deliverable).map((channel) => [channel.id, channel]));
    // No channel to tell anything: no reads of the log, no writes (a channel registered later has no past to catch up).
    if (channels.size === 0) return;
    const cursor = await records.getCursor(CURSOR);
    if (cursor === undefined) {
      // Registering a channel sets the cursor; without one (a database from before that), follow from here on.
      await records.enqueueChannelDeliveries({ cursor: CURSOR, upToSeq: await records.lastEventSeq(), deliveries: [] });
      return;
    }
    let position = cursor;
    const links = new Map<string, ChannelConversation | undefined>();
    for (;;) {
      const events = await records.listEvents({ afterSeq: position, limit: 500, types: ['message-added', 'state-changed'] });
      const last = events.at(-1);
      if (!last) return;
      const deliveries: Parameters<RecordsStore['enqueueChannelDeliveries']>[0]['deliveries'] = [];
      for (const event of events) {
        const kind = channelEventKind(event);
        if (!kind) continue;
        if (!links.has(event.conversationId)) links.set(event.conversationId, await records.conversationChannel(event.conversationId));
        const link = links.get(event.conversationId);
        const channel = link ? channels.get(link.channelId) : undefined;
        if (!link || !channel) continue;
        // A WeChat follower reads messages, not state changes.
        if (channel.kind === 'wechat' && kind === 'state') continue;
        const body = await channelEventBody({ records, event, channel, link });
        if (!body) continue;
        deliveries.push({ channelId: channel.id, eventSeq: event.seq, conversationId: event.conversationId, externalUserId: link.externalUserId, kind, payload: JSON.stringify(body), nextAttemptAt: now().toISOString() });
      }
      await records.enqueueChannelDeliveries({ cursor: CURSOR, upToSeq: last.seq, deliveries });
      position = last.seq;
    }
  }

  async function sendWebhook(delivery: ChannelDelivery, channel: ChannelRecord): Promise<{ statusCode?: number; error?: string }> {
    const secret = (await records.channelWebhookSecret(channel.id)) ?? '';
    try {
      const response = await fetch(channel.webhookUrl ?? '', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'kefu-channels/1',
          'x-kefu-event': (JSON.parse(delivery.payload) as ChannelEventBody).type,
          'x-kefu-delivery': delivery.id,
          'x-kefu-signature': signPayload({ secret, body: delivery.payload, timestamp: Math.floor(now().getTime() / 1000) }),
        },
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? { statusCode: response.status } : { statusCode: response.status, error: `the receiver answered HTTP ${response.status}` };
    } catch (caught) {
      const cause = (caught as { cause?: { code?: string } }).cause?.code;
      return { error: (caught as Error).name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : `could not connect${cause ? ` (${cause})` : ''}` };
    }
  }

  async function sendWechat(delivery: ChannelDelivery): Promise<{ statusCode?: number; error?: string }> {
    const body = JSON.parse(delivery.payload) as ChannelEventBody;
    const text = fitWechatText(toPlainText(body.message?.text ?? ''));
    try {
      await options.wechat?.sendText({ openId: delivery.externalUserId, text });
      return {};
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  async function send(delivery: ChannelDelivery): Promise<void> {
    const channel = await records.getChannel(delivery.channelId);
    const outcome = !channel || !deliverable(channel) ? { error: 'the channel was disabled or has no webhook any more' } : channel.kind === 'wechat' ? await sendWechat(delivery) : await sendWebhook(delivery, channel);
    if (!outcome.error) {
      await records.finishChannelDelivery({ id: delivery.id, status: 'delivered', ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}) });
      return;
    }
    const attempt = delivery.attempts + 1;
    const giveUp = attempt >= settings.maxAttempts || !channel;
    const backoff = Math.min(settings.retryMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
    await records.finishChannelDelivery({
      id: delivery.id,
      status: giveUp ? 'failed' : 'pending',
      nextAttemptAt: new Date(now().getTime() + backoff).toISOString(),
      ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
      error: outcome.error,
    });
    const context = { delivery: delivery.id, channel: channel?.name, attempt, error: outcome.error };
    if (giveUp) log.warn(context, 'channel delivery failed for good');
    else log.info({ ...context, retryInMs: backoff }, 'channel delivery failed; will retry');
  }

  async function sendDue(): Promise<void> {
    const free = CONCURRENCY - inFlight.size;
    if (free <= 0) return;
    const due = await records.claimChannelDeliveries({ now: now().toISOString(), limit: free, leaseMs: settings.timeoutMs * 2 + 1000 });
    for (const delivery of due) {
      const sending = send(delivery)
        .catch((error: unknown) => log.warn({ err: error, delivery: delivery.id }, 'channel delivery could not be recorded'))
        .finally(() => {
          inFlight.delete(sending);
          if (!stopped) wake();
        });
      inFlight.add(sending);
    }
  }

  function runRound(): Promise<void> {
    if (round) {
      again = true;
      return round;
    }
    round = (async () => {
      do {
        again = false;
        try {
          await queueNewEvents();
          await sendDue();
        } catch (error) {
          log.warn({ err: error }, 'channel outbox round failed; retrying on the next tick');
        }
      } while (again && !stopped);
    })().finally(() => {
      round = undefined;
    });
    return round;
  }

  function wake(): void {
    setImmediate(() => void runRound());
  }

  return {
    async start() {
      stopped = false;
      unsubscribe = options.bus.subscribe({}, (signal) => {
        if (signal.kind === 'event' && channelEventKind(signal.event)) wake();
      });
      timer = setInterval(() => void runRound(), Math.min(POLL_MS, Math.max(50, Math.floor(settings.retryMs / 2))));
      timer.unref();
      await runRound();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearInterval(timer);
      await round;
      await Promise.all(inFlight);
    },
    async flush() {
      await runRound();
      await Promise.all(inFlight);
    },
  };
}
