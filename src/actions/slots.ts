/**
 * Finding a slot's value in a customer's message: a regular expression (order numbers), a phone number, a date or
 * one of a list of options. A value that could not be a value (longer than the slot allows, control characters,
 * only dots) is not taken: the customer is asked again rather than the value sent anywhere.
 *
 * @example
 *   extractSlot({ slot: { name: 'order', extraction: { kind: 'pattern', pattern: /\b[A-Z]{2}\d{8}\b/ }, ask, maxLength: 64 }, text: 'it is KF12345678' })
 *   // 'KF12345678'
 *   extractSlot({ slot: dateSlot, text: '明天', today: new Date('2026-03-05') }) // '2026-03-06'
 */
import type { SlotDefinition } from './types.ts';

const PHONE = /(?<![\p{L}\p{N}])\+?[0-9][0-9 ()./-]{4,28}[0-9](?![\p{L}\p{N}])/u;
const ISO_DATE = /(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)/;
const CHINESE_DATE = /(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]/u;
const RELATIVE_DAYS: ReadonlyArray<[RegExp, number]> = [
  [/\b(day before yesterday)\b|前天/iu, -2],
  [/\byesterday\b|昨天|昨日/iu, -1],
  [/\btoday\b|今天|今日/iu, 0],
  [/\b(day after tomorrow)\b|后天/iu, 2],
  [/\btomorrow\b|明天|明日/iu, 1],
];

/** A value that is only dots is a path step (`..`), never an id: refused wherever it would go. */
export function isAcceptableValue(value: string, maxLength: number): boolean {
  return value.length > 0 && value.length <= maxLength && !/[\u0000-\u001f\u007f]/.test(value) && !/^\.+$/.test(value);
}

function isoDate(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

function findDate(text: string, today: Date): string | undefined {
  const iso = ISO_DATE.exec(text);
  if (iso) return isoDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const chinese = CHINESE_DATE.exec(text);
  if (chinese) return isoDate(chinese[1] ? Number(chinese[1]) : today.getUTCFullYear(), Number(chinese[2]), Number(chinese[3]));
  for (const [pattern, offset] of RELATIVE_DAYS) {
    if (pattern.test(text)) return new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function findOption(text: string, options: ReadonlyArray<{ value: string; words: readonly string[] }>): string | undefined {
  const lower = text.toLowerCase();
  for (const option of options) {
    for (const word of [option.value, ...option.words]) {
      const needle = word.toLowerCase();
      // Latin words as whole words ("express" not in "expressly"); Chinese words anywhere.
      const found = /\p{Script=Han}/u.test(needle) ? lower.includes(needle) : new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(needle)}(?![\\p{L}\\p{N}])`, 'u').test(lower);
      if (found) return option.value;
    }
  }
  return undefined;
}

/** The slot's value in `text`, or undefined when the message has none (or none acceptable). */
export function extractSlot({ slot, text, today = new Date() }: { slot: SlotDefinition; text: string; today?: Date }): string | undefined {
  const extraction = slot.extraction;
  let value: string | undefined;
  switch (extraction.kind) {
    case 'pattern': {
      const match = extraction.pattern.exec(text);
      extraction.pattern.lastIndex = 0;
      value = match ? (match[1] ?? match[0]) : undefined;
      break;
    }
    case 'phone': {
      const match = PHONE.exec(text)?.[0];
      const digits = match?.replace(/\D/g, '') ?? '';
      value = match && digits.length >= 6 && digits.length <= 20 ? `${match.trim().startsWith('+') ? '+' : ''}${digits}` : undefined;
      break;
    }
    case 'date':
      value = findDate(text, today);
      break;
    case 'option':
      value = findOption(text, extraction.options);
      break;
  }
  const trimmed = value?.trim();
  return trimmed !== undefined && isAcceptableValue(trimmed, slot.maxLength) ? trimmed : undefined;
}
