/**
 * Channels: front ends that use kefu on behalf of their own users (an app backend, a mini-program backend, another
 * chat tool, a WeChat Official Account). An owner or admin registers a channel and gets its token once (stored as a
 * SHA-256 hash, like conversation tokens) and the secret that signs its webhooks. The channel's backend posts a
 * customer message for an **external user id**; kefu keeps one conversation per (channel, user), a new one after an
 * agent resolved the last or it went quiet, and runs the same turn as the web chat (src/conversations): the same
 * hand-over, the same agents, KPIs by channel (the conversation's `channel` is the channel's name).
 *
 * A message may carry the channel's own id for it (WeChat's MsgId): a repeat of a message being answered waits for
 * that answer, a repeat of one answered gets the same answer, and nothing is answered or stored twice.
 */
import { randomUUID } from 'node:crypto';
import { randomSecret, sha256 } from '../accounts/index.ts';
import type { AnswerResult } from '../answer/types.ts';
import type { ConversationTurns } from '../conversations/turn.ts';
import { KefuError } from '../errors/index.ts';
import type { ChannelKind, ChannelRecord, ConversationState, RecordsStore } from '../records/types.ts';
import type { Citation } from '../schemas/citation.ts';

/** Names the built-in front ends use (a channel's name is the conversations' `channel`). */
const RESERVED_NAMES = new Set(['web', 'widget', 'api', 'cli', 'wechat']);
const NAME = /^[a-z0-9][a-z0-9-]{1,39}$/;
/** A claim on a message id older than this is taken over (the process answering it died). */
const STALE_CLAIM_MS = 60_000;
/** Longest external user id and message id accepted (WeChat's openid is 28 characters, MsgId 19 digits). */
export const MAX_EXTERNAL_ID_CHARS = 128;

/** What a channel's backend gets back for a customer message. */
export interface ChannelTurnResult {
  conversationId: string;
  externalUserId: string;
  /** Delivered to the people who have the conversation: kefu did not answer (their replies arrive by webhook or stream). */
  routed: boolean;
  state: ConversationState;
  /** The customer's stored message. */
  messageId?: string;
  /** false: the records failed during the turn; the answer was given but not (wholly) stored, nor handed over. */
  stored?: false;
  answer?: {
    /** The stored answer; absent when it could not be stored. */
    messageId?: string;
    text: string;
    outcome: AnswerResult['outcome'];
    confidence: number;
    citations: Citation[];
    suggestions: string[];
    language: AnswerResult['language'];
  };
  /** The answer handed the conversation to people (its notice arrives by webhook or stream like every notice). */
  handoff?: { ticket: { number: string; reason: string; status: string }; outsideHours?: { backAt: string; backAtText: string } };
  /** A repeat of an earlier message id: the first answer again, nothing new stored. */
  duplicate?: boolean;
}

export interface RegisteredChannel {
  channel: ChannelRecord;
  /** The channel's API token: shown once, stored only as a hash. */
  token: string;
  /** Signs the channel's webhooks (X-Kefu-Signature); shown once. */
  webhookSecret?: string;
}

export interface ChannelService {
  register(input: { name: string; kind: Exclude<ChannelKind, 'wechat'>; webhookUrl?: string; by?: string }): Promise<RegisteredChannel>;
  list(): Promise<ChannelRecord[]>;
  get(name: string): Promise<ChannelRecord>;
  update(input: { name: string; webhookUrl?: string | null; disabled?: boolean }): Promise<ChannelRecord>;
  /** A new token (the old one stops working at once). */
  resetToken(name: string): Promise<RegisteredChannel>;
  /** The channel a token opens (CHANNEL_TOKEN_INVALID for a wrong token or a disabled channel). */
  authenticate(token: string | undefined): Promise<ChannelRecord>;
  /** The WeChat Official Account's channel, registered on first use. */
  ensureWechat(): Promise<ChannelRecord>;
  /** A customer message from a channel's user: answered (or delivered to people) once per `messageId`. */
  inbound(input: { channel: ChannelRecord; externalUserId: string; text: string; messageId?: string }): Promise<ChannelTurnResult>;
}

function checkWebhookUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new KefuError('CHANNEL_INVALID', { detail: `"${url.slice(0, 200)}" is not an http(s) URL` });
  return parsed.toString();
}

/**
 * The channel service.
 *
 * @example
 *   const channels = createChannelService({ records, turns, idleMs: 24 * 3_600_000 });
 *   const { token } = await channels.register({ name: 'ios-app', kind: 'app', webhookUrl: 'https://app.example.com/kefu' });
 *   await channels.inbound({ channel: await channels.authenticate(token), externalUserId: 'u-42', text: 'Where is my parcel?' });
 */
