/**
 * The webhook delivery log over any `SqlDatabase`. It is also the outbox: deliveries are queued from the event log
 * (the cursor says how far), claimed with a lease so two workers (two replicas) never send the same one at once,
 * and finished with the receiver's answer. Nothing here sends anything: `src/events/webhooks.ts` does.
 */
import { randomUUID } from 'node:crypto';
import { KefuError } from '../errors/index.ts';
import { optionalNumber, optionalText, text, type SqlDatabase, type SqlRow, type SqlValue } from './sql-database.ts';
import type { DeliveryStatus, RecordsStore, WebhookDelivery, WebhookEventType } from './types.ts';

function toDelivery(row: SqlRow): WebhookDelivery {
  const delivery: WebhookDelivery = {
    id: text(row.id),
    eventSeq: Number(row.event_seq),
    eventType: text(row.event_type) as WebhookEventType,
    url: text(row.url),
    payload: text(row.payload),
    status: text(row.status) as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: text(row.next_attempt_at),
    createdAt: text(row.created_at),
  };
  const optional = {
    lastStatusCode: optionalNumber(row.last_status_code),
    lastError: optionalText(row.last_error),
    lastDurationMs: optionalNumber(row.last_duration_ms),
    deliveredAt: optionalText(row.delivered_at),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(delivery, { [key]: value });
  return delivery;
}

type WebhookMethods = Pick<RecordsStore, 'getCursor' | 'enqueueDeliveries' | 'claimDeliveries' | 'finishDelivery' | 'listDeliveries' | 'retryDelivery'>;

/**
 * The webhook half of a `RecordsStore` over a migrated database.
 *
 * @example
 *   const webhooks = createSqlWebhooks({ database, now: () => new Date() });
 */
export function createSqlWebhooks(options: { database: SqlDatabase; now: () => Date }): WebhookMethods {
  const { database } = options;
  const timestamp = (): string => options.now().toISOString();
  return {
    getCursor: async (name) => optionalNumber((await database.get('SELECT position FROM cursors WHERE name = ?', [name]))?.position),

    enqueueDeliveries: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        for (const delivery of input.deliveries) {
          // (event_seq, url) is unique: a second worker queuing the same event adds nothing.
          await tx.run(
            "INSERT INTO webhook_deliveries (id, event_seq, event_type, url, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (event_seq, url) DO NOTHING",
            [randomUUID(), delivery.eventSeq, delivery.eventType, delivery.url, delivery.payload, delivery.nextAttemptAt, at],
          );
        }
        await tx.run('INSERT INTO cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE cursors.position < excluded.position', [
          input.cursor,
          input.upToSeq,
        ]);
      }),

    claimDeliveries: (input) =>
      database.transaction(async (tx) => {
        const rows = await tx.all(
          "SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_attempt_at LIMIT ?",
          [input.now, input.now, input.limit],
        );
        const lockedUntil = new Date(new Date(input.now).getTime() + input.leaseMs).toISOString();
        for (const row of rows) await tx.run('UPDATE webhook_deliveries SET locked_until = ? WHERE id = ?', [lockedUntil, row.id ?? '']);
        return rows.map(toDelivery);
      }),

    finishDelivery: async (input) => {
      const at = timestamp();
      await database.run(
        'UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, locked_until = NULL, last_status_code = ?, last_error = ?, last_duration_ms = ?, delivered_at = ? WHERE id = ?',
        [
          input.status,
          input.nextAttemptAt ?? at,
          input.statusCode ?? null,
          input.error?.slice(0, 500) ?? null,
          Math.round(input.durationMs),
          input.status === 'delivered' ? at : null,
          input.id,
        ],
      );
    },

    listDeliveries: async (listOptions = {}) => {
      const params: SqlValue[] = [];
      let where = '';
      if (listOptions.status) {
        where = 'WHERE status = ?';
        params.push(listOptions.status);
      }
      params.push(listOptions.limit ?? 100);
      return (await database.all(`SELECT * FROM webhook_deliveries ${where} ORDER BY created_at DESC, event_seq DESC LIMIT ?`, params)).map(toDelivery);
    },

    retryDelivery: (id) =>
      database.transaction(async (tx) => {
        const { changes } = await tx.run("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, locked_until = NULL WHERE id = ?", [timestamp(), id]);
        if (changes === 0) throw new KefuError('DELIVERY_NOT_FOUND', { detail: id });
        const row = await tx.get('SELECT * FROM webhook_deliveries WHERE id = ?', [id]);
        if (!row) throw new KefuError('DELIVERY_NOT_FOUND', { detail: id });
        return toDelivery(row);
      }),
  };
}
