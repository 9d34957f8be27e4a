/**
 * Every KPI formula on a constructed event log whose results were computed by hand (see the comments beside each
 * conversation), a period without data, and the same log in other time zones (including a daylight-saving change).
 */
import { describe, expect, it } from 'vitest';
import type { ConversationEvent, ReportData } from '../records/types.ts';
import { computeReport, percentile, type ReportSettings } from './kpi.ts';
import { measures, reportCsv, reportHtml, reportText } from './render.ts';
import { dayKey, daysBetween, parsePeriod, weekKey, zonedTime } from './time.ts';

const settings: ReportSettings = { resolutionWindowMs: 24 * 3_600_000, humanConversationCost: 5, botConversationCost: 0.5, currency: 'EUR' };
const now = new Date('2026-03-09T10:00:00Z');

let seq = 0;
function event(conversationId: string, type: ConversationEvent['type'], at: string, data: Record<string, unknown> = {}, actorType: ConversationEvent['actorType'] = 'customer'): ConversationEvent {
  seq += 1;
  return { seq, conversationId, type, at, actorType, data };
}
const question = (id: string, at: string) => event(id, 'message-added', at, { messageId: `${id}-q-${at}`, role: 'user' });
const answer = (id: string, at: string, outcome: string, responseMs: number) => event(id, 'message-added', at, { messageId: `${id}-a-${at}`, role: 'assistant', outcome, responseMs }, 'bot');

function constructedLog(): ReportData {
  seq = 0;
  const conversations: ReportData['conversations'] = [
    { id: 'c1', createdAt: '2026-03-02T10:00:00.000Z', channel: 'web', language: 'en' },
    { id: 'c2', createdAt: '2026-03-02T20:00:00.000Z', channel: 'web', language: 'en' },
    { id: 'c3', createdAt: '2026-03-03T09:00:00.000Z', channel: 'widget', language: 'zh' },
    { id: 'c4', createdAt: '2026-03-03T12:00:00.000Z', channel: 'web', language: 'en' },
    { id: 'c5', createdAt: '2026-03-04T08:00:00.000Z', channel: 'web', language: 'en' },
    { id: 'c7', createdAt: '2026-03-05T15:00:00.000Z', channel: 'web', language: 'en' },
    { id: 'c8', createdAt: '2026-03-06T10:00:00.000Z', channel: 'web' },
    { id: 'c6', createdAt: '2026-03-08T20:00:00.000Z', channel: 'api', language: 'en' },
  ];
  const events: ConversationEvent[] = [
    // c1: answered, thumbs-up → confirmed; first contact resolved.
    event('c1', 'conversation-started', '2026-03-02T10:00:00.000Z', { channel: 'web' }),
    question('c1', '2026-03-02T10:00:00.000Z'),
    answer('c1', '2026-03-02T10:00:01.000Z', 'answered', 1000),
    event('c1', 'feedback-given', '2026-03-02T10:01:00.000Z', { messageId: 'x', rating: 'up' }),
    // c2: an FAQ answer, then silence for more than 24 h → assumed; first contact resolved.
    event('c2', 'conversation-started', '2026-03-02T20:00:00.000Z', { channel: 'web' }),
    question('c2', '2026-03-02T20:00:00.000Z'),
    answer('c2', '2026-03-02T20:00:00.200Z', 'faq', 200),
    // c3: two refusals, handed over (no-answer); an agent answers after 10 min, resolves after 30 min, rating 5;
    // not a bot resolution, but first contact resolved (one ticket, resolved, the customer did not come back).
    event('c3', 'conversation-started', '2026-03-03T09:00:00.000Z', { channel: 'widget' }),
    question('c3', '2026-03-03T09:00:00.000Z'),
    answer('c3', '2026-03-03T09:00:00.300Z', 'refused', 300),
    question('c3', '2026-03-03T09:01:00.000Z'),
    answer('c3', '2026-03-03T09:01:00.500Z', 'refused', 500),
    event('c3', 'ticket-opened', '2026-03-03T09:01:00.500Z', { ticketId: 1, reason: 'no-answer', outsideHours: false }, 'bot'),
    event('c3', 'state-changed', '2026-03-03T09:01:00.500Z', { from: 'bot', to: 'waiting', cause: 'no-answer', ticketId: 1 }, 'bot'),
    event('c3', 'message-added', '2026-03-03T09:11:00.500Z', { messageId: 'c3-agent', role: 'agent', ticketId: 1 }, 'agent'),
    event('c3', 'ticket-resolved', '2026-03-03T09:31:00.500Z', { ticketId: 1, resolution: 'resolved' }, 'agent'),
    event('c3', 'rating-given', '2026-03-03T09:32:00.000Z', { ticketId: 1, score: 5 }),
    // c4: answered, thumbs-down with a comment → unresolved.
    event('c4', 'conversation-started', '2026-03-03T12:00:00.000Z', { channel: 'web' }),
    question('c4', '2026-03-03T12:00:00.000Z'),
    answer('c4', '2026-03-03T12:00:00.400Z', 'answered', 400),
    event('c4', 'feedback-given', '2026-03-03T12:02:00.000Z', { messageId: 'y', rating: 'down', comment: 'wrong' }),
    // c5: answered, comes back 48 h later (reopened) and is refused → reversed.
    event('c5', 'conversation-started', '2026-03-04T08:00:00.000Z', { channel: 'web' }),
    question('c5', '2026-03-04T08:00:00.000Z'),
    answer('c5', '2026-03-04T08:00:00.600Z', 'answered', 600),
    question('c5', '2026-03-06T08:00:00.000Z'),
    answer('c5', '2026-03-06T08:00:00.700Z', 'refused', 700),
    // c7: asks for a person (handoff answer), an agent answers after 5 min and hands back: no resolution time.
    event('c7', 'conversation-started', '2026-03-05T15:00:00.000Z', { channel: 'web' }),
    question('c7', '2026-03-05T15:00:00.000Z'),
    answer('c7', '2026-03-05T15:00:00.100Z', 'handoff', 100),
    event('c7', 'ticket-opened', '2026-03-05T15:00:00.100Z', { ticketId: 2, reason: 'customer-request', outsideHours: false }),
    event('c7', 'message-added', '2026-03-05T15:05:00.100Z', { messageId: 'c7-agent', role: 'agent', ticketId: 2 }, 'agent'),
    event('c7', 'ticket-resolved', '2026-03-05T15:20:00.100Z', { ticketId: 2, resolution: 'handed-back' }, 'agent'),
    // c8: opened, never asked anything → not a conversation.
    event('c8', 'conversation-started', '2026-03-06T10:00:00.000Z', { channel: 'web' }),
    // c6: answered 14 h before "now" → pending (left out of the resolution rates).
    event('c6', 'conversation-started', '2026-03-08T20:00:00.000Z', { channel: 'api' }),
    question('c6', '2026-03-08T20:00:00.000Z'),
    answer('c6', '2026-03-08T20:00:00.800Z', 'answered', 800),
  ];
  return { conversations, events };
}

