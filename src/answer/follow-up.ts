/**
 * Follow-up questions without an LLM: "and for newborns?" or "那退货呢？" lean on the previous
 * question, so its topic words are carried into the standalone query that is searched.
 */
import type { Turn } from './types.ts';
import { contentWords, hasHan } from '../text/index.ts';

const ENGLISH_FOLLOW_UP_START = /^\s*(and|but|also|what about|how about|what if|or|then|so|same for|is that|does that|do they|does it|is it|are they|can i|and if)\b/i;
const ENGLISH_PRONOUN = /\b(it|its|they|them|that|this|those|these|there|one|ones)\b/i;
const CHINESE_FOLLOW_UP = /^\s*(那|那么|还有|另外|如果|以及|和|跟|同样|那如果)|呢[？?]?\s*$|(它|这个|那个|这些|那些|这样)/u;

/** Whether a question needs the previous turn to be understood. */
export function isFollowUp(question: string): boolean {
  const words = contentWords(question);
  if (hasHan(question)) return CHINESE_FOLLOW_UP.test(question) || words.length <= 1;
  if (ENGLISH_FOLLOW_UP_START.test(question)) return true;
  return words.length <= 2 || (words.length <= 5 && ENGLISH_PRONOUN.test(question));
}

/**
 * Rewrites a follow-up into a standalone query by appending the topic words of the previous user
 * question that the follow-up does not already contain. Returns the question unchanged otherwise.
 *
 * @example
 *   rewriteFollowUp('and for newborns?', [{ role: 'user', text: 'Is vision care covered?' }])
 *   // "and for newborns? (vision care covered)"
 */
export function rewriteFollowUp(question: string, history: readonly Turn[]): string {
  const previous = [...history].reverse().find((turn) => turn.role === 'user');
  if (!previous || !isFollowUp(question)) return question;
  const present = new Set(contentWords(question));
  const carried = [...new Set(contentWords(previous.text))].filter((word) => !present.has(word));
  if (carried.length === 0) return question;
  const joiner = hasHan(previous.text) ? '' : ' ';
  return `${question.trim()} (${carried.join(joiner)})`;
}
