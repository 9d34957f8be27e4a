/** The hand-over rules the records enforce: states as timed events, one open ticket, who may reply, last assignment wins. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsEngines, type RecordsEngine } from '../../test/support/records-engines.ts';
import type { AgentActor, RecordsStore } from './types.ts';

for (const engine of recordsEngines()) {
  // A missing PostgreSQL is shown as a skipped suite with its reason, never silently passed.
  const title = engine.skip ? `records on ${engine.name} (skipped: ${engine.skip})` : `records on ${engine.name}`;
  (engine.skip ? describe.skip : describe)(title, () => {
    beforeAll(() => engine.start(), 120_000);
    afterAll(() => engine.stop());
    defineSuite(engine);
  });
}

function defineSuite(engine: RecordsEngine): void {
  async function setup(now?: () => Date): Promise<{ records: RecordsStore; alice: AgentActor; bob: AgentActor }> {
    const records = await engine.open(now ? { now } : {});
    const a = await records.createUser({ name: 'Alice', displayName: 'Alice', role: 'agent', tokenId: 'ta', tokenHash: 'ha' });
    const b = await records.createUser({ name: 'bob', displayName: 'Bob', role: 'agent', tokenId: 'tb', tokenHash: 'hb' });
    return { records, alice: { id: a.id, displayName: a.displayName }, bob: { id: b.id, displayName: b.displayName } };
  }

  describe('conversation states and tickets', () => {
    it('goes bot → waiting → agent → resolved → bot, each change a timed event, and routes customer messages by state', async () => {
      const { records, alice } = await setup();
      const conversation = await records.createConversation({ channel: 'widget', tokenHash: 'hash', language: 'en' });
      expect(conversation).toMatchObject({ state: 'bot', channel: 'widget', hasToken: true, language: 'en' });
      expect(await records.conversationTokenHash(conversation.id)).toBe('hash');

      expect((await records.addCustomerMessage({ conversationId: conversation.id, text: 'Where is my parcel?' })).toPeople).toBe(false);
      const opened = await records.openTicket({ conversationId: conversation.id, reason: 'customer-request', note: 'urgent', outsideHours: true });
      expect(opened.created).toBe(true);
      expect(opened.ticket).toMatchObject({ status: 'open', reason: 'customer-request', outsideHours: true, priority: 'normal' });
      expect(opened.events.map((event) => event.type)).toEqual(['ticket-opened', 'state-changed']);
      expect(opened.events[1]?.data).toMatchObject({ from: 'bot', to: 'waiting', cause: 'customer-request' });
      expect((await records.openTicket({ conversationId: conversation.id, reason: 'no-answer' })).created).toBe(false);

      const waitingMessage = await records.addCustomerMessage({ conversationId: conversation.id, text: 'Hello? <script>alert(1)</script>' });
      expect(waitingMessage.toPeople).toBe(true);
      expect(waitingMessage.events[0]?.data).toMatchObject({ role: 'user', toPeople: true });

      const reply = await records.addAgentMessage({ conversationId: conversation.id, author: alice, text: 'Hi, this is Alice.' });
      expect(reply.message).toMatchObject({ role: 'agent', authorId: alice.id, authorName: 'Alice' });
      expect(reply.ticket.assigneeId).toBe(alice.id);
      expect(reply.ticket.firstResponseAt).toBe(reply.message.createdAt);
      expect(reply.events.map((event) => event.type)).toEqual(['ticket-assigned', 'state-changed', 'message-added']);
      expect((await records.getConversation(conversation.id))?.state).toBe('agent');

      const resolved = await records.closeTicket({ conversationId: conversation.id, by: alice, resolution: 'resolved' });
      expect(resolved.ticket).toMatchObject({ status: 'closed', resolution: 'resolved', closedAt: expect.any(String) });
      expect((await records.getConversation(conversation.id))?.state).toBe('resolved');
      await expect(records.addAgentMessage({ conversationId: conversation.id, author: alice, text: 'one more thing' })).rejects.toMatchObject({ code: 'CONVERSATION_RESOLVED' });
      await expect(records.closeTicket({ conversationId: conversation.id, by: alice, resolution: 'resolved' })).rejects.toMatchObject({ code: 'CONVERSATION_RESOLVED' });

      expect((await records.rateTicket({ conversationId: conversation.id, score: 4 })).ticket.rating).toBe(4);
      await expect(records.rateTicket({ conversationId: conversation.id, score: 5 })).rejects.toMatchObject({ code: 'RATING_NOT_EXPECTED' });

      const back = await records.addCustomerMessage({ conversationId: conversation.id, text: 'And how do refunds work?' });
      expect(back.toPeople).toBe(false);
      expect(back.events[0]?.data).toMatchObject({ from: 'resolved', to: 'bot', cause: 'customer-returned' });

      const states = (await records.listEvents({ conversationId: conversation.id, types: ['state-changed'] })).map((event) => `${String(event.data.from)}→${String(event.data.to)}`);
      expect(states).toEqual(['bot→waiting', 'waiting→agent', 'agent→resolved', 'resolved→bot']);
      const all = await records.listEvents({ conversationId: conversation.id });
      expect(all.map((event) => event.seq)).toEqual([...all.map((event) => event.seq)].sort((x, y) => x - y));
      expect(all[0]?.type).toBe('conversation-started');
      expect(await records.lastEventSeq()).toBe(all.at(-1)?.seq);
      await records.close();
    });

    it('hands back to kefu: the ticket closes and the conversation is with the bot again', async () => {
      const { records, alice } = await setup();
      const conversation = await records.createConversation();
      await records.openTicket({ conversationId: conversation.id, reason: 'no-answer' });
      await records.assign({ conversationId: conversation.id, agent: alice, by: alice });
      const { ticket, events } = await records.closeTicket({ conversationId: conversation.id, by: alice, resolution: 'handed-back' });
      expect(ticket).toMatchObject({ status: 'closed', resolution: 'handed-back' });
      expect(events.at(-1)?.data).toMatchObject({ from: 'agent', to: 'bot', cause: 'handed-back' });
      await expect(records.rateTicket({ conversationId: conversation.id, score: 3 })).rejects.toMatchObject({ code: 'RATING_NOT_EXPECTED' });
      // Asking for a person again opens a new ticket.
      const again = await records.openTicket({ conversationId: conversation.id, reason: 'customer-request' });
      expect(again.created).toBe(true);
      expect(again.ticket.id).not.toBe(ticket.id);
      await records.close();
    });

    it('never lets two agents answer one conversation unknowingly: one reply wins, the other is told who has it; last assignment wins', async () => {
      const { records, alice, bob } = await setup();
      const conversation = await records.createConversation();
      await records.openTicket({ conversationId: conversation.id, reason: 'customer-request' });
      const results = await Promise.allSettled([
        records.addAgentMessage({ conversationId: conversation.id, author: alice, text: 'Alice here' }),
        records.addAgentMessage({ conversationId: conversation.id, author: bob, text: 'Bob here' }),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((result) => result.status === 'rejected');
      expect(refused?.status === 'rejected' && refused.reason).toMatchObject({ code: 'CONVERSATION_ASSIGNED', message: expect.stringContaining('Alice has it') });
      expect((await records.listMessages(conversation.id)).filter((message) => message.role === 'agent')).toHaveLength(1);

      // Bob may still leave a note, and may take the conversation over: visibly, with who had it before.
      await records.addAgentMessage({ conversationId: conversation.id, author: bob, text: 'I know this customer', note: true });
      const takeover = await records.assign({ conversationId: conversation.id, agent: bob, by: bob });
      expect(takeover.events[0]).toMatchObject({ type: 'ticket-assigned', data: { agentId: bob.id, previousAgentId: alice.id, agentName: 'Bob' } });
      await expect(records.addAgentMessage({ conversationId: conversation.id, author: alice, text: 'still me?' })).rejects.toMatchObject({ code: 'CONVERSATION_ASSIGNED' });
      expect((await records.addAgentMessage({ conversationId: conversation.id, author: bob, text: 'Bob now' })).message.role).toBe('agent');
      // Assigning to the current assignee changes nothing.
      expect((await records.assign({ conversationId: conversation.id, agent: bob, by: alice })).events).toEqual([]);
      await records.close();
    });

    it('refuses agent replies to unknown conversations and to conversations kefu is answering', async () => {
      const { records, alice } = await setup();
      await expect(records.addAgentMessage({ conversationId: 'nope', author: alice, text: 'hi' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
      const conversation = await records.createConversation();
      await expect(records.addAgentMessage({ conversationId: conversation.id, author: alice, text: 'hi' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_WITH_PEOPLE' });
      await expect(records.assign({ conversationId: conversation.id, agent: alice, by: alice })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_WITH_PEOPLE' });
      await expect(records.setTicketContact({ conversationId: conversation.id, email: 'a@b.co' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_WITH_PEOPLE' });
      await records.close();
    });

    it('lists the queue by view with the last message, unanswered count, priority, tags and contact', async () => {
      let clock = new Date('2026-01-05T09:00:00Z').getTime();
      const { records, alice } = await setup(() => new Date(clock));
      const first = await records.createConversation({ language: 'zh' });
      const second = await records.createConversation();
      await records.openTicket({ conversationId: first.id, reason: 'customer-request' });
      clock += 60_000;
      await records.openTicket({ conversationId: second.id, reason: 'no-answer' });
      clock += 1000;
      await records.addCustomerMessage({ conversationId: second.id, text: 'anyone?' });
      await records.addCustomerMessage({ conversationId: second.id, text: 'hello??' });
      await records.setTicketContact({ conversationId: second.id, email: 'sam@example.com', phone: '+1 555 0100' });
      await records.updateTicket({ conversationId: second.id, by: alice, priority: 'high', tags: ['refund', ' refund ', 'vip'] });

      const waiting = await records.listQueue({ view: 'waiting' });
      expect(waiting.map((item) => item.conversation.id)).toEqual([first.id, second.id]);
      expect(waiting[1]).toMatchObject({ unanswered: 2, lastMessage: { role: 'user', text: 'hello??' }, ticket: { priority: 'high', tags: ['refund', 'vip'], contactEmail: 'sam@example.com', contactPhone: '+1 555 0100' } });
      expect(waiting[0]?.conversation.language).toBe('zh');

      await records.addAgentMessage({ conversationId: second.id, author: alice, text: 'Here!' });
      expect(await records.countQueue({ agentId: alice.id })).toEqual({ waiting: 1, mine: 1, open: 2, resolved: 0 });
      expect((await records.listQueue({ view: 'mine', agentId: alice.id }))[0]).toMatchObject({ unanswered: 0, lastMessage: { role: 'agent', text: 'Here!' } });
      await records.closeTicket({ conversationId: second.id, by: alice, resolution: 'resolved' });
      expect((await records.listQueue({ view: 'resolved' })).map((item) => item.conversation.id)).toEqual([second.id]);
      expect((await records.currentTicket(second.id))?.status).toBe('closed');
      await records.close();
    });
  });

  describe('accounts, sessions and sign-in lock-out', () => {
    it('ends sessions when a token is replaced or the user disabled, and lets sessions expire', async () => {
      let clock = Date.parse('2026-01-05T09:00:00Z');
      const { records, alice } = await setup(() => new Date(clock));
      await expect(records.createUser({ name: 'ALICE', displayName: 'A', role: 'agent', tokenId: 'x', tokenHash: 'y' })).rejects.toMatchObject({ code: 'USER_EXISTS' });
      await records.createSession({ idHash: 's1', userId: alice.id, csrfToken: 'c1', expiresAt: new Date(clock + 3_600_000).toISOString() });
      expect((await records.getSession('s1'))?.user.name).toBe('alice');
      clock += 3_600_001;
      expect(await records.getSession('s1')).toBeUndefined();

      await records.createSession({ idHash: 's2', userId: alice.id, csrfToken: 'c2', expiresAt: new Date(clock + 3_600_000).toISOString() });
      await records.replaceUserToken({ name: 'alice', tokenId: 'ta2', tokenHash: 'ha2' });
      expect(await records.getSession('s2')).toBeUndefined();
      expect(await records.credentialByTokenId('ta')).toBeUndefined();
      expect((await records.credentialByTokenId('ta2'))?.tokenHash).toBe('ha2');

      await records.createSession({ idHash: 's3', userId: alice.id, csrfToken: 'c3', expiresAt: new Date(clock + 3_600_000).toISOString() });
      expect((await records.setUserDisabled({ name: 'alice', disabled: true })).disabled).toBe(true);
      expect(await records.getSession('s3')).toBeUndefined();
      await expect(records.setUserDisabled({ name: 'nobody', disabled: true })).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
      await records.close();
    });

    it('locks a name after the allowed failures, for the lock-out time, known or not', async () => {
      let clock = Date.parse('2026-01-05T09:00:00Z');
      const { records } = await setup(() => new Date(clock));
      for (let index = 1; index < 5; index += 1) expect(await records.recordSignInFailure({ name: 'Ghost', maxFailures: 5, lockoutMs: 60_000 })).toEqual({ failures: index });
      const locked = await records.recordSignInFailure({ name: 'ghost', maxFailures: 5, lockoutMs: 60_000 });
      expect(locked.lockedUntil).toBe(new Date(clock + 60_000).toISOString());
      // Failing again while locked does not extend the lock.
      clock += 30_000;
      expect((await records.recordSignInFailure({ name: 'ghost', maxFailures: 5, lockoutMs: 60_000 })).lockedUntil).toBe(locked.lockedUntil);
      expect((await records.signInAttempts('GHOST')).lockedUntil).toBe(locked.lockedUntil);
      clock += 31_000;
      expect((await records.signInAttempts('ghost')).lockedUntil).toBeUndefined();
      expect(await records.recordSignInFailure({ name: 'ghost', maxFailures: 5, lockoutMs: 60_000 })).toEqual({ failures: 1 });
      await records.clearSignInFailures('ghost');
      expect(await records.signInAttempts('ghost')).toEqual({ failures: 0 });
      await records.close();
    });

    it('keeps quick replies per team with unique shortcuts', async () => {
      const { records, alice } = await setup();
      const saved = await records.saveQuickReply({ shortcut: 'Refund', text: 'Hi {customer}, refunds take 5 days. — {agent}', by: alice.id });
      expect(saved.shortcut).toBe('refund');
      await expect(records.saveQuickReply({ shortcut: 'refund', text: 'again', by: alice.id })).rejects.toMatchObject({ code: 'QUICK_REPLY_EXISTS' });
      const edited = await records.saveQuickReply({ id: saved.id, shortcut: 'refunds', text: 'edited', by: alice.id });
      expect(edited).toMatchObject({ id: saved.id, shortcut: 'refunds', text: 'edited' });
      expect(await records.listQuickReplies('other-team')).toEqual([]);
      await records.deleteQuickReply(saved.id);
      await expect(records.deleteQuickReply(saved.id)).rejects.toMatchObject({ code: 'QUICK_REPLY_NOT_FOUND' });
      await records.close();
    });
  });

  describe('webhook outbox', () => {
    it('queues each event once per receiver, leases claims, and records each attempt', async () => {
      let clock = Date.parse('2026-01-05T09:00:00Z');
      const { records } = await setup(() => new Date(clock));
      const at = new Date(clock).toISOString();
      expect(await records.getCursor('webhooks')).toBeUndefined();
      const delivery = { eventSeq: 7, eventType: 'ticket.created' as const, url: 'http://127.0.0.1:9/hook', payload: '{"type":"ticket.created"}', nextAttemptAt: at };
      await records.enqueueDeliveries({ cursor: 'webhooks', upToSeq: 7, deliveries: [delivery] });
      await records.enqueueDeliveries({ cursor: 'webhooks', upToSeq: 5, deliveries: [delivery] });
      expect(await records.getCursor('webhooks')).toBe(7);
      expect(await records.listDeliveries()).toHaveLength(1);

      const [claimed] = await records.claimDeliveries({ now: at, limit: 10, leaseMs: 30_000 });
      expect(claimed?.eventSeq).toBe(7);
      expect(await records.claimDeliveries({ now: at, limit: 10, leaseMs: 30_000 })).toEqual([]);
      await records.finishDelivery({ id: claimed?.id ?? '', status: 'pending', nextAttemptAt: new Date(clock + 2_000).toISOString(), statusCode: 500, error: 'HTTP 500', durationMs: 12 });
      expect(await records.claimDeliveries({ now: at, limit: 10, leaseMs: 30_000 })).toEqual([]);
      clock += 2_000;
      const [again] = await records.claimDeliveries({ now: new Date(clock).toISOString(), limit: 10, leaseMs: 30_000 });
      expect(again).toMatchObject({ attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500' });
      await records.finishDelivery({ id: again?.id ?? '', status: 'failed', error: 'gave up', durationMs: 5 });
      const retried = await records.retryDelivery(again?.id ?? '');
      expect(retried).toMatchObject({ status: 'pending', attempts: 2 });
      await expect(records.retryDelivery('nope')).rejects.toMatchObject({ code: 'DELIVERY_NOT_FOUND' });
      await records.close();
    });
  });
}
