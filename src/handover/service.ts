/**
 * The hand-over: what happens when a conversation goes to people, what agents do with it, and how it comes back to
 * kefu. The records enforce the rules in their transactions (one open ticket, who may reply, last assignment wins);
 * this service decides the policy around them (business hours, refusals in a row, the notices customers read, the
 * hook for intents routed to people) and publishes every committed event on the bus, so live streams, presence and
 * webhooks hear about it. No HTTP here: the server calls it, and so could another channel.
 */
import { KefuError } from '../errors/index.ts';
import type { EventBus } from '../events/bus.ts';
import type { Presence } from '../events/presence.ts';
import type { OpenRange } from '../config/index.ts';
import type {
  AgentActor,
  ConversationEvent,
  MessageRecord,
  NewMessage,
  Priority,
  RecordsStore,
  TicketReason,
  TicketSummary,
  UserRecord,
} from '../records/types.ts';
import { describeOpening, isOpen, nextOpening } from './business-hours.ts';
import { agentJoinedNotice, contactThanksNotice, handedBackNotice, handedOverNotice, noticeLanguage, resolvedNotice, type NoticeLanguage } from './messages.ts';

export interface HandoverSettings {
  readonly afterRefusals: number;
  readonly businessHours: readonly OpenRange[];
  readonly timeZone: string;
}

/** What a later intent layer may say about an answer: route the conversation to people, with a name for the intent. */
export type IntentRoute = (answer: { question: string; outcome: string; language: string }) => string | undefined;

export interface HandoverResult {
  ticket: TicketSummary;
  /** What the customer is told (also stored in the transcript when the ticket is new). */
  message: string;
  created: boolean;
  /** Outside business hours: when people are back (ISO and as the customer reads it). */
  outsideHours?: { backAt: string; backAtText: string };
  /** Agents with the workspace open now. */
  agentsOnline: number;
  /** The id of the notice stored in the transcript (new tickets only). */
  noticeId?: string;
}

export interface HandoverService {
  /** Opens (or finds) the conversation's ticket; the customer is told what happens next. */
  handOver(input: { conversationId: string; reason: TicketReason; note?: string; priority?: Priority; language?: NoticeLanguage }): Promise<HandoverResult>;
  /** Stores a customer message; `toPeople` when people have the conversation (kefu must not answer then). */
  customerMessage(input: { conversationId: string; text: string }): Promise<{ message: MessageRecord; toPeople: boolean }>;
  /** Stores kefu's answer (or any system message) and publishes it. */
  record(messages: NewMessage[]): Promise<MessageRecord[]>;
  /**
   * After kefu answered: hands over when the answer was the N-th refusal in a row, or an intent is routed to people.
   * Returns the hand-over when one happened.
   */
  afterAnswer(input: { conversationId: string; question: string; outcome: string; language: string }): Promise<HandoverResult | undefined>;
  setContact(input: { conversationId: string; email?: string; phone?: string }): Promise<TicketSummary>;
  reply(input: { conversationId: string; author: UserRecord; text: string; note?: boolean }): Promise<{ message: MessageRecord; ticket: TicketSummary }>;
  assign(input: { conversationId: string; agent: UserRecord; by: UserRecord }): Promise<TicketSummary>;
  update(input: { conversationId: string; by: UserRecord; priority?: Priority; tags?: string[] }): Promise<TicketSummary>;
  resolve(input: { conversationId: string; by: UserRecord }): Promise<TicketSummary>;
  handBack(input: { conversationId: string; by: UserRecord }): Promise<TicketSummary>;
  rate(input: { conversationId: string; score: number }): Promise<TicketSummary>;
  typing(input: { conversationId: string; who: 'customer' } | { conversationId: string; who: 'agent'; agent: UserRecord }): void;
  /** Open now, and when people are back if not. */
  availability(at?: Date): { open: boolean; backAt?: string };
}

