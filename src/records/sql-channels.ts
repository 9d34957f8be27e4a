/**
 * Channels over any `SqlDatabase` (portable SQL): registered front ends, the conversation each external user is in,
 * inbound messages by the channel's own id (so a retried message is answered once), and the channel outbox (what
 * people say outside a turn, queued from the event log and sent by src/channels). Nothing here sends anything.
 */
import { randomUUID } from 'node:crypto';
import { KefuError } from '../errors/index.ts';
import { insertConversation, toConversation } from './sql-conversations.ts';
import { optionalNumber, optionalText, text, type SqlDatabase, type SqlExecutor, type SqlRow, type SqlValue } from './sql-database.ts';
import type { ChannelDelivery, ChannelDeliveryKind, ChannelKind, ChannelRecord, DeliveryStatus, RecordsStore } from './types.ts';

/** The channel outbox's position in the event log (src/channels/outbox.ts follows it). */
export const OUTBOX_CURSOR = 'channels';

function toChannel(row: SqlRow): ChannelRecord {
  const channel: ChannelRecord = {
    id: text(row.id),
    name: text(row.name),
    kind: text(row.kind) as ChannelKind,
    disabled: Number(row.disabled ?? 0) === 1,
    createdAt: text(row.created_at),
    tokenIssuedAt: text(row.token_issued_at),
  };
  const webhookUrl = optionalText(row.webhook_url);
  if (webhookUrl !== undefined) channel.webhookUrl = webhookUrl;
  const createdBy = optionalText(row.created_by);
  if (createdBy !== undefined) channel.createdBy = createdBy;
  return channel;
}

