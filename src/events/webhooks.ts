/**
 * Outgoing webhooks: `ticket.created`, `ticket.assigned`, `message.created` (a customer wrote while people have the
 * conversation) and `ticket.resolved` (resolved or handed back), POSTed as JSON to each KEFU_WEBHOOK_URLS receiver
 * with an HMAC-SHA256 signature.
 *
 * Nothing here runs on a customer's or agent's request: the worker follows the records' event log (a cursor says
 * how far it got), queues one delivery per event and receiver in the delivery log (the outbox: an event committed
 * is never lost, even if the process dies before sending), and sends due deliveries on its own timer, a few at a
 * time, each with a deadline. A slow, failing or dead receiver only delays its own deliveries: they are retried with
 * exponential back-off and marked failed after KEFU_WEBHOOK_MAX_ATTEMPTS; admins see every attempt in the log.
 *
 * Signature: header `X-Kefu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. A receiver
 * recomputes it over the raw body, compares in constant time and rejects old timestamps (replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConversationEvent, RecordsStore, WebhookDelivery, WebhookEventType } from '../records/types.ts';
import { ticketNumber } from '../records/index.ts';
import type { EventBus } from './bus.ts';
import { createDeliveryLoop, postJson, retryPlan, type DeliveryLogger, type DeliveryLoop, type DeliverySettings } from './delivery-loop.ts';

export interface WebhookSettings extends DeliverySettings {
  readonly urls: readonly string[];
  readonly secret: string;
}

export type WebhookLogger = DeliveryLogger;

export type WebhookWorker = DeliveryLoop;

const CURSOR = 'webhooks';

/**
 * The signature header value for a body.
 *
 * @example
 *   signPayload({ secret, body, timestamp: Math.floor(Date.now() / 1000) }) // 't=1767600000,v1=5f…'
 */
export function signPayload(options: { secret: string; body: string; timestamp: number }): string {
  const digest = createHmac('sha256', options.secret).update(`${options.timestamp}.${options.body}`, 'utf8').digest('hex');
  return `t=${options.timestamp},v1=${digest}`;
}

/**
 * What a receiver does: true when the header signs this body with this secret within `toleranceSeconds` of now.
 *
 * @example
 *   verifySignature({ secret, body: rawBody, header: request.headers['x-kefu-signature'] })
 */
