/**
 * Business hours at run time: are people answering now, and if not, when are they back — in the configured time
 * zone, daylight saving included (wall-clock times are converted with the zone's offset at that moment).
 */
import type { OpenRange } from '../config/index.ts';

interface LocalParts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric' });
    formatters.set(timeZone, format);
  }
  return format;
}

function localParts(at: Date, timeZone: string): LocalParts {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The instant a wall-clock time in the zone happens (for a time skipped by a DST jump, the instant after it). */
function zonedToUtc(year: number, month: number, day: number, minute: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, 0, minute);
  let guess = wall;
  for (let step = 0; step < 3; step += 1) {
    const parts = localParts(new Date(guess), timeZone);
    const shown = Date.UTC(parts.year, parts.month - 1, parts.day, 0, parts.minute);
    const correction = wall - shown;
    if (correction === 0) break;
    guess += correction;
  }
  return new Date(guess);
}

/**
 * True when `at` falls in an open range (no ranges: always open).
 *
 * @example
 *   isOpen({ hours: parseBusinessHours('mon-fri 09:00-18:00'), timeZone: 'Asia/Shanghai', at: new Date() })
 */
export function isOpen(options: { hours: readonly OpenRange[]; timeZone: string; at: Date }): boolean {
  if (options.hours.length === 0) return true;
  const local = localParts(options.at, options.timeZone);
  return options.hours.some((range) => range.day === local.weekday && local.minute >= range.start && local.minute < range.end);
}

/**
 * When people are next answering: `at` itself when open now, else the start of the next open range (within a week),
 * or undefined when no range is set.
 *
 * @example
 *   nextOpening({ hours, timeZone: 'Europe/Berlin', at: new Date('2026-01-03T12:00:00Z') }) // Monday 09:00 Berlin
 */
export function nextOpening(options: { hours: readonly OpenRange[]; timeZone: string; at: Date }): Date | undefined {
  if (options.hours.length === 0) return undefined;
  if (isOpen(options)) return options.at;
  const today = localParts(options.at, options.timeZone);
  for (let offset = 0; offset <= 7; offset += 1) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    const weekday = date.getUTCDay();
    const starts = options.hours.filter((range) => range.day === weekday).map((range) => range.start).sort((a, b) => a - b);
    for (const start of starts) {
      const candidate = zonedToUtc(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), start, options.timeZone);
      if (candidate.getTime() > options.at.getTime()) return candidate;
    }
  }
  return undefined;
}

/**
 * "Monday 09:00 (Europe/Berlin)" / "星期一 09:00（Asia/Shanghai）": when people are back, for the customer.
 *
 * @example
 *   describeOpening({ at: opening, timeZone: 'Asia/Shanghai', language: 'zh' })
 */
export function describeOpening(options: { at: Date; timeZone: string; language: 'en' | 'zh' }): string {
  const text = new Intl.DateTimeFormat(options.language === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: options.timeZone,
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(options.at);
  return options.language === 'zh' ? `${text}（${options.timeZone}）` : `${text} (${options.timeZone})`;
}
