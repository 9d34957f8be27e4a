/**
 * The delivery loop shared by the webhook worker (src/events/webhooks.ts) and the channel outbox
 * (src/channels/outbox.ts): each follows the records' event log and queues deliveries in its own table; this module
 * runs the rounds (queue new events, claim due deliveries with a lease, send a few at a time), wakes early on the bus,
 * polls for retries and events of other processes, and says when and whether a failed delivery is tried again
 * (exponential back-off, capped, up to `maxAttempts`). What is sent, how it is signed and where the outcome is
 * recorded stay with each caller.
 */
import type { ConversationEvent } from '../records/types.ts';
import type { EventBus } from './bus.ts';

export interface DeliverySettings {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryMs: number;
}

export interface DeliveryLogger {
  info(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
}

export interface DeliveryLoop {
  start(): Promise<void>;
  /** Stops the timers and waits for deliveries in flight (each ends by its deadline). */
  stop(): Promise<void>;
  /** One round now: queue new events, send what is due, wait for the sends (tests and shutdown). */
  flush(): Promise<void>;
}

/** Deliveries sent at once: enough for a small team's traffic, few enough that a dead receiver holds few sockets. */
const CONCURRENCY = 8;
const POLL_MS = 1000;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * What happens after a failed attempt: the attempt's number, whether to give up, and when to try again.
 *
 * @example
 *   retryPlan({ attempts: 0, settings: { retryMs: 1000, maxAttempts: 5, timeoutMs: 5000 }, now: new Date() })
 *   // { attempt: 1, giveUp: false, backoffMs: 1000, nextAttemptAt: '…' }
 */
export function retryPlan(options: { attempts: number; settings: DeliverySettings; now: Date }): { attempt: number; giveUp: boolean; backoffMs: number; nextAttemptAt: string } {
  const attempt = options.attempts + 1;
  const backoffMs = Math.min(options.settings.retryMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
  return { attempt, giveUp: attempt >= options.settings.maxAttempts, backoffMs, nextAttemptAt: new Date(options.now.getTime() + backoffMs).toISOString() };
}

/**
 * POSTs one JSON body with the caller's headers (event, delivery id, signature), no redirects, within `timeoutMs`;
 * the outcome is the status, and an error for anything but 2xx, a timeout or a failed connection.
 *
 * @example
 *   await postJson({ url, body, headers: { 'x-kefu-signature': signature }, userAgent: 'kefu-webhooks/1', timeoutMs: 5000 })
 *   // { statusCode: 200 } or { statusCode: 500, error: 'the receiver answered HTTP 500' }
 */
export async function postJson(options: { url: string; body: string; headers: Record<string, string>; userAgent: string; timeoutMs: number }): Promise<{ statusCode?: number; error?: string }> {
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': options.userAgent, ...options.headers },
      body: options.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    return response.status >= 200 && response.status < 300 ? { statusCode: response.status } : { statusCode: response.status, error: `the receiver answered HTTP ${response.status}` };
  } catch (caught) {
    const cause = (caught as { cause?: { code?: string } }).cause?.code;
    return { error: (caught as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : `could not connect${cause ? ` (${cause})` : ''}` };
  }
}

/**
 * The loop: `queueNewEvents` then `claim` and `send` in rounds, on the bus's events that `wakesOn` accepts, on a
 * timer and whenever a sending slot frees up. `name` goes into the log messages ('webhook worker', 'channel outbox').
 *
 * @example
 *   const loop = createDeliveryLoop({ name: 'webhook worker', deliveryName: 'webhook delivery', bus, settings, log, now,
 *     wakesOn: (event) => webhookType(event) !== undefined, queueNewEvents, claim: (o) => records.claimDeliveries(o), send });
 */
export function createDeliveryLoop<Delivery extends { readonly id: string }>(options: {
  name: string;
  deliveryName: string;
  bus: EventBus;
  settings: DeliverySettings;
  log: DeliveryLogger;
  now: () => Date;
  wakesOn: (event: ConversationEvent) => boolean;
  queueNewEvents: () => Promise<void>;
  claim: (options: { now: string; limit: number; leaseMs: number }) => Promise<readonly Delivery[]>;
  send: (delivery: Delivery) => Promise<void>;
}): DeliveryLoop {
  const { settings, log, now } = options;
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let round: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  async function sendDue(): Promise<void> {
    const free = CONCURRENCY - inFlight.size;
    if (free <= 0) return;
    // The lease outlives one attempt's deadline, so another process never sends a delivery that is still in flight.
    const due = await options.claim({ now: now().toISOString(), limit: free, leaseMs: settings.timeoutMs * 2 + 1000 });
    for (const delivery of due) {
      const sending = options
        .send(delivery)
        .catch((error: unknown) => log.warn({ err: error, delivery: delivery.id }, `${options.deliveryName} could not be recorded`))
        .finally(() => {
          inFlight.delete(sending);
          // A free slot: send the next due delivery without waiting for the timer.
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
          await options.queueNewEvents();
          await sendDue();
        } catch (error) {
          log.warn({ err: error }, `${options.name} round failed; retrying on the next tick`);
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
        if (signal.kind === 'event' && options.wakesOn(signal.event)) wake();
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
