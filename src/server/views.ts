/**
 * Records as the staff API shows them: tickets with their assignee's name, the first-response SLA, queue items.
 * Ids of people become names here, once, so the workspace never shows an id.
 */
import type { QueueItem, RecordsStore, TicketSummary, UserRecord } from '../records/types.ts';
import type { Presence } from '../events/presence.ts';

export type Names = ReadonlyMap<string, string>;

/** Display names by user id (a small table: read per request). */
export async function userNames(records: RecordsStore): Promise<Names> {
  return new Map((await records.listUsers()).map((user: UserRecord) => [user.id, user.displayName]));
}

export function ticketView(ticket: TicketSummary, names: Names) {
  return {
    id: ticket.id,
    number: ticket.number,
    reason: ticket.reason,
    status: ticket.status,
    note: ticket.note,
    createdAt: ticket.createdAt,
    priority: ticket.priority,
    tags: ticket.tags,
    outsideHours: ticket.outsideHours,
    contactEmail: ticket.contactEmail ?? null,
    contactPhone: ticket.contactPhone ?? null,
    firstResponseAt: ticket.firstResponseAt ?? null,
    closedAt: ticket.closedAt ?? null,
    resolution: ticket.resolution ?? null,
    rating: ticket.rating ?? null,
    assignee: ticket.assigneeId ? { id: ticket.assigneeId, name: names.get(ticket.assigneeId) ?? 'a former agent' } : null,
  };
}

/**
 * The first-response SLA of a ticket: due `targetMinutes` after it opened; amber from half the target, red past it.
 *
 * @example
 *   slaView({ ticket, targetMinutes: 5, now: new Date() }) // { targetMinutes: 5, dueAt: '…', status: 'warning' }
 */
export function slaView(options: { ticket: TicketSummary; targetMinutes: number; now: Date }) {
  const { ticket, targetMinutes } = options;
  const opened = Date.parse(ticket.createdAt);
  const due = opened + targetMinutes * 60_000;
  let status: 'ok' | 'warning' | 'breached' | 'met' | 'missed';
  const answeredAt = ticket.firstResponseAt ?? ticket.closedAt;
  if (answeredAt) status = Date.parse(answeredAt) <= due ? 'met' : 'missed';
  else {
    const elapsed = options.now.getTime() - opened;
    status = elapsed >= targetMinutes * 60_000 ? 'breached' : elapsed >= (targetMinutes * 60_000) / 2 ? 'warning' : 'ok';
  }
  return { targetMinutes, dueAt: new Date(due).toISOString(), status };
}

export function queueItemView(options: { item: QueueItem; names: Names; presence: Presence; targetMinutes: number; now: Date }) {
  const { item, names } = options;
  return {
    id: item.conversation.id,
    state: item.conversation.state,
    stateSince: item.conversation.stateSince,
    language: item.conversation.language ?? null,
    channel: item.conversation.channel,
    createdAt: item.conversation.createdAt,
    ticket: ticketView(item.ticket, names),
    lastMessage: item.lastMessage ?? null,
    unanswered: item.unanswered,
    sla: slaView({ ticket: item.ticket, targetMinutes: options.targetMinutes, now: options.now }),
    viewers: options.presence.viewers(item.conversation.id),
  };
}
