/**
 * Follow-up questions without an LLM. A follow-up is a fragment that cannot stand alone: it continues
 * the previous question ("and for sale items?", "那特价商品呢？") or points back to it with a pronoun and
 * says little of its own ("is it free?", "how long does it take?"). A complete question ("Can I pay with
 * PayPal?") is searched as asked, whatever word it starts with.
 *
 * The standalone query keeps the follow-up's own words as the *focus* (what the customer now asks about)
 * and carries the previous question's topic words that the follow-up lacks.
 */
import type { Turn } from './types.ts';
import { queryTerms } from '../retrieval/corpus-stats.ts';
import { contentWords, hasHan } from '../text/index.ts';

/** Opening words that continue the previous question. */
const ENGLISH_CONTINUATION = /^\s*(?:(?:so|ok|okay|well|right|hmm)[,\s]+)?(and|or|but|also|plus|what about|how about|what if|same for|then what about|and if|and what about|and how about)\b/i;
/** Words that point back to something said before. */
const ENGLISH_ANAPHORA = /\b(it|its|it's|they|them|their|that|this|those|these|there|one|ones|same)\b/i;
const CHINESE_CONTINUATION = /^\s*(那|那么|还有|另外|如果|以及|和|跟|同样|那如果|那要是|要是)/u;
const CHINESE_TRAILING_NE = /呢\s*[？?]?\s*$/u;
const CHINESE_ANAPHORA = /(它|它们|这个|那个|这些|那些|这样|这种|那种|同样)/u;

/** At most this many content words of its own for a question to count as a fragment. */
const FRAGMENT_WORDS = 3;

export interface FollowUpAnalysis {
  followUp: boolean;
  /** The follow-up's own content words (what the customer now asks about). */
  focusTerms: string[];
  /** Topic words carried from the previous question. */
  carriedTerms: string[];
  /** The query to search: the question, plus carried topic words for a follow-up. */
  query: string;
}

/**
 * Whether a question needs the previous turn to be understood.
 *
 * @example
 *   isFollowUp('and for sale items?') // true
 *   isFollowUp('Can I pay with PayPal?') // false
 */
export function isFollowUp(question: string): boolean {
  const words = contentWords(question);
  if (hasHan(question)) {
    if (CHINESE_TRAILING_NE.test(question) && words.length <= FRAGMENT_WORDS) return true;
    if (CHINESE_CONTINUATION.test(question) && words.length <= FRAGMENT_WORDS) return true;
    return CHINESE_ANAPHORA.test(question) && words.length <= FRAGMENT_WORDS - 1;
  }
  if (words.length === 0) return false;
  if (ENGLISH_CONTINUATION.test(question) && words.length <= FRAGMENT_WORDS) return true;
  return ENGLISH_ANAPHORA.test(question) && words.length <= FRAGMENT_WORDS - 1;
}

/**
 * Splits a question into focus and carried topic and builds the standalone query.
 *
 * @example
 *   analyzeFollowUp('and for sale items?', [{ role: 'user', text: 'How long do I have to return an item?' }])
 *   // { followUp: true, focusTerms: ['sale', 'item'], carriedTerms: ['long', 'return'], query: 'and for sale items? (long return)' }
 */
export function analyzeFollowUp(question: string, history: readonly Turn[]): FollowUpAnalysis {
  // The terms the question is about, as retrieval analyses them ("how long" asks; "long" is not a topic).
  const focusTerms = queryTerms(question);
  const previous = [...history].reverse().find((turn) => turn.role === 'user');
  if (!previous || !isFollowUp(question)) return { followUp: false, focusTerms, carriedTerms: [], query: question };
  const present = new Set(focusTerms);
  const carriedTerms = queryTerms(previous.text).filter((word) => !present.has(word));
  if (carriedTerms.length === 0) return { followUp: true, focusTerms, carriedTerms, query: question };
  const joiner = hasHan(previous.text) ? '' : ' ';
  return { followUp: true, focusTerms, carriedTerms, query: `${question.trim()} (${carriedTerms.join(joiner)})` };
}

/** The standalone query for a question (unchanged unless it is a follow-up). */
export function rewriteFollowUp(question: string, history: readonly Turn[]): string {
  return analyzeFollowUp(question, history).query;
}