const actor = (user: UserRecord): AgentActor => ({ id: user.id, displayName: user.displayName });

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;
const PHONE = /^\+?[0-9][0-9 ()./-]{4,28}[0-9]$/;

/**
 * Contact details as stored: trimmed, validated (CONTACT_INVALID names the field), at least one of the two.
 *
 * @example
 *   validateContact({ email: ' sam@example.com ' }) // { email: 'sam@example.com' }
 */
export function validateContact(input: { email?: string; phone?: string }): { email?: string; phone?: string } {
  const email = input.email?.trim() ?? '';
  const phone = input.phone?.trim() ?? '';
  if (!email && !phone) throw new KefuError('CONTACT_INVALID', { detail: 'give an email address or a phone number' });
  const contact: { email?: string; phone?: string } = {};
  if (email) {
    if (email.length > 254 || !EMAIL.test(email)) throw new KefuError('CONTACT_INVALID', { detail: 'the email address does not look like name@example.com' });
    contact.email = email;
  }
  if (phone) {
    const digits = phone.replace(/\D/g, '').length;
    if (!PHONE.test(phone) || digits < 6 || digits > 20) throw new KefuError('CONTACT_INVALID', { detail: 'the phone number needs 6 to 20 digits' });
    contact.phone = phone;
  }
  return contact;
}

/**
 * The hand-over service.
 *
 * @example
 *   const handover = createHandoverService({ records, bus, presence, settings: config.handover });
 *   await handover.handOver({ conversationId, reason: 'customer-request' });
 */
