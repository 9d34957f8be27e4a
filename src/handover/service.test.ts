import { describe, expect, it } from 'vitest';
import { parseBusinessHours } from '../config/business-hours.ts';
import { createMemoryBus, type LiveSignal } from '../events/bus.ts';
import { trackPresence } from '../events/presence.ts';
import { openSqliteRecords } from '../records/index.ts';
import { createHandoverService, validateContact, type IntentRoute } from './service.ts';

async function setup(options: { hours?: string; at?: string; afterRefusals?: number; routeToPeople?: IntentRoute } = {}) {
  const now = () => new Date(options.at ?? '2026-01-05T10:00:00Z');
  const records = openSqliteRecords({ path: ':memory:', now });
  const bus = createMemoryBus();
  const presence = trackPresence({ bus });
  const heard: LiveSignal[] = [];
  bus.subscribe({}, (signal) => heard.push(signal));
  const opened: string[] = [];
  const handover = createHandoverService({
    records,
    bus,
    presence,
    now,
    settings: { afterRefusals: options.afterRefusals ?? 2, businessHours: parseBusinessHours(options.hours ?? ''), timeZone: 'Europe/Berlin' },
    onTicketOpened: (reason) => opened.push(reason),
    ...(options.routeToPeople ? { routeToPeople: options.routeToPeople } : {}),
  });
  const alice = await records.createUser({ name: 'alice', displayName: 'Alice', role: 'agent', tokenId: 'a', tokenHash: 'a' });
  const bob = await records.createUser({ name: 'bob', displayName: 'Bob', role: 'owner', tokenId: 'b', tokenHash: 'b' });
  return { records, bus, handover, heard, opened, alice, bob };
}

