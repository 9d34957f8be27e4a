/**
 * Live updates over Server-Sent Events: one stream per customer conversation (what the customer may see: messages
 * without internal notes, state changes, the agent typing) and one per open agent workspace (every event of every
 * conversation, typing and presence). Each committed event carries its log `seq` as the SSE id; a client that
 * reconnects with `Last-Event-ID` gets everything after it replayed from the records before live events resume (the
 * stream subscribes first and holds live events while it replays, so nothing falls between the two). A heartbeat
 * comment keeps proxies and idle timeouts from closing quiet streams; a client that stops reading is dropped (it
 * reconnects and replays) rather than buffered without end.
 */
import { PassThrough } from 'node:stream';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { KefuError } from '../errors/index.ts';
import type { EventBus, LiveSignal } from '../events/bus.ts';
import type { Presence } from '../events/presence.ts';
import type { Static } from 'typebox';
import { channelEventBody, channelEventKind } from '../channels/outbox.ts';
import type { ChannelConversation, ChannelRecord, ConversationEvent, MessageRecord, RecordsStore, UserRecord } from '../records/types.ts';
import type { Message } from './schemas.ts';

/** Bytes a stream may hold unread before the client is dropped (it reconnects and replays what it missed). */
const MAX_BUFFERED_BYTES = 1_000_000;
/** Events replayed to a reconnecting agent; beyond it the workspace reloads instead (`resync`). */
const AGENT_REPLAY_LIMIT = 1000;

export interface LiveSettings {
  readonly heartbeatMs: number;
  readonly maxStreams: number;
}

/** A message as the customer sees it: no internal notes, no retrieved passages, no author ids. */
export function customerMessageView(message: MessageRecord): Static<typeof Message> | undefined {
  if (message.role === 'note') return undefined;
  const view: Static<typeof Message> = {
    id: message.id,
    role: message.role,
    text: message.text,
    createdAt: message.createdAt,
    citations: message.citations,
    suggestions: message.suggestions,
  };
  if (message.outcome !== undefined) view.outcome = message.outcome;
  if (message.confidence !== undefined) view.confidence = message.confidence;
  if (message.language !== undefined) view.language = message.language;
  if (message.role === 'agent' && message.authorName !== undefined) view.authorName = message.authorName;
  return view;
}

/** One SSE frame; `id` only for committed events. Data is JSON on one line, so text never ends a frame early. */
function frame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

interface OpenStream {
  stream: PassThrough;
  close(): void;
  /** Agent streams: renew the agent's online presence with each heartbeat. */
  agent?: UserRecord;
}

export interface LiveStreams {
  /** The customer's stream of one conversation (the token was checked by the route). */
  customer(request: FastifyRequest, reply: FastifyReply, conversationId: string): FastifyReply;
  /** An agent workspace's stream of everything. */
  agent(request: FastifyRequest, reply: FastifyReply, user: UserRecord): FastifyReply;
  /** A channel's stream: what its users hear outside their turns (src/channels outbox bodies), for every user. */
  channel(request: FastifyRequest, reply: FastifyReply, channel: ChannelRecord): FastifyReply;
  /** Streams open now. */
  count(): number;
  /** Ends every stream (the app is closing). */
  closeAll(): void;
}

/**
 * The live stream registry.
 *
 * @example
 *   const live = createLiveStreams({ bus, records, presence, settings: config.live, log: app.log });
 *   app.get('/api/agent/events', async (request, reply) => live.agent(request, reply, staffOf(request).user));
 */
