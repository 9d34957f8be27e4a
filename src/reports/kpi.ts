/**
 * The guide's effect-evaluation KPIs, computed from the conversation event log (every formula is written in
 * README.md; the tests check each one on a constructed log with hand-computed results).
 *
 * A conversation counts in the period it started in (its first day and week in the report's time zone), with every
 * event it has, also after the period: a conversation that comes back later and asks for a person is no longer
 * resolved, however the earlier answer looked (reopened conversations are reversed).
 *
 * @example
 *   const report = computeReport({ data: await records.reportData({ since, until }), period, now: new Date(), settings });
 */
import type { ConversationEvent, ConversationEventType, ReportData, TicketReason } from '../records/types.ts';
import { dayKey, daysBetween, isoWeekOfDay, type ReportPeriod } from './time.ts';

export const HANDOVER_REASONS: readonly TicketReason[] = ['customer-request', 'no-answer', 'negative-feedback', 'intent'];
/** The event types the KPIs read (`conversationFacts`); the report asks the records for these only. */
export const KPI_EVENT_TYPES: readonly ConversationEventType[] = ['message-added', 'ticket-opened', 'ticket-resolved', 'feedback-given', 'rating-given'];

export interface ReportSettings {
  /** Quiet time after kefu's last answer before a conversation counts as resolved (assumed), 24 h by default. */
  resolutionWindowMs: number;
  /** What one conversation handled by people costs, and one handled by kefu (any currency, the same one). */
  humanConversationCost: number;
  botConversationCost: number;
  currency: string;
}

/** The latest evaluation run of the knowledge base's dataset, for answer accuracy. */
export interface EvalAccuracy {
  dataset: string;
  at: string;
  /** Share of the dataset's questions handled right: answered with a gold source first when answerable, declined when not. */
  accuracy: number;
  questions: number;
}

export interface Durations {
  count: number;
  meanMs: number | null;
  medianMs: number | null;
  p95Ms: number | null;
}

export interface Rate {
  count: number;
  of: number;
  /** count ÷ of, or null when `of` is 0 (no data: not zero). */
  rate: number | null;
}

export interface Kpis {
  conversations: number;
  /** Conversations kefu answered at least once. */
  botConversations: number;
  /** Bot conversations whose resolution window has not passed yet: left out of the resolution rates. */
  pending: number;
  botResolution: {
    confirmed: Rate;
    assumed: Rate;
    resolved: Rate;
    /** Conversations whose customer came back after the window and were then not resolved (reversed). */
    reversed: number;
  };
  /** Resolved by kefu ÷ all decided conversations (Fin's automation rate = involvement × resolution). */
  automationRate: Rate;
  firstContactResolution: Rate;
  handover: Rate & { byReason: Record<TicketReason, Rate> };
  refusal: Rate;
  botResponse: Durations;
  agentFirstResponse: Durations;
  agentResolution: Durations;
  csat: { thumbsUp: number; thumbsDown: number; thumbsUpShare: Rate; ratings: number; ratingMean: number | null; ratingSatisfied: Rate };
  accuracy: { eval: EvalAccuracy | null; thumbs: Rate };
  costSaved: { automatedResolutions: number; perConversation: number; total: number; currency: string };
}

export interface KpiRow extends Kpis {
  key: string;
}

export interface Report {
  period: { since: string; until: string; timeZone: string; generatedAt: string; resolutionWindowHours: number };
  totals: Kpis;
  byDay: KpiRow[];
  byWeek: KpiRow[];
  byLanguage: KpiRow[];
  byChannel: KpiRow[];
  /** A gradual release's two arms side by side (conversations assigned to each). */
  arms?: { releaseId: string; control: Kpis; candidate: Kpis };
}

type BotStatus = 'confirmed' | 'assumed' | 'pending' | 'unresolved';

/** What one conversation contributes: derived once, summed by any grouping. */
export interface ConversationFacts {
  id: string;
  startedAt: Date;
  channel: string;
  language: string;
  hadQuestion: boolean;
  botAnswers: number;
  refusals: number;
  botResponseMs: number[];
  bot: BotStatus | 'none';
  reopened: boolean;
  firstContactResolved: boolean;
  handedOver: TicketReason | undefined;
  agentFirstResponseMs: number[];
  agentResolutionMs: number[];
  thumbsUp: number;
  thumbsDown: number;
  ratings: number[];
}

