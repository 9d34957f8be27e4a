/** The channel rules the records enforce: one conversation per (channel, user) and when a new one starts, inbound messages claimed once, the outbox. */
import { describe, expect, it } from 'vitest';
import { describeOnEachEngine, type RecordsEngine } from '../../test/support/records-engines.ts';

const HOUR = 3_600_000;

let engine: RecordsEngine;

async function setup() {
  let clock = Date.parse('2026-11-01T09:00:00Z');
  const records = await engine.open({ now: () => new Date(clock) });
  const channel = await records.createChannel({ id: 'c1', name: 'ios-app', kind: 'app', tokenHash: 'h1', webhookSecret: 's1', webhookUrl: 'https://app.example.com/hook' });
  return { records, channel, advance: (ms: number) => (clock += ms) };
}

// The channel rules run on every records engine.
describeOnEachEngine({ title: 'channels', started: (candidate) => (engine = candidate), suite: defineSuite });

function defineSuite(): void {
  describe('channel records', () => {
    it('keeps one conversation per channel and user, and starts a new one after resolution or the idle window (not while people have it)', async () => {
      const { records, channel, advance } = await setup();
      const first = await records.channelConversation({ channel, externalUserId: 'u-1', idleMs: 24 * HOUR });
      expect(first).toMatchObject({ created: true, conversation: { channel: 'ios-app', state: 'bot', hasToken: false } });
      expect(await records.conversationChannel(first.conversation.id)).toEqual({ conversationId: first.conversation.id, channelId: 'c1', externalUserId: 'u-1' });
      const [same, other] = await Promise.all([
        records.channelConversation({ channel, externalUserId: 'u-1', idleMs: 24 * HOUR }),
        records.channelConversation({ channel, externalUserId: 'u-2', idleMs: 24 * HOUR }),
      ]);
      expect(same).toMatchObject({ created: false, conversation: { id: first.conversation.id } });
      expect(other.conversation.id).not.toBe(first.conversation.id);

      // With people, however long it is quiet.
      await records.openTicket({ conversationId: first.conversation.id, reason: 'customer-request' });
      advance(48 * HOUR);
      expect((await records.channelConversation({ channel, externalUserId: 'u-1', idleMs: 24 * HOUR })).conversation.id).toBe(first.conversation.id);
      // Resolved: the next message starts afresh.
      await records.closeTicket({ conversationId: first.conversation.id, by: { id: 'a', displayName: 'Alice' }, resolution: 'resolved' });
      const afterResolution = await records.channelConversation({ channel, externalUserId: 'u-1', idleMs: 24 * HOUR });
      expect(afterResolution.created).toBe(true);
      // Quiet with kefu past the window: afresh too.
      advance(25 * HOUR);
      expect((await records.channelConversation({ channel, externalUserId: 'u-1', idleMs: 24 * HOUR })).created).toBe(true);
      const started = await records.listEvents({ types: ['conversation-started'] });
      expect(started.filter((event) => event.data.channel === 'ios-app')).toHaveLength(4);
    });

    it('claims an inbound message id once, hands the reply to repeats, and takes over a claim left pending by a dead process', async () => {
      const { records, advance } = await setup();
      const staleBefore = () => new Date(Date.parse('2026-11-01T09:00:00Z') - 60_000).toISOString();
      expect(await records.claimInbound({ channelId: 'c1', externalMessageId: 'm1', staleBefore: staleBefore() })).toEqual({ claimed: true });
      expect(await records.claimInbound({ channelId: 'c1', externalMessageId: 'm1', staleBefore: staleBefore() })).toEqual({ claimed: false, status: 'pending' });
      await records.finishInbound({ channelId: 'c1', externalMessageId: 'm1', conversationId: 'conv', reply: '{"answer":1}' });
      expect(await records.claimInbound({ channelId: 'c1', externalMessageId: 'm1', staleBefore: staleBefore() })).toEqual({ claimed: false, status: 'done', conversationId: 'conv', reply: '{"answer":1}' });
      // Another channel's message with the same id is another message.
      expect(await records.claimInbound({ channelId: 'c2', externalMessageId: 'm1', staleBefore: staleBefore() })).toEqual({ claimed: true });
      advance(120_000);
      expect(await records.claimInbound({ channelId: 'c2', externalMessageId: 'm1', staleBefore: new Date(Date.parse('2026-11-01T09:02:00Z') - 60_000).toISOString() })).toEqual({ claimed: true });
    });

    it('queues outbox deliveries once per channel and event, and leases them', async () => {
      const { records } = await setup();
      const delivery = { channelId: 'c1', eventSeq: 7, conversationId: 'conv', externalUserId: 'u-1', kind: 'message' as const, payload: '{}', nextAttemptAt: '2026-11-01T09:00:00.000Z' };
      // Registering the channel started the outbox's cursor where the log was (empty: 0).
      expect(await records.getCursor('channels')).toBe(0);
      await records.enqueueChannelDeliveries({ cursor: 'channels', upToSeq: 7, deliveries: [delivery, delivery] });
      await records.enqueueChannelDeliveries({ cursor: 'channels', upToSeq: 5, deliveries: [delivery] });
      expect(await records.getCursor('channels')).toBe(7);
      const claimed = await records.claimChannelDeliveries({ now: '2026-11-01T09:00:00.000Z', limit: 10, leaseMs: 10_000 });
      expect(claimed).toHaveLength(1);
      expect(await records.claimChannelDeliveries({ now: '2026-11-01T09:00:01.000Z', limit: 10, leaseMs: 10_000 })).toHaveLength(0);
      await records.finishChannelDelivery({ id: claimed[0]?.id ?? '', status: 'delivered', statusCode: 200 });
      expect((await records.listChannelDeliveries({ channelId: 'c1' }))[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    });

    it('refuses a second channel of the same name, finds a channel by token hash, id or name', async () => {
      const { records } = await setup();
      await expect(records.createChannel({ id: 'c2', name: 'ios-app', kind: 'chat', tokenHash: 'h2', webhookSecret: 's2' })).rejects.toMatchObject({ code: 'CHANNEL_EXISTS' });
      expect((await records.channelByTokenHash('h1'))?.name).toBe('ios-app');
      expect((await records.getChannel('c1'))?.name).toBe('ios-app');
      expect((await records.getChannel('IOS-APP'))?.id).toBe('c1');
      expect(await records.channelWebhookSecret('c1')).toBe('s1');
      const updated = await records.updateChannel({ name: 'ios-app', webhookUrl: null, disabled: true });
      expect(updated).toMatchObject({ disabled: true });
      expect(updated.webhookUrl).toBeUndefined();
    });
  });
}
