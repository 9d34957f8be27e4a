/**
 * KEFU_BUSINESS_HOURS: when people answer, as weekly ranges in the configured time zone, e.g.
 * `mon-fri 09:00-18:00; sat 10:00-14:00`. Days are mon tue wed thu fri sat sun (or 1-7), single or as a range that
 * may wrap (`fri-mon`); several ranges per day are separate entries; `24:00` ends a day; a range past midnight
 * (`22:00-02:00`) is split at midnight. Empty means always open. Parsed here, at start, so a typo stops kefu with a
 * message naming the entry; `src/handover/business-hours.ts` answers "open now?" and "back when?".
 */
import { KefuError } from '../errors/index.ts';

/** One open range: `day` 0 = Sunday … 6 = Saturday, minutes from local midnight, `end` exclusive. */
export interface OpenRange {
  readonly day: number;
  readonly start: number;
  readonly end: number;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function dayIndex(token: string): number | undefined {
  const lower = token.toLowerCase().slice(0, 3);
  const named = DAYS.indexOf(lower);
  if (named >= 0) return named;
  if (/^[1-7]$/.test(token)) return Number(token) % 7; // 1 = Monday … 7 = Sunday (ISO)
  return undefined;
}

function minutes(token: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(token);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const mins = Number(match[2]);
  if (mins > 59 || hours > 24 || (hours === 24 && mins > 0)) return undefined;
  return hours * 60 + mins;
}

/**
 * Parses the setting; throws CONFIG_INVALID naming the entry that is wrong.
 *
 * @example
 *   parseBusinessHours('mon-fri 09:00-18:00') // 5 ranges, day 1..5, 540..1080
 */
export function parseBusinessHours(value: string): OpenRange[] {
  const ranges: OpenRange[] = [];
  for (const entry of value.split(/[;,]/).map((part) => part.trim()).filter(Boolean)) {
    const problem = (why: string) =>
      new KefuError('CONFIG_INVALID', {
        detail: `KEFU_BUSINESS_HOURS entry "${entry}": ${why}`,
        hint: 'Write days and hours like "mon-fri 09:00-18:00; sat 10:00-14:00" (days mon…sun, 24-hour times), or leave it empty for always open.',
      });
    const match = /^([a-z0-9]+)(?:\s*-\s*([a-z0-9]+))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/i.exec(entry);
    if (!match) throw problem('expected "<day or day-day> HH:MM-HH:MM"');
    const first = dayIndex(match[1] ?? '');
    const last = match[2] === undefined ? first : dayIndex(match[2]);
    if (first === undefined || last === undefined) throw problem('unknown day (use mon, tue, wed, thu, fri, sat, sun)');
    const start = minutes(match[3] ?? '');
    const end = minutes(match[4] ?? '');
    if (start === undefined || end === undefined) throw problem('times are 00:00 to 24:00');
    if (start === end) throw problem('the range is empty');
    const days: number[] = [];
    for (let day = first; ; day = (day + 1) % 7) {
      days.push(day);
      if (day === last) break;
    }
    for (const day of days) {
      if (end > start) ranges.push({ day, start, end });
      else {
        // Past midnight: the rest of this day and the start of the next.
        ranges.push({ day, start, end: 24 * 60 });
        if (end > 0) ranges.push({ day: (day + 1) % 7, start: 0, end });
      }
    }
  }
  return ranges;
}

/** Throws CONFIG_INVALID unless the zone is one this Node knows (IANA names such as Asia/Shanghai, or UTC). */
export function checkTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch (error) {
    throw new KefuError('CONFIG_INVALID', {
      detail: `KEFU_TIME_ZONE=${JSON.stringify(zone)} is not a time zone`,
      hint: 'Use an IANA time zone name such as Asia/Shanghai, Europe/Berlin or UTC, or leave it empty for this machine\'s zone.',
      cause: error,
    });
  }
}
