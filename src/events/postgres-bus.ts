/**
 * The live event bus across replicas, through PostgreSQL LISTEN/NOTIFY: a message written on replica A reaches the
 * agent's stream on replica B.
 *
 * `publish` delivers to this replica's subscribers at once (as the memory bus does) and NOTIFYs the others on one
 * channel. The payload carries ids only for committed events (`seq` and conversation): each receiver reads the event
 * row from the records, so nothing a payload could hold (text, names) travels through it, and it always fits
 * PostgreSQL's 8000-byte limit. Typing and presence signals are small and never stored: they travel whole.
 *
 * A replica whose listening connection drops reconnects with back-off and then replays, from the event log, every
 * event after the last one it heard, so streams that stayed open on it miss nothing. A stream that itself reconnects
 * replays from its SSE id as before.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { RecordsStore } from '../records/types.ts';
import { createMemoryBus, type EventBus, type LiveSignal } from './bus.ts';

export interface CreatePostgresBusOptions {
  /** The records database's URL (`KEFU_DATABASE_URL`). */
  url: string;
  /** Where the events NOTIFY names are read. */
  records: Pick<RecordsStore, 'listEvents'>;
  /** The NOTIFY channel (default `kefu_live`); replicas of one kefu share it. */
  channel?: string;
  onError?: (error: unknown, context: string) => void;
}

type Payload =
  | { origin: string; kind: 'event'; seq: number; conversationId: string }
  | { origin: string; kind: 'signal'; signal: Exclude<LiveSignal, { kind: 'event' }> };

export interface PostgresBus extends EventBus {
  /** Resolves once this replica listens (tests and the start-up log wait for it). */
  ready: Promise<void>;
  /** This replica's id in payloads (its own notifications are not delivered twice). */
  origin: string;
}

/**
 * @example
 *   const bus = createPostgresBus({ url: config.databaseUrl, records, onError: (error, context) => log.warn({ err: error }, context) });
 *   const app = await buildApp({ ..., bus });
 */
export function createPostgresBus(options: CreatePostgresBusOptions): PostgresBus {
  const channel = options.channel ?? 'kefu_live';
  const origin = randomUUID();
  const report = (error: unknown, context: string): void => options.onError?.(error, context);
  const local = createMemoryBus({ onError: (error) => report(error, 'a live event listener failed') });
  const notifier = new pg.Pool({ connectionString: options.url, max: 2, connectionTimeoutMillis: 5000 });
  notifier.on('error', () => undefined);
  notifier.on('connect', (client) => client.on('error', () => undefined));

  let closed = false;
  let listener: pg.Client | undefined;
  let lastSeq = 0;
  // Notifications are handled one after another, so events reach subscribers in the order they were committed.
  let handling: Promise<void> = Promise.resolve();
  let sending: Promise<void> = Promise.resolve();

  // Events already delivered here (a replay after reconnecting may overlap a notification that did arrive).
  const delivered = new Set<number>();
  const remember = (seq: number): boolean => {
    if (delivered.has(seq)) return false;
    delivered.add(seq);
    if (delivered.size > 10_000) for (const old of [...delivered].slice(0, 5_000)) delivered.delete(old);
    return true;
  };

  const deliverEvents = async (afterSeq: number, conversationId?: string, limit = 500): Promise<void> => {
    const events = await options.records.listEvents({ afterSeq, ...(conversationId ? { conversationId } : {}), limit });
    for (const event of events) {
      lastSeq = Math.max(lastSeq, event.seq);
      if (remember(event.seq)) local.publish({ kind: 'event', event });
    }
  };

  const handle = (text: string | undefined): void => {
    let payload: Payload;
    try {
      payload = JSON.parse(text ?? '') as Payload;
    } catch (error) {
      report(error, 'an unreadable live notification was ignored');
      return;
    }
    if (payload.origin === origin) {
      return;
    }
    handling = handling.then(async () => {
      if (payload.kind === 'signal') {
        local.publish(payload.signal);
        return;
      }
      // The event is committed before its NOTIFY is sent; read just that one.
      await deliverEvents(payload.seq - 1, payload.conversationId, 1);
      lastSeq = Math.max(lastSeq, payload.seq);
    }).catch((error: unknown) => report(error, 'a live event from another replica could not be read'));
  };

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5000 });
    client.on('notification', (message) => {
      if (message.channel === channel) handle(message.payload);
    });
    client.on('error', (error) => report(error, 'the live event connection failed; reconnecting'));
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    listener = client;
    client.once('end', () => {
      if (listener === client) listener = undefined;
      if (!closed) void reconnect();
    });
  };

  const reconnect = async (): Promise<void> => {
    for (let attempt = 0; !closed; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 250 * 2 ** attempt)));
      if (closed) return;
      try {
        await listen();
        // What was committed while this replica was not listening.
        const from = lastSeq;
        handling = handling.then(() => deliverEvents(from)).catch((error: unknown) => report(error, 'could not replay the events missed while reconnecting'));
        return;
      } catch (error) {
        report(error, 'the live event connection could not be re-opened; retrying');
      }
    }
  };

  const ready = listen().catch(async (error: unknown) => {
    report(error, 'could not listen for live events from other replicas; retrying');
    void reconnect();
  });

  const notify = (payload: Payload): void => {
    sending = sending
      .then(() => notifier.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(payload)]))
      .then(
        () => undefined,
        (error: unknown) => report(error, 'a live event could not be sent to other replicas (their streams catch up on reconnect)'),
      );
  };

  return {
    origin,
    ready,
    publish(signal) {
      if (signal.kind !== 'event' || !delivered.has(signal.event.seq)) local.publish(signal);
      if (closed) return;
      if (signal.kind === 'event') {
        lastSeq = Math.max(lastSeq, signal.event.seq);
        remember(signal.event.seq);
        notify({ origin, kind: 'event', seq: signal.event.seq, conversationId: signal.event.conversationId });
      } else {
        notify({ origin, kind: 'signal', signal });
      }
    },
    subscribe: (subscription, listenerFunction) => local.subscribe(subscription, listenerFunction),
    size: () => local.size(),
    async close() {
      if (closed) return;
      closed = true;
      await sending;
      await handling;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
      await notifier.end().catch(() => undefined);
      await local.close();
    },
  };
}
