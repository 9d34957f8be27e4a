/**
 * Whether a message asks for a person. Three answers, not two:
 * - `request`: the customer wants a person now ("I want to talk to a human", "转人工", "agent please");
 * - `question`: the customer asks *about* talking to a person ("can I talk to someone later?",
 *   "do you have live agents?", "人工客服几点上班？") — answered with how to reach one, no ticket;
 * - `none`: anything else, including a refusal of a person ("No, I don't need to speak to an agent",
 *   "不用转人工").
 *
 * The rules are grammar, not vocabulary from a dataset: a mention of a person, then negation and
 * mood (a question about availability or a later time) decide.
 */

export type HandoffIntent = 'request' | 'question' | 'none';

/** Mentions of a person or a hand-over, in English and Chinese. */
const ENGLISH_PERSON = /\b(human|humans|person|people|agent|agents|representative|rep|operator|someone|somebody|real person|live (?:chat|support|agent|person)|customer (?:service|support) (?:agent|representative|team)|staff|support team)\b/i;
const ENGLISH_CONTACT_VERB = /\b(talk|speak|chat|connect|transfer|put me through|escalate|get|reach|contact|hand (?:me )?over)\b/i;
const ENGLISH_BARE_REQUEST = /^\s*(?:an?\s+)?(agent|human|operator|representative|real person|person)(?:\s+please)?\s*[.!?]*\s*$/i;
const CHINESE_PERSON = /(转人工|人工客服|人工服务|找人工|接人工|真人客服|真人|客服人员|人工坐席|人工)/u;

const ENGLISH_NEGATION = /\b(not|don't|dont|do not|doesn't|never|no need|without|rather not|won't|wont)\b/i;
const CHINESE_NEGATION = /(不用|不要|不需要|无需|没必要|别|不想|不必|先不)/u;

/** A question about availability or a later time, not a request for now. */
const ENGLISH_ABOUT = /\b(later|tomorrow|next week|after|when|what time|hours|available|availability|is there|are there|do you have|do you offer|is it possible to .* later|how (?:can|do) i (?:reach|contact))\b/i;
const CHINESE_ABOUT = /(以后|晚点|稍后|明天|几点|什么时候|时间|上班|有没有|是否有|有人工吗|在吗)/u;

/** The clause a mention sits in, up to the mention: negation elsewhere in the message is about something else. */
function clauseBefore(text: string, index: number): string {
  const before = text.slice(0, index);
  const parts = before.split(/[,.;:!?，。；：！？]|\b(?:but|just|so)\b|但是|可是|就/u);
  return parts.at(-1) ?? before;
}

/**
 * Classifies a message.
 *
 * @example
 *   handoffIntent('I want to talk to a human') // 'request'
 *   handoffIntent("No, I don't need to speak to an agent.") // 'none'
 *   handoffIntent('Can I talk to someone later?') // 'question'
 */
export function handoffIntent(message: string): HandoffIntent {
  const text = message.trim();
  if (!text) return 'none';
  if (CHINESE_PERSON.test(text)) {
    // "人工" alone is also a word in other senses (人工智能, 人工费): require it to stand as the request.
    const mention = CHINESE_PERSON.exec(text)?.[0] ?? '';
    if (mention === '人工' && !/^\s*人工\s*[。！？!?]*\s*$/u.test(text) && !/(转|找|接|要|需要)人工/u.test(text)) return 'none';
    if (CHINESE_NEGATION.test(clauseBefore(text, text.indexOf(mention)))) return 'none';
    return CHINESE_ABOUT.test(text) ? 'question' : 'request';
  }
  if (ENGLISH_BARE_REQUEST.test(text)) return 'request';
  const person = ENGLISH_PERSON.exec(text);
  if (!person) return 'none';
  const beforePerson = clauseBefore(text, person.index);
  // The person must be the object of a contact verb ("talk to a human", "connect me with an agent"), or
  // the message a short demand ("human agent please").
  const contacted = ENGLISH_CONTACT_VERB.test(beforePerson) || /\b(human|live)\s+(agent|support|person)\b/i.test(text) || /\b(connect|transfer)\s+me\b/i.test(text);
  if (!contacted) return 'none';
  if (ENGLISH_NEGATION.test(beforePerson)) return 'none';
  if (/\?\s*$/.test(text) && ENGLISH_ABOUT.test(text)) return 'question';
  return 'request';
}

/** The customer asks for a person now. */
export function asksForPerson(message: string): boolean {
  return handoffIntent(message) === 'request';
}