export function verifySignature(options: { secret: string; body: string; header: string | undefined; toleranceSeconds?: number; now?: number }): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(options.header ?? '');
  if (!match) return false;
  const timestamp = Number(match[1]);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signPayload({ secret: options.secret, body: options.body, timestamp }).slice(`t=${timestamp},v1=`.length), 'hex');
  const given = Buffer.from(match[2] ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Which webhook an event is, if any. */
function webhookType(event: ConversationEvent): WebhookEventType | undefined {
  switch (event.type) {
    case 'ticket-opened':
      return 'ticket.created';
    case 'ticket-assigned':
      return 'ticket.assigned';
    case 'ticket-resolved':
      return 'ticket.resolved';
    case 'message-added':
      return event.data.role === 'user' && event.data.toPeople === true ? 'message.created' : undefined;
    default:
      return undefined;
  }
}

/** The JSON body of a webhook: what happened, with the conversation and ticket as they are when it is queued. */
async function payloadFor(records: RecordsStore, event: ConversationEvent, type: WebhookEventType): Promise<string> {
  const conversation = await records.getConversation(event.conversationId);
  const ticket = await records.currentTicket(event.conversationId);
  const ticketId = typeof event.data.ticketId === 'number' ? event.data.ticketId : ticket?.id;
  const assignee = ticket?.assigneeId ? await records.getUser(ticket.assigneeId) : undefined;
  const body: Record<string, unknown> = {
    id: `evt_${event.seq}`,
    type,
    createdAt: event.at,
    conversation: { id: event.conversationId, state: conversation?.state, language: conversation?.language ?? null, channel: conversation?.channel },
  };
  if (ticketId !== undefined) {
    const sameTicket = ticket && ticket.id === ticketId ? ticket : undefined;
    body.ticket = {
      id: ticketId,
      number: ticketNumber(ticketId),
      reason: sameTicket?.reason ?? event.data.reason,
      status: sameTicket?.status,
      priority: sameTicket?.priority,
      tags: sameTicket?.tags,
      outsideHours: sameTicket?.outsideHours,
      contactEmail: sameTicket?.contactEmail ?? null,
      contactPhone: sameTicket?.contactPhone ?? null,
      assignee: assignee ? { id: assignee.id, name: assignee.displayName } : null,
      ...(type === 'ticket.resolved' ? { resolution: event.data.resolution } : {}),
    };
  }
  if (type === 'ticket.assigned') body.agent = { id: event.data.agentId, name: event.data.agentName, assignedBy: event.data.byName };
  if (type === 'ticket.resolved') body.agent = { id: event.data.byId, name: event.data.byName };
  if (type === 'message.created' && typeof event.data.messageId === 'string') {
    const message = await records.getMessage(event.data.messageId);
    if (message) body.message = { id: message.id, text: message.text, createdAt: message.createdAt };
  }
  return JSON.stringify(body);
}

/**
 * The webhook worker over the records and the bus (the bus only wakes it early; it polls anyway, for retries and
 * for events written by other processes).
 *
 * @example
 *   const worker = createWebhookWorker({ records, bus, settings: config.webhooks, log: app.log });
 *   await worker.start();
 */
export function createWebhookWorker(options: {
  records: RecordsStore;
  bus: EventBus;
  settings: WebhookSettings;
  log: WebhookLogger;
  now?: () => Date;
}): WebhookWorker {
  const { records, settings, log } = options;
  const now = options.now ?? (() => new Date());

  async function queueNewEvents(): Promise<void> {
    let cursor = await records.getCursor(CURSOR);
    if (cursor === undefined) {
      // First start with webhooks: report what happens from now on, not the whole history.
      await records.enqueueDeliveries({ cursor: CURSOR, upToSeq: await records.lastEventSeq(), deliveries: [] });
      return;
    }
    for (;;) {
      const events = await records.listEvents({ afterSeq: cursor, limit: 500 });
      const last = events.at(-1);
      if (!last) return;
      const deliveries: Parameters<RecordsStore['enqueueDeliveries']>[0]['deliveries'] = [];
      for (const event of events) {
        const type = webhookType(event);
        if (!type) continue;
        const payload = await payloadFor(records, event, type);
        for (const url of settings.urls) deliveries.push({ eventSeq: event.seq, eventType: type, url, payload, nextAttemptAt: now().toISOString() });
      }
      await records.enqueueDeliveries({ cursor: CURSOR, upToSeq: last.seq, deliveries });
      cursor = last.seq;
    }
  }

  async function send(delivery: WebhookDelivery): Promise<void> {
    const started = performance.now();
    const { statusCode, error } = await postJson({
      url: delivery.url,
      body: delivery.payload,
      headers: {
        'x-kefu-event': delivery.eventType,
        'x-kefu-delivery': delivery.id,
        'x-kefu-signature': signPayload({ secret: settings.secret, body: delivery.payload, timestamp: Math.floor(now().getTime() / 1000) }),
      },
      userAgent: 'kefu-webhooks/1',
      timeoutMs: settings.timeoutMs,
    });
    const durationMs = performance.now() - started;
    if (!error) {
      await records.finishDelivery({ id: delivery.id, status: 'delivered', statusCode: statusCode ?? 0, durationMs });
      return;
    }
    const { attempt, giveUp, backoffMs, nextAttemptAt } = retryPlan({ attempts: delivery.attempts, settings, now: now() });
    await records.finishDelivery({ id: delivery.id, status: giveUp ? 'failed' : 'pending', nextAttemptAt, ...(statusCode !== undefined ? { statusCode } : {}), error, durationMs });
    const context = { delivery: delivery.id, event: delivery.eventType, url: delivery.url, attempt, error };
    if (giveUp) log.warn(context, 'webhook delivery failed for good');
    else log.info({ ...context, retryInMs: backoffMs }, 'webhook delivery failed; will retry');
  }

  const loop = createDeliveryLoop({
    name: 'webhook worker',
    deliveryName: 'webhook delivery',
    bus: options.bus,
    settings,
    log,
    now,
    wakesOn: (event) => webhookType(event) !== undefined,
    queueNewEvents,
    claim: (claim) => records.claimDeliveries(claim),
    send,
  });

  return {
    async start() {
      if (settings.urls.length === 0) return;
      await loop.start();
    },
    stop: () => loop.stop(),
    flush: () => loop.flush(),
  };
}