function toDelivery(row: SqlRow): ChannelDelivery {
  const delivery: ChannelDelivery = {
    id: text(row.id),
    channelId: text(row.channel_id),
    eventSeq: Number(row.event_seq),
    conversationId: text(row.conversation_id),
    externalUserId: text(row.external_user_id),
    kind: text(row.kind) as ChannelDeliveryKind,
    payload: text(row.payload),
    status: text(row.status) as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: text(row.next_attempt_at),
    createdAt: text(row.created_at),
  };
  const optional = { lastStatusCode: optionalNumber(row.last_status_code), lastError: optionalText(row.last_error), deliveredAt: optionalText(row.delivered_at) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(delivery, { [key]: value });
  return delivery;
}

type ChannelMethods = Pick<
  RecordsStore,
  | 'createChannel'
  | 'listChannels'
  | 'getChannel'
  | 'channelByTokenHash'
  | 'channelWebhookSecret'
  | 'updateChannel'
  | 'channelConversation'
  | 'conversationChannel'
  | 'claimInbound'
  | 'finishInbound'
  | 'enqueueChannelDeliveries'
  | 'claimChannelDeliveries'
  | 'finishChannelDelivery'
  | 'listChannelDeliveries'
>;

/**
 * The channel half of a `RecordsStore` over a migrated database.
 *
 * @example
 *   const channels = createSqlChannels({ database, now: () => new Date() });
 */
export function createSqlChannels(options: { database: SqlDatabase; now: () => Date }): ChannelMethods {
  const { database } = options;
  const timestamp = (): string => options.now().toISOString();

  async function channelRow(executor: SqlExecutor, idOrName: string): Promise<SqlRow | undefined> {
    return executor.get('SELECT * FROM channels WHERE id = ? OR name = ?', [idOrName, idOrName.toLowerCase()]);
  }

  return {
    createChannel: (input) =>
      database.transaction(async (tx) => {
        if (await tx.get('SELECT id FROM channels WHERE name = ?', [input.name])) throw new KefuError('CHANNEL_EXISTS', { detail: input.name });
        const at = timestamp();
        await tx.run(
          'INSERT INTO channels (id, name, kind, token_hash, token_issued_at, webhook_url, webhook_secret, disabled, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)',
          [input.id, input.name, input.kind, input.tokenHash, at, input.webhookUrl ?? null, input.webhookSecret, at, input.by ?? null],
        );
        // The outbox follows the log from the first channel's registration on: nothing of its first minutes is missed.
        const last = await tx.get('SELECT MAX(seq) AS seq FROM conversation_events');
        await tx.run('INSERT INTO cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [OUTBOX_CURSOR, Number(last?.seq ?? 0)]);
        const row = await tx.get('SELECT * FROM channels WHERE id = ?', [input.id]);
        if (!row) throw new KefuError('RECORDS_FAILED', { detail: `channel ${input.name} vanished` });
        return toChannel(row);
      }),

    listChannels: async () => (await database.all('SELECT * FROM channels ORDER BY name')).map(toChannel),

    getChannel: async (idOrName) => {
      const row = await channelRow(database, idOrName);
      return row ? toChannel(row) : undefined;
    },

    channelByTokenHash: async (tokenHash) => {
      const row = await database.get('SELECT * FROM channels WHERE token_hash = ?', [tokenHash]);
      return row ? toChannel(row) : undefined;
    },

    channelWebhookSecret: async (channelId) => optionalText((await database.get('SELECT webhook_secret FROM channels WHERE id = ?', [channelId]))?.webhook_secret),

    updateChannel: (input) =>
      database.transaction(async (tx) => {
        const row = await channelRow(tx, input.name);
        if (!row) throw new KefuError('CHANNEL_NOT_FOUND', { detail: input.name });
        const id = text(row.id);
        if (input.webhookUrl !== undefined) await tx.run('UPDATE channels SET webhook_url = ? WHERE id = ?', [input.webhookUrl, id]);
        if (input.disabled !== undefined) await tx.run('UPDATE channels SET disabled = ? WHERE id = ?', [input.disabled ? 1 : 0, id]);
        if (input.tokenHash !== undefined) await tx.run('UPDATE channels SET token_hash = ?, token_issued_at = ? WHERE id = ?', [input.tokenHash, timestamp(), id]);
        const updated = await tx.get('SELECT * FROM channels WHERE id = ?', [id]);
        if (!updated) throw new KefuError('CHANNEL_NOT_FOUND', { detail: input.name });
        return toChannel(updated);
      }),

    channelConversation: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const key = [input.channel.id, input.externalUserId];
        // Insert-or-touch the user's row first: its lock serialises two first messages of one user on every engine.
        await tx.run('INSERT INTO channel_users (channel_id, external_user_id, conversation_id, created_at, updated_at) VALUES (?, ?, NULL, ?, ?) ON CONFLICT (channel_id, external_user_id) DO NOTHING', [
          ...key,
          at,
          at,
        ]);
        await tx.run('UPDATE channel_users SET updated_at = ? WHERE channel_id = ? AND external_user_id = ?', [at, ...key]);
        const mapping = await tx.get('SELECT conversation_id FROM channel_users WHERE channel_id = ? AND external_user_id = ?', key);
        const currentId = optionalText(mapping?.conversation_id);
        const current = currentId ? await tx.get('SELECT * FROM conversations WHERE id = ?', [currentId]) : undefined;
        if (current) {
          const conversation = toConversation(current);
          const quietSince = Date.parse(conversation.updatedAt);
          // People keep a conversation however long it is quiet; kefu's goes stale after the idle window.
          const stale = conversation.state === 'resolved' || (conversation.state === 'bot' && options.now().getTime() - quietSince > input.idleMs);
          if (!stale) return { conversation, created: false };
        }
        const conversation = await insertConversation({ tx, at, channel: input.channel.name });
        await tx.run('UPDATE channel_users SET conversation_id = ? WHERE channel_id = ? AND external_user_id = ?', [conversation.id, ...key]);
        await tx.run('INSERT INTO channel_conversations (conversation_id, channel_id, external_user_id) VALUES (?, ?, ?)', [conversation.id, ...key]);
        return { conversation, created: true };
      }),

    conversationChannel: async (conversationId) => {
      const row = await database.get('SELECT channel_id, external_user_id FROM channel_conversations WHERE conversation_id = ?', [conversationId]);
      return row ? { conversationId, channelId: text(row.channel_id), externalUserId: text(row.external_user_id) } : undefined;
    },

    claimInbound: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const { changes } = await tx.run(
          "INSERT INTO channel_messages (channel_id, external_message_id, conversation_id, status, reply, created_at, updated_at) VALUES (?, ?, NULL, 'pending', NULL, ?, ?) ON CONFLICT (channel_id, external_message_id) DO NOTHING",
          [input.channelId, input.externalMessageId, at, at],
        );
        if (changes === 1) return { claimed: true as const };
        const { changes: takenOver } = await tx.run(
          "UPDATE channel_messages SET updated_at = ? WHERE channel_id = ? AND external_message_id = ? AND status = 'pending' AND updated_at < ?",
          [at, input.channelId, input.externalMessageId, input.staleBefore],
        );
        if (takenOver === 1) return { claimed: true as const };
        const row = await tx.get('SELECT * FROM channel_messages WHERE channel_id = ? AND external_message_id = ?', [input.channelId, input.externalMessageId]);
        const claim: { claimed: false; status: 'pending' | 'done'; conversationId?: string; reply?: string } = { claimed: false, status: text(row?.status) === 'done' ? 'done' : 'pending' };
        const conversationId = optionalText(row?.conversation_id);
        if (conversationId !== undefined) claim.conversationId = conversationId;
        const reply = optionalText(row?.reply);
        if (reply !== undefined) claim.reply = reply;
        return claim;
      }),

    finishInbound: async (input) => {
      await database.run("UPDATE channel_messages SET status = 'done', conversation_id = ?, reply = ?, updated_at = ? WHERE channel_id = ? AND external_message_id = ?", [
        input.conversationId,
        input.reply,
        timestamp(),
        input.channelId,
        input.externalMessageId,
      ]);
    },

    enqueueChannelDeliveries: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        for (const delivery of input.deliveries) {
          await tx.run(
            "INSERT INTO channel_deliveries (id, channel_id, event_seq, conversation_id, external_user_id, kind, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (channel_id, event_seq) DO NOTHING",
            [randomUUID(), delivery.channelId, delivery.eventSeq, delivery.conversationId, delivery.externalUserId, delivery.kind, delivery.payload, delivery.nextAttemptAt, at],
          );
        }
        await tx.run('INSERT INTO cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE cursors.position < excluded.position', [
          input.cursor,
          input.upToSeq,
        ]);
      }),

    claimChannelDeliveries: (input) =>
      database.transaction(async (tx) => {
        // Oldest event first, so one user's messages leave in the order they were written.
        const rows = await tx.all(
          "SELECT * FROM channel_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?) ORDER BY event_seq LIMIT ?",
          [input.now, input.now, input.limit],
        );
        const lockedUntil = new Date(new Date(input.now).getTime() + input.leaseMs).toISOString();
        for (const row of rows) await tx.run('UPDATE channel_deliveries SET locked_until = ? WHERE id = ?', [lockedUntil, row.id ?? '']);
        return rows.map(toDelivery);
      }),

    finishChannelDelivery: async (input) => {
      const at = timestamp();
      await database.run(
        'UPDATE channel_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, locked_until = NULL, last_status_code = ?, last_error = ?, delivered_at = ? WHERE id = ?',
        [input.status, input.nextAttemptAt ?? at, input.statusCode ?? null, input.error?.slice(0, 500) ?? null, input.status === 'delivered' ? at : null, input.id],
      );
    },

    listChannelDeliveries: async (listOptions = {}) => {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (listOptions.channelId) {
        where.push('channel_id = ?');
        params.push(listOptions.channelId);
      }
      if (listOptions.status) {
        where.push('status = ?');
        params.push(listOptions.status);
      }
      params.push(listOptions.limit ?? 100);
      return (await database.all(`SELECT * FROM channel_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY event_seq DESC LIMIT ?`, params)).map(toDelivery);
    },
  };
}
