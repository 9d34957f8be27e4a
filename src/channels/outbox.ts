/**
 * The channel outbox: what reaches a channel's user outside a turn (an agent's reply, kefu's notices such as the
 * hand-over or "You are now chatting with Alice") and the conversation's state changes, sent to the channel's backend
 * as signed webhooks, or to a WeChat follower through the customer-service message API.
 *
 * It runs on the webhook worker's delivery loop (src/events/delivery-loop.ts): it follows the records' event log
 * with its own cursor, queues one delivery per event and channel in `channel_deliveries` (an event committed is never
 * lost, even if the process dies before sending), and sends due deliveries off the request path, retrying with
 * exponential back-off up to KEFU_WEBHOOK_MAX_ATTEMPTS. The answer to a customer's message is not sent here: it is in the response to that
 * message (or, for a slow WeChat answer, sent by the WeChat handler itself).
 */
import { signPayload } from '../events/webhooks.ts';
import type { EventBus } from '../events/bus.ts';
import { createDeliveryLoop, postJson, retryPlan, type DeliveryLogger, type DeliveryLoop, type DeliverySettings } from '../events/delivery-loop.ts';
import { toPlainText } from '../text/markdown.ts';
import { CHANNEL_OUTBOX_CURSOR as CURSOR } from '../records/index.ts';
import type { ChannelConversation, ChannelDelivery, ChannelRecord, ConversationEvent, RecordsStore } from '../records/types.ts';
import { fitWechatText } from './wechat-protocol.ts';
import type { WechatClient } from './wechat-client.ts';

export type OutboxSettings = DeliverySettings;

export type OutboxLogger = DeliveryLogger;

export type ChannelOutbox = DeliveryLoop;

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
    return postJson({
      url: channel.webhookUrl ?? '',
      body: delivery.payload,
      headers: {
        'x-kefu-event': (JSON.parse(delivery.payload) as ChannelEventBody).type,
        'x-kefu-delivery': delivery.id,
        'x-kefu-signature': signPayload({ secret, body: delivery.payload, timestamp: Math.floor(now().getTime() / 1000) }),
      },
      userAgent: 'kefu-channels/1',
      timeoutMs: settings.timeoutMs,
    });
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
    const plan = retryPlan({ attempts: delivery.attempts, settings, now: now() });
    // A channel that is gone will not come back: no retries.
    const giveUp = plan.giveUp || !channel;
    await records.finishChannelDelivery({
      id: delivery.id,
      status: giveUp ? 'failed' : 'pending',
      nextAttemptAt: plan.nextAttemptAt,
      ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
      error: outcome.error,
    });
    const context = { delivery: delivery.id, channel: channel?.name, attempt: plan.attempt, error: outcome.error };
    if (giveUp) log.warn(context, 'channel delivery failed for good');
    else log.info({ ...context, retryInMs: plan.backoffMs }, 'channel delivery failed; will retry');
  }

  return createDeliveryLoop({
    name: 'channel outbox',
    deliveryName: 'channel delivery',
    bus: options.bus,
    settings,
    log,
    now,
    wakesOn: (event) => channelEventKind(event) !== undefined,
    queueNewEvents,
    claim: (claim) => records.claimChannelDeliveries(claim),
    send,
  });
}