export function createChannelService(options: { records: RecordsStore; turns: ConversationTurns; idleMs: number; now?: () => Date }): ChannelService {
  const { records, turns, idleMs } = options;
  const now = options.now ?? (() => new Date());
  /** Messages being answered in this process, by channel and message id: a repeat waits for the same answer. */
  const answering = new Map<string, Promise<ChannelTurnResult>>();

  async function get(name: string): Promise<ChannelRecord> {
    const channel = await records.getChannel(name);
    if (!channel) throw new KefuError('CHANNEL_NOT_FOUND', { detail: name.slice(0, 100) });
    return channel;
  }

  async function answer(input: { channel: ChannelRecord; externalUserId: string; text: string }): Promise<ChannelTurnResult> {
    const { conversation } = await records.channelConversation({ channel: input.channel, externalUserId: input.externalUserId, idleMs });
    const outcome = await turns.run({ question: input.text, conversationId: conversation.id });
    const base = { conversationId: conversation.id, externalUserId: input.externalUserId, state: outcome.state };
    if (outcome.routed) return { ...base, routed: true, messageId: outcome.messageId };
    const { result, handoff } = outcome;
    return {
      ...base,
      routed: false,
      ...(outcome.stored ? {} : { stored: false }),
      answer: {
        ...(outcome.messageId ? { messageId: outcome.messageId } : {}),
        text: result.answer,
        outcome: result.outcome,
        confidence: result.confidence,
        citations: result.citations,
        suggestions: result.suggestions,
        language: result.language,
      },
      ...(handoff
        ? { handoff: { ticket: { number: handoff.ticket.number, reason: handoff.ticket.reason, status: handoff.ticket.status }, ...(handoff.outsideHours ? { outsideHours: handoff.outsideHours } : {}) } }
        : {}),
    };
  }

  return {
    async register(input) {
      const name = input.name.trim().toLowerCase();
      if (!NAME.test(name) || RESERVED_NAMES.has(name)) throw new KefuError('CHANNEL_INVALID', { detail: `the name "${name.slice(0, 60)}"` });
      const token = `kfc_${randomSecret(32)}`;
      const webhookSecret = randomSecret(32);
      const channel = await records.createChannel({
        id: randomUUID(),
        name,
        kind: input.kind,
        tokenHash: sha256(token),
        webhookSecret,
        ...(input.webhookUrl ? { webhookUrl: checkWebhookUrl(input.webhookUrl) } : {}),
        ...(input.by ? { by: input.by } : {}),
      });
      return { channel, token, webhookSecret };
    },

    list: () => records.listChannels(),
    get,

    update: async (input) => {
      await get(input.name);
      return records.updateChannel({
        name: input.name,
        ...(input.webhookUrl !== undefined ? { webhookUrl: input.webhookUrl === null ? null : checkWebhookUrl(input.webhookUrl) } : {}),
        ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
      });
    },

    async resetToken(name) {
      await get(name);
      const token = `kfc_${randomSecret(32)}`;
      const channel = await records.updateChannel({ name, tokenHash: sha256(token) });
      return { channel, token };
    },

    async authenticate(token) {
      // Looked up by hash: the token has 256 bits of randomness, so the look-up time reveals nothing useful.
      const channel = token ? await records.channelByTokenHash(sha256(token)) : undefined;
      if (!channel || channel.disabled) throw new KefuError('CHANNEL_TOKEN_INVALID');
      return channel;
    },

    async ensureWechat() {
      const existing = await records.getChannel('wechat');
      if (existing) return existing;
      try {
        // WeChat signs its requests itself: this token is never shown or used, the channel needs one all the same.
        return await records.createChannel({ id: randomUUID(), name: 'wechat', kind: 'wechat', tokenHash: sha256(randomSecret(32)), webhookSecret: randomSecret(32) });
      } catch (error) {
        // Two processes starting at once: the other one registered it.
        const created = await records.getChannel('wechat');
        if (created) return created;
        throw error;
      }
    },

    async inbound(input) {
      const externalUserId = input.externalUserId.trim();
      if (!externalUserId) throw new KefuError('REQUEST_INVALID', { detail: 'externalUserId is empty' });
      if (!input.messageId) return answer({ ...input, externalUserId });
      const key = `${input.channel.id}\u0000${input.messageId}`;
      const inProcess = answering.get(key);
      if (inProcess) return { ...(await inProcess), duplicate: true };
      const messageId = input.messageId;
      // Registered before the first await, so a repeat arriving meanwhile in this process waits for this answer.
      const work = (async (): Promise<ChannelTurnResult> => {
        const claim = await records.claimInbound({ channelId: input.channel.id, externalMessageId: messageId, staleBefore: new Date(now().getTime() - STALE_CLAIM_MS).toISOString() });
        if (!claim.claimed) {
          if (claim.status === 'done' && claim.reply) return { ...(JSON.parse(claim.reply) as ChannelTurnResult), duplicate: true };
          throw new KefuError('CHANNEL_MESSAGE_PENDING', { detail: messageId.slice(0, MAX_EXTERNAL_ID_CHARS) });
        }
        const result = await answer({ ...input, externalUserId });
        await records.finishInbound({ channelId: input.channel.id, externalMessageId: messageId, conversationId: result.conversationId, reply: JSON.stringify(result) });
        return result;
      })();
      answering.set(key, work);
      try {
        return await work;
      } finally {
        answering.delete(key);
      }
    },
  };
}