export function createHandoverService(options: {
  records: RecordsStore;
  bus: EventBus;
  presence: Presence;
  settings: HandoverSettings;
  now?: () => Date;
  routeToPeople?: IntentRoute;
  /** Called once per new ticket (metrics). */
  onTicketOpened?: (reason: TicketReason) => void;
}): HandoverService {
  const { records, bus, presence, settings } = options;
  const now = options.now ?? (() => new Date());

  const publish = (events: readonly ConversationEvent[]): void => {
    for (const event of events) bus.publish({ kind: 'event', event });
  };

  async function languageOf(conversationId: string): Promise<NoticeLanguage> {
    return noticeLanguage((await records.getConversation(conversationId))?.language);
  }

  function availability(at = now()): { open: boolean; backAt?: string } {
    const open = isOpen({ hours: settings.businessHours, timeZone: settings.timeZone, at });
    if (open) return { open };
    const back = nextOpening({ hours: settings.businessHours, timeZone: settings.timeZone, at });
    return back ? { open, backAt: back.toISOString() } : { open };
  }

  async function handOver(input: { conversationId: string; reason: TicketReason; note?: string; priority?: Priority; language?: NoticeLanguage }): Promise<HandoverResult> {
    const at = now();
    const hours = availability(at);
    const opened = await records.openTicket({
      conversationId: input.conversationId,
      reason: input.reason,
      note: input.note ?? '',
      ...(input.priority ? { priority: input.priority } : {}),
      outsideHours: !hours.open,
      ...(input.language ? { language: input.language } : {}),
    });
    const language = input.language ?? (await languageOf(input.conversationId));
    const online = presence.online().length;
    const backAtText = hours.backAt ? describeOpening({ at: new Date(hours.backAt), timeZone: settings.timeZone, language }) : undefined;
    const message = handedOverNotice({
      ticket: opened.ticket.number,
      reason: opened.ticket.reason,
      language,
      availability: backAtText ? { kind: 'closed', backAt: backAtText } : online === 0 ? { kind: 'nobody-online' } : { kind: 'online' },
    });
    const events = [...opened.events];
    let noticeId: string | undefined;
    if (opened.created) {
      const stored = await records.recordMessages([{ conversationId: input.conversationId, role: 'system', text: message }]);
      events.push(...stored.events);
      noticeId = stored.messages[0]?.id;
      options.onTicketOpened?.(opened.ticket.reason);
    }
    publish(events);
    const result: HandoverResult = { ticket: opened.ticket, message, created: opened.created, agentsOnline: online, ...(noticeId ? { noticeId } : {}) };
    if (hours.backAt && backAtText && opened.ticket.outsideHours) result.outsideHours = { backAt: hours.backAt, backAtText };
    return result;
  }

  return {
    handOver,

    async customerMessage(input) {
      const { message, toPeople, events } = await records.addCustomerMessage(input);
      publish(events);
      return { message, toPeople };
    },

    async record(messages) {
      const stored = await records.recordMessages(messages);
      publish(stored.events);
      return stored.messages;
    },

    async afterAnswer(input) {
      const conversation = await records.getConversation(input.conversationId);
      if (!conversation || conversation.state !== 'bot') return undefined;
      const language = noticeLanguage(input.language);
      const intent = options.routeToPeople?.({ question: input.question, outcome: input.outcome, language: input.language });
      if (intent) return handOver({ conversationId: input.conversationId, reason: 'intent', note: intent, language });
      if (input.outcome !== 'refused' || settings.afterRefusals === 0) return undefined;
      // Refusals in a row: kefu's latest answers, newest first, until one that was not a refusal.
      const answers = (await records.listMessages(input.conversationId)).filter((message) => message.role === 'assistant').reverse();
      let refusals = 0;
      for (const answer of answers) {
        if (answer.outcome !== 'refused') break;
        refusals += 1;
      }
      if (refusals < settings.afterRefusals) return undefined;
      return handOver({ conversationId: input.conversationId, reason: 'no-answer', language });
    },

    async setContact(input) {
      const contact = validateContact(input);
      const { ticket, events } = await records.setTicketContact({ conversationId: input.conversationId, ...contact });
      const thanks = await records.recordMessages([{ conversationId: input.conversationId, role: 'system', text: contactThanksNotice(await languageOf(input.conversationId)) }]);
      publish([...events, ...thanks.events]);
      return ticket;
    },

    async reply(input) {
      const language = await languageOf(input.conversationId);
      const { message, ticket, events } = await records.addAgentMessage({
        conversationId: input.conversationId,
        author: actor(input.author),
        text: input.text,
        ...(input.note ? { note: true } : { notice: agentJoinedNotice(input.author.displayName, language) }),
      });
      publish(events);
      return { message, ticket };
    },

    async assign(input) {
      const language = await languageOf(input.conversationId);
      const { ticket, events } = await records.assign({
        conversationId: input.conversationId,
        agent: actor(input.agent),
        by: actor(input.by),
        notice: agentJoinedNotice(input.agent.displayName, language),
      });
      publish(events);
      return ticket;
    },

    async update(input) {
      const { ticket, events } = await records.updateTicket({
        conversationId: input.conversationId,
        by: actor(input.by),
        ...(input.priority ? { priority: input.priority } : {}),
        ...(input.tags ? { tags: input.tags } : {}),
      });
      publish(events);
      return ticket;
    },

    async resolve(input) {
      const language = await languageOf(input.conversationId);
      const { ticket, events } = await records.closeTicket({ conversationId: input.conversationId, by: actor(input.by), resolution: 'resolved', notice: resolvedNotice(input.by.displayName, language) });
      publish(events);
      return ticket;
    },

    async handBack(input) {
      const language = await languageOf(input.conversationId);
      const { ticket, events } = await records.closeTicket({ conversationId: input.conversationId, by: actor(input.by), resolution: 'handed-back', notice: handedBackNotice(language) });
      publish(events);
      return ticket;
    },

    async rate(input) {
      const { ticket, events } = await records.rateTicket(input);
      publish(events);
      return ticket;
    },

    typing(input) {
      if (input.who === 'agent') bus.publish({ kind: 'typing', conversationId: input.conversationId, who: 'agent', agentId: input.agent.id, name: input.agent.displayName });
      else bus.publish({ kind: 'typing', conversationId: input.conversationId, who: 'customer' });
    },

    availability,
  };
}