const utcPeriod = { since: new Date('2026-03-02T00:00:00Z'), until: new Date('2026-03-09T00:00:00Z'), timeZone: 'UTC' };

describe('KPI formulas on a constructed event log', () => {
  const report = computeReport({ data: constructedLog(), period: utcPeriod, now, settings, accuracy: { dataset: 'shop', at: '2026-03-08T00:00:00Z', accuracy: 0.9, questions: 40 } });
  const totals = report.totals;

  it('counts conversations with a question, those kefu answered and those still in their window', () => {
    expect(totals.conversations).toBe(7);
    expect(totals.botConversations).toBe(7);
    expect(totals.pending).toBe(1);
  });

  it('bot resolution: confirmed, assumed, resolved over decided bot conversations; reopened ones reversed', () => {
    expect(totals.botResolution.confirmed).toEqual({ count: 1, of: 6, rate: 1 / 6 });
    expect(totals.botResolution.assumed).toEqual({ count: 1, of: 6, rate: 1 / 6 });
    expect(totals.botResolution.resolved).toEqual({ count: 2, of: 6, rate: 2 / 6 });
    expect(totals.botResolution.reversed).toBe(1);
    expect(totals.automationRate).toEqual({ count: 2, of: 6, rate: 2 / 6 });
  });

  it('first-contact resolution counts kefu resolutions and single resolved tickets nobody came back to', () => {
    expect(totals.firstContactResolution).toEqual({ count: 3, of: 6, rate: 0.5 });
  });

  it('hand-over rate, overall and by reason of the first ticket', () => {
    expect(totals.handover.count).toBe(2);
    expect(totals.handover.rate).toBeCloseTo(2 / 7, 10);
    expect(totals.handover.byReason['no-answer']).toEqual({ count: 1, of: 7, rate: 1 / 7 });
    expect(totals.handover.byReason['customer-request']).toEqual({ count: 1, of: 7, rate: 1 / 7 });
    expect(totals.handover.byReason['negative-feedback']).toEqual({ count: 0, of: 7, rate: 0 });
  });

  it('refusal rate over kefu answers', () => {
    expect(totals.refusal).toEqual({ count: 3, of: 9, rate: 3 / 9 });
  });

  it('bot response time mean and p95 (nearest rank); agent first response and resolution times', () => {
    expect(totals.botResponse.count).toBe(9);
    expect(totals.botResponse.meanMs).toBeCloseTo(4600 / 9, 10);
    expect(totals.botResponse.medianMs).toBe(500);
    expect(totals.botResponse.p95Ms).toBe(1000);
    expect(totals.agentFirstResponse).toEqual({ count: 2, meanMs: 450_000, medianMs: 300_000, p95Ms: 600_000 });
    expect(totals.agentResolution).toEqual({ count: 1, meanMs: 1_800_000, medianMs: 1_800_000, p95Ms: 1_800_000 });
  });

  it('CSAT (thumbs-up share, 1–5 ratings), answer accuracy and cost saved', () => {
    expect(totals.csat).toEqual({ thumbsUp: 1, thumbsDown: 1, thumbsUpShare: { count: 1, of: 2, rate: 0.5 }, ratings: 1, ratingMean: 5, ratingSatisfied: { count: 1, of: 1, rate: 1 } });
    expect(totals.accuracy.eval?.accuracy).toBe(0.9);
    expect(totals.accuracy.thumbs.rate).toBe(0.5);
    expect(totals.costSaved).toEqual({ automatedResolutions: 2, perConversation: 4.5, total: 9, currency: 'EUR' });
  });

  it('breaks down by day (empty days included), ISO week, language and channel', () => {
    expect(report.byDay.map((row) => [row.key, row.conversations])).toEqual([
      ['2026-03-02', 2],
      ['2026-03-03', 2],
      ['2026-03-04', 1],
      ['2026-03-05', 1],
      ['2026-03-06', 0],
      ['2026-03-07', 0],
      ['2026-03-08', 1],
    ]);
    expect(report.byDay[0]?.botResolution.resolved.rate).toBe(1);
    expect(report.byDay[4]?.botResolution.resolved.rate).toBeNull();
    expect(report.byWeek.map((row) => [row.key, row.conversations])).toEqual([['2026-W10', 7]]);
    expect(report.byLanguage.map((row) => [row.key, row.conversations])).toEqual([['en', 6], ['zh', 1]]);
    expect(report.byChannel.map((row) => [row.key, row.conversations])).toEqual([['api', 1], ['web', 5], ['widget', 1]]);
  });

  it('puts a release\'s arms side by side', () => {
    const arms = computeReport({ data: constructedLog(), period: utcPeriod, now, settings, arms: { releaseId: 'r1', assignments: new Map([['c1', 'candidate'], ['c4', 'control'], ['c2', 'control']]) } }).arms;
    expect(arms?.candidate.botResolution.confirmed.rate).toBe(1);
    expect(arms?.control.conversations).toBe(2);
    expect(arms?.control.botResolution.resolved.rate).toBe(0.5);
  });

  it('writes CSV with a byte-order mark and every measure by name, and a text and an HTML page', () => {
    const csv = reportCsv(report);
    expect(csv.startsWith('\ufeffgroup,key,conversations,')).toBe(true);
    for (const name of ['bot_resolution_rate', 'bot_resolution_confirmed_rate', 'bot_resolution_assumed_rate', 'first_contact_resolution_rate', 'handover_rate', 'refusal_rate', 'bot_response_mean_ms', 'bot_response_p95_ms', 'agent_first_response_mean_ms', 'agent_resolution_mean_ms', 'csat_thumbs_up_share', 'csat_rating_mean', 'answer_accuracy_eval', 'answer_accuracy_thumbs', 'cost_saved']) {
      expect(csv.split('\r\n')[0]).toContain(name);
    }
    const total = csv.split('\r\n')[1]?.split(',') ?? [];
    const header = csv.split('\r\n')[0]?.replace('\ufeff', '').split(',') ?? [];
    expect(Number(total[header.indexOf('cost_saved')])).toBe(9);
    expect(Number(total[header.indexOf('refusal_rate')])).toBeCloseTo(0.333333, 6);
    expect(csv.split('\r\n').filter((line) => line.startsWith('day,'))).toHaveLength(7);
    expect(reportText(report)).toContain('Bot resolution rate');
    const html = reportHtml(report);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(measures(totals).find((measure) => measure.name === 'handover_rate_no_answer')?.value).toBeCloseTo(1 / 7, 10);
  });
});