describe('hand-over service', () => {
  it('tells the customer who will answer: someone online, no one online, or when people are back', async () => {
    const { records, bus, handover } = await setup();
    const first = await records.createConversation();
    const nobody = await handover.handOver({ conversationId: first.id, reason: 'customer-request' });
    expect(nobody).toMatchObject({ created: true, agentsOnline: 0 });
    expect(nobody.message).toMatch(/^We have opened ticket KF-\d{6}\. No one from our team is online right now/);
    bus.publish({ kind: 'presence', agentId: 'x', name: 'Alice', state: 'online', ttlMs: 60_000 });
    const second = await records.createConversation({ language: 'zh' });
    const online = await handover.handOver({ conversationId: second.id, reason: 'customer-request' });
    expect(online.message).toMatch(/^已为您创建工单 KF-\d{6}。人工客服会尽快/);
    // The notice is in the transcript, once, however often the customer asks.
    await handover.handOver({ conversationId: second.id, reason: 'customer-request' });
    expect((await records.listMessages(second.id)).filter((message) => message.role === 'system')).toHaveLength(1);

    // Saturday: closed until Monday 09:00 Berlin.
    const weekend = await setup({ hours: 'mon-fri 09:00-18:00', at: '2026-01-03T12:00:00Z' });
    const third = await weekend.records.createConversation();
    const closed = await weekend.handover.handOver({ conversationId: third.id, reason: 'customer-request' });
    expect(closed.outsideHours).toEqual({ backAt: '2026-01-05T08:00:00.000Z', backAtText: 'Monday 09:00 (Europe/Berlin)' });
    expect(closed.message).toContain('back Monday 09:00 (Europe/Berlin)');
    expect(closed.message).toContain('leave an email address or phone number');
    expect(closed.ticket.outsideHours).toBe(true);
    const ticket = await weekend.handover.setContact({ conversationId: third.id, email: 'sam@example.com', phone: '+49 (30) 1234-5678' });
    expect(ticket).toMatchObject({ contactEmail: 'sam@example.com', contactPhone: '+49 (30) 1234-5678' });
  });

  it('hands over after N refusals in a row (not N refusals in all), and for an intent routed to people', async () => {
    const { records, handover, opened } = await setup({ afterRefusals: 2 });
    const conversation = await records.createConversation();
    const answer = async (outcome: string) => {
      await handover.record([{ conversationId: conversation.id, role: 'assistant', text: '…', outcome, language: 'en' }]);
      return handover.afterAnswer({ conversationId: conversation.id, question: 'q', outcome, language: 'en' });
    };
    expect(await answer('refused')).toBeUndefined();
    expect(await answer('answered')).toBeUndefined();
    expect(await answer('refused')).toBeUndefined();
    const handed = await answer('refused');
    expect(handed?.ticket.reason).toBe('no-answer');
    expect(handed?.message).toMatch(/^I couldn't find the answer to your questions/);
    // With people now, no further automatic hand-over.
    expect(await answer('refused')).toBeUndefined();
    expect(opened).toEqual(['no-answer']);

    const routed = await setup({ routeToPeople: ({ question }) => (question.includes('invoice') ? 'billing' : undefined) });
    const other = await routed.records.createConversation();
    expect((await routed.handover.afterAnswer({ conversationId: other.id, question: 'my invoice is wrong', outcome: 'answered', language: 'en' }))?.ticket).toMatchObject({ reason: 'intent', note: 'billing' });
    const off = await setup({ afterRefusals: 0 });
    const third = await off.records.createConversation();
    await off.handover.record([{ conversationId: third.id, role: 'assistant', text: '…', outcome: 'refused' }]);
    expect(await off.handover.afterAnswer({ conversationId: third.id, question: 'q', outcome: 'refused', language: 'en' })).toBeUndefined();
  });

  it('publishes every committed change and announces joins, resolution and hand-back to the customer', async () => {
    const { records, handover, heard, alice, bob } = await setup();
    const conversation = await records.createConversation();
    await handover.handOver({ conversationId: conversation.id, reason: 'customer-request' });
    expect((await handover.customerMessage({ conversationId: conversation.id, text: 'hello?' })).toPeople).toBe(true);
    await handover.reply({ conversationId: conversation.id, author: alice, text: 'Hi!' });
    await handover.reply({ conversationId: conversation.id, author: bob, text: 'Alice is great', note: true });
    await handover.assign({ conversationId: conversation.id, agent: bob, by: bob });
    await handover.resolve({ conversationId: conversation.id, by: bob });
    handover.typing({ conversationId: conversation.id, who: 'customer' });

    const system = (await records.listMessages(conversation.id)).filter((message) => message.role === 'system').map((message) => message.text);
    expect(system.slice(1)).toEqual(['You are now chatting with Alice.', 'You are now chatting with Bob.', 'Bob marked this conversation as resolved. If you need anything else, just write again.']);
    const events = heard.filter((signal) => signal.kind === 'event').map((signal) => (signal.kind === 'event' ? signal.event : undefined));
    const stored = await records.listEvents({ conversationId: conversation.id });
    // Everything after conversation-started was published, in order.
    expect(events.map((event) => event?.seq)).toEqual(stored.slice(1).map((event) => event.seq));
    expect(heard.at(-1)).toEqual({ kind: 'typing', conversationId: conversation.id, who: 'customer' });

    await handover.customerMessage({ conversationId: conversation.id, text: 'one more question' });
    await handover.handOver({ conversationId: conversation.id, reason: 'customer-request' });
    await handover.handBack({ conversationId: conversation.id, by: alice });
    expect((await records.getConversation(conversation.id))?.state).toBe('bot');
    expect((await records.listMessages(conversation.id)).at(-1)?.text).toBe('You are chatting with our assistant again. Ask for a person any time.');
  });

  it('validates contact details and names the field that is wrong', () => {
    expect(validateContact({ email: ' sam@example.com ' })).toEqual({ email: 'sam@example.com' });
    expect(validateContact({ phone: '138 0013 8000' })).toEqual({ phone: '138 0013 8000' });
    expect(() => validateContact({})).toThrow(expect.objectContaining({ code: 'CONTACT_INVALID', message: expect.stringContaining('email address or a phone') }));
    expect(() => validateContact({ email: 'sam@example' })).toThrow(expect.objectContaining({ message: expect.stringContaining('email address') }));
    expect(() => validateContact({ email: '<script>@x.com' })).toThrow(expect.objectContaining({ code: 'CONTACT_INVALID' }));
    expect(() => validateContact({ phone: '12345' })).toThrow(expect.objectContaining({ message: expect.stringContaining('6 to 20 digits') }));
    expect(() => validateContact({ phone: 'call me maybe' })).toThrow(expect.objectContaining({ code: 'CONTACT_INVALID' }));
  });
});