const time = (iso: string): number => Date.parse(iso);

/**
 * Reads one conversation's events (in log order) into the facts the KPIs are summed from.
 *
 * Bot resolution (as Intercom Fin reports it): kefu answered; nobody handed the conversation to people; no answer got
 * a thumbs-down; kefu's last answer answered (answered or faq, not a refusal or a "did you mean"); the customer wrote
 * nothing after it. Then it is *confirmed* when the customer gave a thumbs-up, else *assumed* once the window has
 * passed since that last answer (*pending* before). A customer who comes back after the window (reopened) is judged
 * again on the whole conversation: a hand-over, thumbs-down or unanswered question then reverses the resolution.
 */
export function conversationFacts(options: {
  conversation: ReportData['conversations'][number];
  events: readonly ConversationEvent[];
  now: Date;
  windowMs: number;
}): ConversationFacts {
  const { conversation, events, now, windowMs } = options;
  const facts: ConversationFacts = {
    id: conversation.id,
    startedAt: new Date(conversation.createdAt),
    channel: conversation.channel,
    language: conversation.language ?? 'unknown',
    hadQuestion: false,
    botAnswers: 0,
    refusals: 0,
    botResponseMs: [],
    bot: 'none',
    reopened: false,
    firstContactResolved: false,
    handedOver: undefined,
    agentFirstResponseMs: [],
    agentResolutionMs: [],
    thumbsUp: 0,
    thumbsDown: 0,
    ratings: [],
  };
  let lastAnswer: { at: number; outcome: string } | undefined;
  let customerAfterLastAnswer = false;
  let previousBotAnswerAt: number | undefined;
  const tickets = new Map<number, { openedAt: number; responded: boolean; resolvedAt?: number; resolution?: string }>();
  let customerAfterResolution = false;
  let lastResolvedAt: number | undefined;

  for (const event of events) {
    const at = time(event.at);
    const data = event.data;
    switch (event.type) {
      case 'message-added': {
        const role = data.role;
        if (role === 'user') {
          facts.hadQuestion = true;
          // Coming back after the window since kefu's last answer reopens a conversation that looked resolved.
          if (previousBotAnswerAt !== undefined && at - previousBotAnswerAt > windowMs && !facts.handedOver) facts.reopened = true;
          if (lastResolvedAt !== undefined && at > lastResolvedAt) customerAfterResolution = true;
          if (lastAnswer) customerAfterLastAnswer = true;
        } else if (role === 'assistant') {
          const outcome = typeof data.outcome === 'string' ? data.outcome : 'answered';
          facts.botAnswers += 1;
          if (outcome === 'refused') facts.refusals += 1;
          if (typeof data.responseMs === 'number') facts.botResponseMs.push(data.responseMs);
          lastAnswer = { at, outcome };
          previousBotAnswerAt = at;
          customerAfterLastAnswer = false;
        } else if (role === 'agent') {
          const ticketId = Number(data.ticketId);
          const ticket = tickets.get(ticketId) ?? [...tickets.values()].at(-1);
          if (ticket && !ticket.responded) {
            ticket.responded = true;
            facts.agentFirstResponseMs.push(at - ticket.openedAt);
          }
        }
        break;
      }
      case 'ticket-opened': {
        const reason = data.reason as TicketReason;
        facts.handedOver ??= reason;
        tickets.set(Number(data.ticketId), { openedAt: at, responded: false });
        break;
      }
      case 'ticket-resolved': {
        const ticket = tickets.get(Number(data.ticketId));
        if (ticket && ticket.resolvedAt === undefined) {
          ticket.resolvedAt = at;
          ticket.resolution = String(data.resolution);
          if (data.resolution === 'resolved') {
            facts.agentResolutionMs.push(at - ticket.openedAt);
            lastResolvedAt = at;
          }
        }
        break;
      }
      case 'feedback-given':
        if (data.rating === 'up') facts.thumbsUp += 1;
        else if (data.rating === 'down') facts.thumbsDown += 1;
        break;
      case 'rating-given':
        if (typeof data.score === 'number') facts.ratings.push(data.score);
        break;
      default:
        break;
    }
  }

  if (facts.botAnswers > 0) {
    const answered = lastAnswer !== undefined && (lastAnswer.outcome === 'answered' || lastAnswer.outcome === 'faq');
    if (facts.handedOver || facts.thumbsDown > 0 || !answered || customerAfterLastAnswer) facts.bot = 'unresolved';
    else if (facts.thumbsUp > 0) facts.bot = 'confirmed';
    else if (lastAnswer && now.getTime() - lastAnswer.at < windowMs) facts.bot = 'pending';
    else facts.bot = 'assumed';
  }
  // First contact: resolved by kefu without coming back, or by one ticket an agent resolved, after which the
  // customer did not write again.
  const ticketList = [...tickets.values()];
  const agentResolved = ticketList.length === 1 && ticketList[0]?.resolution === 'resolved' && !customerAfterResolution;
  facts.firstContactResolved = ((facts.bot === 'confirmed' || facts.bot === 'assumed') && !facts.reopened) || agentResolved;
  return facts;
}

