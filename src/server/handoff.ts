/**
 * The hand-over as customers see it in HTTP replies (POST /api/handoff, and `handoff` in POST /api/chat when the
 * question asked for a person or kefu could not answer N times in a row). The hand-over itself is
 * `src/handover`'s service.
 */
import type { HandoverResult } from '../handover/index.ts';

/** The reply body of a hand-over: the ticket, what the customer is told, and outside business hours when people are back. */
export function handoffView(result: HandoverResult) {
  const { ticket } = result;
  return {
    ticket: { id: ticket.id, number: ticket.number, status: ticket.status, reason: ticket.reason, createdAt: ticket.createdAt },
    message: result.message,
    agentsOnline: result.agentsOnline,
    ...(result.noticeId ? { messageId: result.noticeId } : {}),
    ...(result.outsideHours ? { outsideHours: result.outsideHours } : {}),
  };
}