describe('a period with no data', () => {
  it('gives zero conversations, no rates (null, not 0) and an empty day for every day', () => {
    const report = computeReport({ data: { conversations: [], events: [] }, period: utcPeriod, now, settings });
    expect(report.totals.conversations).toBe(0);
    expect(report.totals.botResolution.resolved.rate).toBeNull();
    expect(report.totals.handover.rate).toBeNull();
    expect(report.totals.botResponse).toEqual({ count: 0, meanMs: null, medianMs: null, p95Ms: null });
    expect(report.totals.csat.ratingMean).toBeNull();
    expect(report.totals.costSaved.total).toBe(0);
    expect(report.byDay).toHaveLength(7);
    expect(report.byLanguage).toEqual([]);
    expect(reportText(report)).toContain('No conversations in this period.');
    expect(reportHtml(report)).toContain('No conversations in this period.');
    expect(reportCsv(report).split('\r\n')[1]?.split(',').slice(2, 4)).toEqual(['0', '0']);
  });
});

describe('time zones', () => {
  it('moves conversations between days with the zone, totals unchanged', () => {
    const shanghai = parsePeriod({ since: '2026-03-02', until: '2026-03-08', timeZone: 'Asia/Shanghai', now });
    expect(shanghai.since.toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(shanghai.until.toISOString()).toBe('2026-03-08T16:00:00.000Z');
    const utc = computeReport({ data: constructedLog(), period: utcPeriod, now, settings });
    const local = computeReport({ data: constructedLog(), period: { ...utcPeriod, timeZone: 'Asia/Shanghai' }, now, settings });
    expect(local.totals).toEqual(utc.totals);
    // c2 started at 20:00 UTC on 2 March: 04:00 on 3 March in Shanghai.
    expect(utc.byDay.find((row) => row.key === '2026-03-02')?.conversations).toBe(2);
    expect(local.byDay.find((row) => row.key === '2026-03-02')?.conversations).toBe(1);
    expect(local.byDay.find((row) => row.key === '2026-03-03')?.conversations).toBe(3);
    // c6 (20:00 UTC on 8 March) is on 9 March there, the last local day the period touches.
    expect(local.byDay.at(-1)).toMatchObject({ key: '2026-03-09', conversations: 1 });
  });

  it('keeps a daylight-saving day as one calendar day of 23 hours', () => {
    const zone = 'America/New_York';
    expect(dayKey(new Date('2026-03-08T06:30:00Z'), zone)).toBe('2026-03-08'); // 01:30 EST
    expect(dayKey(new Date('2026-03-08T07:30:00Z'), zone)).toBe('2026-03-08'); // 03:30 EDT
    expect(dayKey(new Date('2026-03-09T03:30:00Z'), zone)).toBe('2026-03-08'); // 23:30 EDT
    expect(dayKey(new Date('2026-03-09T04:30:00Z'), zone)).toBe('2026-03-09');
    const day = parsePeriod({ since: '2026-03-08', until: '2026-03-08', timeZone: zone, now });
    expect(day.until.getTime() - day.since.getTime()).toBe(23 * 3_600_000);
    expect(daysBetween(day.since, day.until, zone)).toEqual(['2026-03-08']);
    expect(zonedTime({ year: 2026, month: 11, day: 1 }, zone).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(weekKey(new Date('2026-01-01T12:00:00Z'), 'UTC')).toBe('2026-W01');
    expect(weekKey(new Date('2027-01-01T12:00:00Z'), 'UTC')).toBe('2026-W53');
  });

  it('refuses a zone or period that does not exist, naming it', () => {
    expect(() => parsePeriod({ since: '30d', timeZone: 'Mars/Olympus', now })).toThrow(/Mars\/Olympus/);
    expect(() => parsePeriod({ since: 'last tuesday', timeZone: 'UTC', now })).toThrow(/neither a duration/);
    expect(() => parsePeriod({ since: '2026-02-30', timeZone: 'UTC', now })).toThrow(/not a calendar date/);
    expect(() => parsePeriod({ since: '1d', until: '2d', timeZone: 'UTC', now })).toThrow(/starts/);
    expect(parsePeriod({ since: '30d', timeZone: 'UTC', now }).since.toISOString()).toBe('2026-02-07T10:00:00.000Z');
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    expect(percentile([], 0.95)).toBeNull();
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.95)).toBe(19);
  });
});