function rate(count: number, of: number): Rate {
  return { count, of, rate: of > 0 ? count / of : null };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

function durations(values: number[]): Durations {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return { count: sorted.length, meanMs: sorted.length > 0 ? sum / sorted.length : null, medianMs: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) };
}

/**
 * Sums conversation facts into the KPIs (pure).
 *
 * @example
 *   summarise({ facts, settings, accuracy: null }).botResolution.resolved.rate
 */
export function summarise(options: { facts: readonly ConversationFacts[]; settings: ReportSettings; accuracy: EvalAccuracy | null }): Kpis {
  const { settings } = options;
  const facts = options.facts.filter((fact) => fact.hadQuestion);
  const bot = facts.filter((fact) => fact.bot !== 'none');
  const pending = bot.filter((fact) => fact.bot === 'pending').length;
  const decidedBot = bot.length - pending;
  const confirmed = bot.filter((fact) => fact.bot === 'confirmed').length;
  const assumed = bot.filter((fact) => fact.bot === 'assumed').length;
  const resolved = confirmed + assumed;
  const decided = facts.length - pending;
  const handedOver = facts.filter((fact) => fact.handedOver !== undefined);
  const byReason = Object.fromEntries(HANDOVER_REASONS.map((reason) => [reason, rate(handedOver.filter((fact) => fact.handedOver === reason).length, facts.length)])) as Record<TicketReason, Rate>;
  const answers = facts.reduce((total, fact) => total + fact.botAnswers, 0);
  const refusals = facts.reduce((total, fact) => total + fact.refusals, 0);
  const thumbsUp = facts.reduce((total, fact) => total + fact.thumbsUp, 0);
  const thumbsDown = facts.reduce((total, fact) => total + fact.thumbsDown, 0);
  const ratings = facts.flatMap((fact) => fact.ratings);
  const perConversation = settings.humanConversationCost - settings.botConversationCost;
  return {
    conversations: facts.length,
    botConversations: bot.length,
    pending,
    botResolution: {
      confirmed: rate(confirmed, decidedBot),
      assumed: rate(assumed, decidedBot),
      resolved: rate(resolved, decidedBot),
      reversed: bot.filter((fact) => fact.reopened && fact.bot === 'unresolved').length,
    },
    automationRate: rate(resolved, decided),
    firstContactResolution: rate(facts.filter((fact) => fact.firstContactResolved).length, decided),
    handover: { ...rate(handedOver.length, facts.length), byReason },
    refusal: rate(refusals, answers),
    botResponse: durations(facts.flatMap((fact) => fact.botResponseMs)),
    agentFirstResponse: durations(facts.flatMap((fact) => fact.agentFirstResponseMs)),
    agentResolution: durations(facts.flatMap((fact) => fact.agentResolutionMs)),
    csat: {
      thumbsUp,
      thumbsDown,
      thumbsUpShare: rate(thumbsUp, thumbsUp + thumbsDown),
      ratings: ratings.length,
      ratingMean: ratings.length > 0 ? ratings.reduce((total, score) => total + score, 0) / ratings.length : null,
      ratingSatisfied: rate(ratings.filter((score) => score >= 4).length, ratings.length),
    },
    accuracy: { eval: options.accuracy, thumbs: rate(thumbsUp, thumbsUp + thumbsDown) },
    costSaved: { automatedResolutions: resolved, perConversation, total: resolved * perConversation, currency: settings.currency },
  };
}