export function createLiveStreams(options: { bus: EventBus; records: RecordsStore; presence: Presence; settings: LiveSettings; log: FastifyBaseLogger }): LiveStreams {
  const { bus, records, settings, log } = options;
  const open = new Set<OpenStream>();
  const agentStreams = new Map<string, number>();
  const presenceTtl = settings.heartbeatMs * 3;

  /** Messages by id, shared by every stream: one records read per new message however many streams show it. */
  const messages = new Map<string, Promise<MessageRecord | undefined>>();
  const messageOf = (id: string): Promise<MessageRecord | undefined> => {
    let found = messages.get(id);
    if (!found) {
      found = records.getMessage(id);
      messages.set(id, found);
      if (messages.size > 2000) messages.delete(messages.keys().next().value ?? '');
    }
    return found;
  };

  const heartbeat = setInterval(() => {
    for (const entry of open) {
      entry.stream.write(': heartbeat\n\n');
      if (entry.agent) bus.publish({ kind: 'presence', agentId: entry.agent.id, name: entry.agent.displayName, state: 'online', ttlMs: presenceTtl });
    }
  }, settings.heartbeatMs);
  heartbeat.unref();

  function lastEventId(request: FastifyRequest): number | undefined {
    const header = request.headers['last-event-id'];
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
    return Number(value);
  }

  /**
   * Opens a stream: subscribes (holding live signals), replays from the records after Last-Event-ID, then passes
   * live signals through `render`, in order, one at a time.
   */
  function openStream(input: {
    request: FastifyRequest;
    reply: FastifyReply;
    conversationId?: string;
    replay: (after: number) => Promise<{ events: ConversationEvent[]; complete: boolean }>;
    render: (signal: LiveSignal) => Promise<string | undefined>;
    first: () => Promise<string>;
    agent?: UserRecord;
  }): FastifyReply {
    if (open.size >= settings.maxStreams) throw new KefuError('STREAMS_EXHAUSTED');
    const stream = new PassThrough();
    let closed = false;
    let chain: Promise<void> = Promise.resolve();
    let replayedUpTo = lastEventId(input.request) ?? -1;
    let held: LiveSignal[] | undefined = [];

    const write = (text: string | undefined): void => {
      if (closed || !text) return;
      stream.write(text);
      if (stream.writableLength > MAX_BUFFERED_BYTES) {
        log.info({ conversationId: input.conversationId }, 'live stream dropped: the client is not reading');
        close();
      }
    };
    const handle = (signal: LiveSignal): void => {
      if (signal.kind === 'event' && signal.event.seq <= replayedUpTo) return;
      chain = chain.then(async () => write(await input.render(signal))).catch((error: unknown) => log.warn({ err: error }, 'live event could not be sent'));
    };
    const unsubscribe = bus.subscribe(input.conversationId !== undefined ? { conversationId: input.conversationId } : {}, (signal) => {
      if (held) held.push(signal);
      else handle(signal);
    });
    const entry: OpenStream = { stream, close: () => close() };
    if (input.agent) entry.agent = input.agent;
    function close(): void {
      if (closed) return;
      closed = true;
      unsubscribe();
      open.delete(entry);
      if (input.agent) {
        const remaining = (agentStreams.get(input.agent.id) ?? 1) - 1;
        if (remaining <= 0) {
          agentStreams.delete(input.agent.id);
          bus.publish({ kind: 'presence', agentId: input.agent.id, name: input.agent.displayName, state: 'left', ttlMs: 0 });
        } else agentStreams.set(input.agent.id, remaining);
      }
      stream.end();
    }
    open.add(entry);
    if (input.agent) {
      agentStreams.set(input.agent.id, (agentStreams.get(input.agent.id) ?? 0) + 1);
      bus.publish({ kind: 'presence', agentId: input.agent.id, name: input.agent.displayName, state: 'online', ttlMs: presenceTtl });
    }
    // The response closes when the client goes away (the request's own 'close' fires once its body is read).
    input.reply.raw.on('close', close);

    chain = (async () => {
      // Reconnect after 2 s when the connection drops; the browser sends Last-Event-ID.
      write(`retry: 2000\n\n${await input.first()}`);
      const after = lastEventId(input.request);
      if (after !== undefined) {
        const { events, complete } = await input.replay(after);
        if (!complete) write(frame('resync', { reason: 'too many events were missed: reload' }));
        for (const event of events) {
          write(await input.render({ kind: 'event', event }));
          replayedUpTo = Math.max(replayedUpTo, event.seq);
        }
      }
      const waiting = held ?? [];
      held = undefined;
      for (const signal of waiting) handle(signal);
    })().catch((error: unknown) => {
      log.warn({ err: error }, 'live stream could not start');
      close();
    });

    return input.reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      .header('x-accel-buffering', 'no')
      .send(stream);
  }

  return {
    customer(request, reply, conversationId) {
      const state = async () => {
        const conversation = await records.getConversation(conversationId);
        const ticket = await records.currentTicket(conversationId);
        const assignee = ticket?.status === 'open' && ticket.assigneeId ? await records.getUser(ticket.assigneeId) : undefined;
        return {
          state: conversation?.state ?? 'bot',
          agentName: conversation?.state === 'agent' ? (assignee?.displayName ?? null) : null,
          canRate: conversation?.state === 'resolved' && ticket?.resolution === 'resolved' && ticket.rating === undefined,
        };
      };
      return openStream({
        request,
        reply,
        conversationId,
        first: async () => frame('ready', await state()),
        replay: async (after) => ({ events: await records.listEvents({ conversationId, afterSeq: after, limit: 10_000 }), complete: true }),
        render: async (signal) => {
          if (signal.kind === 'typing') return signal.who === 'agent' ? frame('typing', { name: signal.name ?? null }) : undefined;
          if (signal.kind !== 'event') return undefined;
          const { event } = signal;
          if (event.type === 'message-added' && typeof event.data.messageId === 'string') {
            const message = await messageOf(event.data.messageId);
            const view = message ? customerMessageView(message) : undefined;
            return view ? frame('message', { message: view }, event.seq) : undefined;
          }
          if (event.type === 'state-changed' || event.type === 'ticket-assigned' || event.type === 'rating-given') return frame('state', await state(), event.seq);
          return undefined;
        },
      });
    },

    agent(request, reply, user) {
      return openStream({
        request,
        reply,
        agent: user,
        first: async () => frame('ready', { agentsOnline: options.presence.online() }),
        replay: async (after) => {
          const events = await records.listEvents({ afterSeq: after, limit: AGENT_REPLAY_LIMIT });
          return { events, complete: events.length < AGENT_REPLAY_LIMIT };
        },
        render: async (signal) => {
          if (signal.kind === 'typing') return frame('typing', { conversationId: signal.conversationId, who: signal.who, name: signal.name ?? null, agentId: signal.agentId ?? null });
          if (signal.kind === 'presence') return frame('presence', { agentId: signal.agentId, name: signal.name, conversationId: signal.conversationId ?? null, state: signal.state });
          const { event } = signal;
          const data: Record<string, unknown> = { seq: event.seq, type: event.type, conversationId: event.conversationId, at: event.at, actorType: event.actorType, actorId: event.actorId ?? null, data: event.data };
          if (event.type === 'message-added' && typeof event.data.messageId === 'string') {
            const message = await messageOf(event.data.messageId);
            if (message) data.message = message;
          }
          return frame('event', data, event.seq);
        },
      });
    },

    channel(request, reply, channel) {
      // Which channel and user each conversation belongs to, looked up once per conversation per stream.
      const links = new Map<string, Promise<ChannelConversation | undefined>>();
      const linkOf = (conversationId: string): Promise<ChannelConversation | undefined> => {
        let found = links.get(conversationId);
        if (!found) {
          found = records.conversationChannel(conversationId);
          links.set(conversationId, found);
          if (links.size > 5000) links.delete(links.keys().next().value ?? '');
        }
        return found;
      };
      const render = async (event: ConversationEvent): Promise<string | undefined> => {
        if (!channelEventKind(event)) return undefined;
        const link = await linkOf(event.conversationId);
        if (!link || link.channelId !== channel.id) return undefined;
        const body = await channelEventBody({ records, event, channel, link });
        return body ? frame(body.type, body, event.seq) : undefined;
      };
      return openStream({
        request,
        reply,
        first: async () => frame('ready', { channel: channel.name }),
        replay: async (after) => {
          const events = await records.listEvents({ afterSeq: after, limit: AGENT_REPLAY_LIMIT, types: ['message-added', 'state-changed'] });
          return { events, complete: events.length < AGENT_REPLAY_LIMIT };
        },
        render: async (signal) => (signal.kind === 'event' ? render(signal.event) : undefined),
      });
    },

    count: () => open.size,

    closeAll() {
      clearInterval(heartbeat);
      for (const entry of [...open]) entry.close();
    },
  };
}
