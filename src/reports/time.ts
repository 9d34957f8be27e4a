/**
 * Calendar arithmetic in a time zone, for report buckets: the local day and ISO week of an instant, every day
 * between two instants, and a report period from `--since 30d` or a date. Days are calendar days in the zone, so a
 * day of a daylight-saving change has 23 or 25 hours and still is one day.
 */
import { KefuError } from '../errors/index.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    } catch (error) {
      throw new KefuError('PERIOD_INVALID', { detail: `"${timeZone}" is not a time zone`, cause: error });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws PERIOD_INVALID for a name that is not an IANA time zone. */
export function checkReportTimeZone(timeZone: string): string {
  formatterFor(timeZone);
  return timeZone;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(instant: Date, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * The local calendar day of an instant, `YYYY-MM-DD`.
 *
 * @example
 *   dayKey(new Date('2026-03-01T17:30:00Z'), 'Asia/Shanghai') // '2026-03-02'
 */
export function dayKey(instant: Date, timeZone: string): string {
  const { year, month, day } = localParts(instant, timeZone);
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** ISO 8601 week of a calendar date (weeks start on Monday; week 1 holds the year's first Thursday), `YYYY-Www`. */
export function isoWeekOfDay(day: string): string {
  const [year = 1970, month = 1, date = 1] = day.split('-').map(Number);
  const utc = new Date(Date.UTC(year, month - 1, date));
  const weekday = utc.getUTCDay() || 7;
  utc.setUTCDate(utc.getUTCDate() + 4 - weekday);
  const weekYear = utc.getUTCFullYear();
  const week = Math.ceil(((utc.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${weekYear}-W${pad(week)}`;
}

/**
 * The local ISO week of an instant.
 *
 * @example
 *   weekKey(new Date('2026-01-01T12:00:00Z'), 'UTC') // '2026-W01'
 */
export function weekKey(instant: Date, timeZone: string): string {
  return isoWeekOfDay(dayKey(instant, timeZone));
}

/** Every local day from the day of `since` to the day of `until` (exclusive end instant), in order. */
export function daysBetween(since: Date, until: Date, timeZone: string): string[] {
  const first = dayKey(since, timeZone);
  const last = dayKey(new Date(Math.max(since.getTime(), until.getTime() - 1)), timeZone);
  const days: string[] = [];
  const [year = 1970, month = 1, date = 1] = first.split('-').map(Number);
  const cursor = new Date(Date.UTC(year, month - 1, date));
  // A cap keeps a mistyped period (years) from building an endless list.
  for (let count = 0; count < 3700; count += 1) {
    const key = `${cursor.getUTCFullYear()}-${pad(cursor.getUTCMonth() + 1)}-${pad(cursor.getUTCDate())}`;
    days.push(key);
    if (key >= last) break;
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

/** The instant at which a local wall-clock time happens in a zone (the earlier one when a clock change repeats it). */
export function zonedTime(parts: { year: number; month: number; day: number; hour?: number; minute?: number }, timeZone: string): Date {
  const wanted = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour ?? 0, parts.minute ?? 0);
  let guess = wanted;
  // Two corrections by the zone's offset at the guess settle it (a third covers a guess that crossed a change).
  for (let round = 0; round < 3; round += 1) {
    const local = localParts(new Date(guess), timeZone);
    const shown = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
    if (shown === wanted) break;
    guess += wanted - shown;
  }
  return new Date(guess);
}

const DURATION = /^(\d{1,5})\s*(h|d|w)$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

function parseInstant(value: string, timeZone: string, now: Date, name: string): Date {
  const text = value.trim();
  const duration = DURATION.exec(text);
  if (duration) return new Date(now.getTime() - Number(duration[1]) * (UNIT_MS[(duration[2] ?? 'd').toLowerCase()] ?? 0));
  const date = DATE.exec(text);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) throw new KefuError('PERIOD_INVALID', { detail: `${name} ${text} is not a calendar date` });
    return zonedTime({ year, month, day }, timeZone);
  }
  if (text === 'now') return now;
  const parsed = new Date(text);
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(parsed.getTime())) return parsed;
  throw new KefuError('PERIOD_INVALID', { detail: `${name} "${value}" is neither a duration (30d, 12w, 6h) nor a date (2026-01-31)` });
}

export interface ReportPeriod {
  since: Date;
  until: Date;
  timeZone: string;
}

/**
 * A report period: `since` as a duration before now (30d, 12w, 6h) or a local date (midnight in the zone);
 * `until` likewise (a date means the end of that day), default now.
 *
 * @example
 *   parsePeriod({ since: '30d', timeZone: 'Asia/Shanghai', now: new Date() })
 */
export function parsePeriod(options: { since?: string; until?: string; timeZone: string; now: Date }): ReportPeriod {
  const timeZone = checkReportTimeZone(options.timeZone);
  const since = parseInstant(options.since ?? '30d', timeZone, options.now, 'since');
  let until = options.now;
  if (options.until) {
    until = parseInstant(options.until, timeZone, options.now, 'until');
    // A date means "up to the end of that day".
    if (DATE.test(options.until.trim())) {
      const [year = 1970, month = 1, day = 1] = options.until.trim().split('-').map(Number);
      const next = new Date(Date.UTC(year, month - 1, day + 1));
      until = zonedTime({ year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() }, timeZone);
    }
  }
  if (since.getTime() >= until.getTime()) throw new KefuError('PERIOD_INVALID', { detail: `the period starts (${since.toISOString()}) after it ends (${until.toISOString()})` });
  return { since, until, timeZone };
}