/** Every conversation's facts, from the report data (events grouped by conversation). */
export function factsOf(options: { data: ReportData; now: Date; windowMs: number }): ConversationFacts[] {
  const byConversation = new Map<string, ConversationEvent[]>();
  for (const event of options.data.events) {
    let list = byConversation.get(event.conversationId);
    if (!list) {
      list = [];
      byConversation.set(event.conversationId, list);
    }
    list.push(event);
  }
  return options.data.conversations.map((conversation) =>
    conversationFacts({ conversation, events: byConversation.get(conversation.id) ?? [], now: options.now, windowMs: options.windowMs }),
  );
}

function groupRows(options: { facts: ConversationFacts[]; keyOf: (fact: ConversationFacts) => string; keys?: string[]; settings: ReportSettings }): KpiRow[] {
  const groups = new Map<string, ConversationFacts[]>();
  for (const key of options.keys ?? []) groups.set(key, []);
  for (const fact of options.facts) {
    if (!fact.hadQuestion) continue;
    const key = options.keyOf(fact);
    const list = groups.get(key) ?? [];
    list.push(fact);
    groups.set(key, list);
  }
  const keys = options.keys ?? [...groups.keys()].sort();
  return keys.map((key) => ({ key, ...summarise({ facts: groups.get(key) ?? [], settings: options.settings, accuracy: null }) }));
}

/**
 * The whole report: totals, by day and ISO week (in the period's time zone; empty days included, so a chart has no
 * gaps), by language and by channel, and optionally a release's arms side by side.
 */
export function computeReport(options: {
  data: ReportData;
  period: ReportPeriod;
  now: Date;
  settings: ReportSettings;
  accuracy?: EvalAccuracy | null;
  arms?: { releaseId: string; assignments: Map<string, 'control' | 'candidate'> };
}): Report {
  const { period, settings } = options;
  const facts = factsOf({ data: options.data, now: options.now, windowMs: settings.resolutionWindowMs });
  const accuracy = options.accuracy ?? null;
  const days = daysBetween(period.since, period.until, period.timeZone);
  const weeks = [...new Set(days.map(isoWeekOfDay))];
  const dayOf = new Map<string, string>();
  const dayKeyOf = (fact: ConversationFacts): string => {
    let key = dayOf.get(fact.id);
    if (!key) {
      key = dayKey(fact.startedAt, period.timeZone);
      dayOf.set(fact.id, key);
    }
    return key;
  };
  const report: Report = {
    period: {
      since: period.since.toISOString(),
      until: period.until.toISOString(),
      timeZone: period.timeZone,
      generatedAt: options.now.toISOString(),
      resolutionWindowHours: settings.resolutionWindowMs / 3_600_000,
    },
    totals: summarise({ facts, settings, accuracy }),
    byDay: groupRows({ facts, keyOf: dayKeyOf, keys: days, settings }),
    byWeek: groupRows({ facts, keyOf: (fact) => isoWeekOfDay(dayKeyOf(fact)), keys: weeks, settings }),
    byLanguage: groupRows({ facts, keyOf: (fact) => fact.language, settings }),
    byChannel: groupRows({ facts, keyOf: (fact) => fact.channel, settings }),
  };
  if (options.arms) {
    const { assignments } = options.arms;
    const arm = (name: 'control' | 'candidate') => summarise({ facts: facts.filter((fact) => assignments.get(fact.id) === name), settings, accuracy: null });
    report.arms = { releaseId: options.arms.releaseId, control: arm('control'), candidate: arm('candidate') };
  }
  return report;
}
