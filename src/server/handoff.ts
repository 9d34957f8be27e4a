/**
 * Hand-over to a person, shared by POST /api/handoff (the button) and POST /api/chat (a typed request such as
 * "I want to speak to a human" / 我要转人工): one open ticket per conversation, opened by either path.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RecordsStore, TicketReason, TicketRecord } from '../records/types.ts';
import type { ServiceMetrics } from './metrics.ts';

/** What the customer is told after asking for a person. */
export function handoffMessage(ticket: Pick<TicketRecord, 'number'>, language: 'en' | 'zh'): string {
  return language === 'zh'
    ? `已为您创建工单 ${ticket.number}。人工客服会查看这段对话，并在一个工作日内回复您。联系我们时请提供此工单号。`
    : `We have opened ticket ${ticket.number}. A member of our support team will read this conversation and reply within one working day. Please quote the ticket number if you contact us.`;
}

export interface HandoffResult {
  ticket: { id: number; number: string; status: string; reason: TicketReason; createdAt: string };
  message: string;
  /** False when the conversation already had an open ticket (it is returned, nothing new is written). */
  created: boolean;
}

/**
 * Opens the conversation's ticket (or finds the open one) and, for a new ticket, adds the customer-facing
 * message to the transcript so the conversation reads the same later.
 *
 * @example
 *   const { ticket, message } = await handOver({ records, metrics, log, conversationId, reason: 'customer-request' });
 */
export async function handOver(options: {
  records: RecordsStore;
  metrics: ServiceMetrics;
  log: FastifyBaseLogger;
  conversationId: string;
  reason: TicketReason;
  note?: string;
  language?: 'en' | 'zh';
}): Promise<HandoffResult> {
  const { records, conversationId, reason } = options;
  const { ticket, created } = await records.openTicket({ conversationId, reason, note: options.note ?? '' });
  const language = options.language ?? (ticket.transcript.findLast((message) => message.role === 'assistant')?.language === 'zh' ? 'zh' : 'en');
  const message = handoffMessage(ticket, language);
  if (created) {
    await records.appendMessages([{ conversationId, role: 'system', text: message }]);
    options.metrics.tickets.inc({ reason });
    options.log.info({ ticket: ticket.number, reason, conversationId }, 'ticket opened');
  } else {
    options.log.info({ ticket: ticket.number, conversationId }, 'hand-over asked again: the open ticket stands');
  }
  return {
    ticket: { id: ticket.id, number: ticket.number, status: ticket.status, reason: ticket.reason, createdAt: ticket.createdAt },
    message,
    created,
  };
}
