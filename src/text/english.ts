/**
 * Keyword tokens of text without Han characters (English and other alphabetic scripts, numbers and
 * codes), after folding:
 *
 * - words are stemmed with Snowball's English (Porter2) stemmer (`porter2`), so "refunds", "refunded" and
 *   "refunding" are one keyword; possessives are dropped first ("Apple's" → "apple", "companies'" → "compani");
 * - numbers stay whole ("15.5", "1,000" → "1000");
 * - codes (anything joining letters and digits, or parts with - _ . / : + # & @, and a short part in
 *   parentheses such as 401(k)) are kept whole and are also findable by their parts ("standard", "10023");
 *   where the joiners are only hyphens, underscores or parentheses the whole is written together, so the
 *   code matches however it is typed ("cn-standard-4" → "cnstandard4", "A-10023" = "A10023", "401(k)" = "401k",
 *   "e-mail" = "email"); with other joiners it stays as written ("v2.1", "support@lumen.com").
 *
 * @example
 *   latinTokens("Apple's 401(k) plan")
 *   // terms: 'appl', '401k' (code), '401' (part), 'plan'
 */
import { stem as porter2 } from 'porter2';

export interface LatinToken {
  /** The keyword as indexed: stemmed for words, as written (folded) for numbers and codes. */
  term: string;
  /** The folded word before stemming (for stop-word checks); equal to `term` for codes. */
  surface: string;
  /** A whole number or code. */
  code?: boolean;
  /** A part of a code (also a keyword, but a stop word or a single character is left out). */
  part?: boolean;
}

const TOKEN = /\d{1,3}(?:,\d{3})+(?:\.\d+)?|[\p{L}\p{M}\p{N}]+(?:(?:[-_./:+#&@']|\u00B7)[\p{L}\p{M}\p{N}]+)*(?:\([\p{L}\p{N}]{1,3}\))*/gu;
const NUMBER = /^\d+(?:[.,]\d+)*$/;
const THOUSANDS = /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const ASCII_WORD = /^[a-z]+$/;
const SEPARATORS = /[-_./:+#&@()\u00B7]+/;
/** Joiners after which writing the parts together is the same code (e-mail = email, 401(k) = 401k). */
const JOINABLE = /^[\p{L}\p{M}\p{N}\-_()]+$/u;
const LETTER_DIGIT_BOUNDARY = /(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u;

/**
 * Snowball English (Porter2) stem of a folded word; words with other characters (digits, other scripts)
 * are returned unchanged.
 */
export function stemWord(word: string): string {
  return ASCII_WORD.test(word) && word.length > 2 ? porter2(word) : word;
}

function partsOf(code: string): string[] {
  const parts: string[] = [];
  for (const piece of code.split(SEPARATORS)) {
    if (!piece) continue;
    for (const part of piece.split(LETTER_DIGIT_BOUNDARY)) if (part.length >= 2 && part !== code) parts.push(part);
  }
  return parts;
}

/** Tokens of a folded span without Han characters, in order. */
export function latinTokens(span: string): LatinToken[] {
  const tokens: LatinToken[] = [];
  for (const match of span.matchAll(TOKEN)) {
    let raw = match[0];
    // Possessive: "apple's" is "apple"; other apostrophes join one word ("o'brien", "don't").
    if (raw.endsWith("'s")) raw = raw.slice(0, -2);
    if (raw.includes("'")) raw = raw.replaceAll("'", '');
    if (!raw) continue;
    if (NUMBER.test(raw)) {
      const number = THOUSANDS.test(raw) ? raw.replaceAll(',', '') : raw;
      tokens.push({ term: number, surface: number, code: true });
      continue;
    }
    const hasDigit = /\p{N}/u.test(raw);
    const compound = SEPARATORS.test(raw);
    if (!hasDigit && !compound) {
      tokens.push({ term: stemWord(raw), surface: raw });
      continue;
    }
    // One whole form per code: written together where the joiners carry no meaning (e-mail = email,
    // 401(k) = 401k, A-10023 = A10023), as written otherwise (v2.1, 9:00, support@lumen.com).
    const joined = compound && JOINABLE.test(raw) ? raw.replace(/[-_()]/g, '') : raw;
    tokens.push({ term: joined.length >= 2 ? joined : raw, surface: raw, code: true });
    for (const part of partsOf(raw)) tokens.push({ term: /\p{N}/u.test(part) ? part : stemWord(part), surface: part, part: true });
  }
  return tokens;
}
