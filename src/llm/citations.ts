/**
 * Grounding filter for LLM answers: splits the reply into sentences, keeps only sentences that cite
 * at least one real source ([n] with 1 ≤ n ≤ passage count) and records the rest as dropped. It works
 * incrementally so a streamed reply can be shown sentence by sentence without ever showing an
 * uncited (hallucinated or injected) sentence.
 */
import { hasHan, splitSentences } from '../text/index.ts';

export interface GroundedSentence {
  text: string;
  /** The [n] numbers the sentence cites (1-based, valid, in order of first appearance). */
  citations: number[];
}

export interface ValidatedAnswer {
  sentences: GroundedSentence[];
  dropped: string[];
  /** The model said the sources do not answer the question (the NOT_FOUND marker). */
  notFound: boolean;
}

/** The fixed reply the prompt asks for when the sources do not answer the question. */
export const NOT_FOUND_MARKER = 'NOT_FOUND';

// [1] [1, 2] [1][2] and the full-width forms Chinese replies often use: 【1】 ［1］ [1，2] [1、2]
const MARKER_SOURCE = String.raw`[\[【［]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】］]`;
const MARKER = new RegExp(MARKER_SOURCE, 'gu');
const MARKER_RUN = String.raw`(?:${MARKER_SOURCE}\s*)+`;
// Sentence-ending punctuation (with closing quotes/brackets) followed by citation markers: "text. [1]".
const TRAILING_MARKERS = new RegExp(String.raw`([.!?。！？；;…]+[”’"')）」』]*)(\s*)(${MARKER_RUN})`, 'gu');
// A marker being typed, at the end of the text: "[", "[1", "[1,".
const PARTIAL_MARKER_AT_END = /[[【［]\s*(?:\d+(?:\s*[,，、]\s*\d*)*)?\s*$/u;
const TERMINAL_PUNCTUATION = /[.!?。！？；;…:：]+[”’"')）」』]*$/u;
// A line that only lists sources ("Sources: [1][2]") is not a sentence of the answer.
const SOURCE_LIST_LINE = /^(?:sources?|references?|citations?|来源|参考资料|参考|出处|资料来源)\s*[:：]?\s*$/iu;
const LIST_BULLET = /^(?:[-*•·]|\d+[.)、]|[（(]?[一二三四五六七八九十]+[)）、.])\s*/u;
const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

/** Removes [n] markers (and the space before them): "Done [1]." → "Done." */
export function stripCitationMarkers(text: string): string {
  return text.replace(new RegExp(String.raw`\s*${MARKER_SOURCE}`, 'gu'), '');
}

/**
 * Moves citation markers written after the sentence end to before it ("text. [1] Next" →
 * "text [1]. Next") so that sentence splitting keeps each marker with its own sentence.
 */
export function attachTrailingCitations(text: string): string {
  return text.replace(TRAILING_MARKERS, (_match, punctuation: string, _space: string, markers: string) => {
    return `${markers.replace(/\s+$/u, '')}${punctuation} `;
  });
}

function citedNumbers(sentence: string): number[] {
  const numbers: number[] = [];
  for (const match of sentence.matchAll(MARKER)) {
    for (const digits of match[0].matchAll(/\d+/g)) {
      const value = Number(digits[0]);
      if (!numbers.includes(value)) numbers.push(value);
    }
  }
  return numbers;
}

const MARKER_WITH_SPACE = new RegExp(String.raw`\s*${MARKER_SOURCE}`, 'gu');
// English text gets a space before a marker ("days [1]"), Chinese none ("7天[1]").
const NEEDS_SPACE_BEFORE_MARKER = /(?<=[^\s\p{Script=Han}\]\u3000-\u303f\uff00-\uffef([（【])(?=\[\d)/gu;

/**
 * A sentence with its markers normalized where they stand ("[1, 4]" → "[1]" when 4 does not exist,
 * "【2】" → "[2]"), list bullets and bold removed, and a final full stop when it had none:
 * "Refunds take 14 days [1]." / "退款需7天[1]。" / "According to [2], returns are free."
 */
function renderSentence(body: string, validNumbers: ReadonlySet<number>): string {
  const plain = body
    .replace(MARKER_WITH_SPACE, (marker) => {
      const numbers = [...new Set(Array.from(marker.matchAll(/\d+/g), (digits) => Number(digits[0])))].filter((n) => validNumbers.has(n));
      return numbers.map((n) => `[${n}]`).join('');
    })
    .replace(NEEDS_SPACE_BEFORE_MARKER, ' ')
    .replace(LIST_BULLET, '')
    .replace(/\*\*|__/g, '') // markdown bold: the chat window shows plain text
    .replace(/\s+/g, ' ')
    .replace(/\s+([.,!?;:])/g, '$1')
    .trim();
  const punctuation = plain.match(TERMINAL_PUNCTUATION)?.[0] ?? '';
  const core = plain.slice(0, plain.length - punctuation.length).trimEnd();
  // List items come without a full stop; give them one so joined sentences read as prose.
  const ending = punctuation && !/[:：]$/u.test(punctuation) ? punctuation : hasHan(core) ? '。' : '.';
  return `${core}${ending}`;
}

/** Joins validated sentences into the answer text: a space between English sentences, none after Chinese ones. */
export function joinSentences(sentences: ReadonlyArray<{ text: string }>): string {
  let joined = '';
  for (const { text } of sentences) joined += separatorBefore(joined) + text;
  return joined;
}

function separatorBefore(previous: string): string {
  if (!previous) return '';
  return hasHan(previous.slice(-1)) || /[。！？；）」』]$/u.test(previous) ? '' : ' ';
}

function startsWithNotFound(text: string): 'yes' | 'no' | 'maybe' {
  const start = text.replace(/^[\s"'`*“”‘’「」]+/u, '');
  if (start.startsWith(NOT_FOUND_MARKER)) return 'yes';
  if (start.length < NOT_FOUND_MARKER.length && NOT_FOUND_MARKER.startsWith(start)) return 'maybe';
  return 'no';
}

/**
 * Removes a leading `<think>…</think>` block (reasoning models such as DeepSeek-R1 or Qwen3 emit one)
 * so the customer never sees it. Returns undefined while the block is still open.
 */
function withoutThinking(text: string): string | undefined {
  const trimmed = text.trimStart();
  if (trimmed.startsWith(THINK_OPEN)) {
    const end = trimmed.indexOf(THINK_CLOSE);
    return end < 0 ? undefined : trimmed.slice(end + THINK_CLOSE.length);
  }
  if (trimmed.length < THINK_OPEN.length && THINK_OPEN.startsWith(trimmed) && trimmed.length > 0) return undefined;
  return text;
}

export interface CitationFilter {
  /** Feeds the next piece of the raw reply; calls `onSentence` for each newly completed, cited sentence. */
  push(delta: string): void;
  /** Ends the reply: judges the last sentence and returns the validated answer. */
  finish(): ValidatedAnswer;
}

/**
 * Creates an incremental grounding filter. A sentence is judged once the next one has begun (its
 * citation may still follow its full stop), so cited sentences stream out one by one.
 *
 * @example
 *   const filter = createCitationFilter({ validNumbers: new Set([1, 2, 3]), onSentence: ({ delta }) => send(delta) });
 *   for await (const token of reply) filter.push(token);
 *   const { sentences, dropped } = filter.finish();
 */
export function createCitationFilter(options: {
  /** The source numbers that exist; a sentence citing none of them is dropped. */
  validNumbers: ReadonlySet<number>;
  /** `delta` is the text to append to what was shown so far (separator included). */
  onSentence?: (event: { sentence: GroundedSentence; delta: string }) => void;
}): CitationFilter {
  const sentences: GroundedSentence[] = [];
  const dropped: string[] = [];
  let raw = '';
  // Text after the thinking block that has not been judged yet.
  let pending = '';
  let visibleStarted = false;
  let notFound: boolean | undefined;
  let shown = '';

  const judge = (piece: string): void => {
    const body = piece.replace(MARKER, '').trim();
    if (!/[\p{L}\p{N}]/u.test(body)) return; // markers or punctuation alone
    if (SOURCE_LIST_LINE.test(body.replace(/[\s,，、]+$/u, ''))) return;
    const valid = citedNumbers(piece).filter((n) => options.validNumbers.has(n));
    if (valid.length === 0) {
      dropped.push(piece);
      return;
    }
    const sentence = { text: renderSentence(piece, options.validNumbers), citations: valid };
    const delta = separatorBefore(shown) + sentence.text;
    shown += delta;
    sentences.push(sentence);
    options.onSentence?.({ sentence, delta });
  };

  const drain = (final: boolean): void => {
    if (!visibleStarted) {
      const visible = withoutThinking(pending);
      if (visible === undefined) {
        if (!final) return;
        pending = '';
      } else pending = visible;
      visibleStarted = true;
    }
    if (notFound === undefined) {
      const verdict = startsWithNotFound(pending);
      if (verdict === 'maybe' && !final) return;
      notFound = verdict === 'yes';
    }
    if (notFound) {
      pending = '';
      return;
    }
    const pieces = splitSentences(attachTrailingCitations(pending));
    if (final) {
      for (const piece of pieces) judge(piece);
      pending = '';
      return;
    }
    // Wait while a citation marker is still being typed: it may belong to the previous sentence.
    if (pieces.length < 2 || PARTIAL_MARKER_AT_END.test(pending)) return;
    for (const piece of pieces.slice(0, -1)) judge(piece);
    // Keep the last piece plus the raw trailing whitespace, so "take " + "14 days" stays "take 14 days".
    pending = (pieces.at(-1) ?? '') + (pending.match(/\s*$/u)?.[0] ?? '');
  };

  return {
    push(delta) {
      raw += delta;
      pending += delta;
      drain(false);
    },
    finish() {
      drain(true);
      const markerOnly = !notFound && sentences.length === 0 && raw.includes(NOT_FOUND_MARKER);
      return { sentences, dropped: markerOnly ? dropped.filter((piece) => !piece.includes(NOT_FOUND_MARKER)) : dropped, notFound: Boolean(notFound) || markerOnly };
    },
  };
}

/**
 * Splits an LLM answer into sentences and keeps those citing at least one valid source [n]
 * (1..passageCount); uncited sentences and citations of non-existent sources are dropped.
 * A reply of `NOT_FOUND` gives zero sentences.
 *
 * @example
 *   validateCitations('Refunds take 14 days. [1] Call us anytime.', 2)
 *   // → { sentences: [{ text: 'Refunds take 14 days [1].', citations: [1] }], dropped: ['Call us anytime.'] }
 */
export function validateCitations(raw: string, passageCount: number): { sentences: GroundedSentence[]; dropped: string[] } {
  const validNumbers = new Set(Array.from({ length: Math.max(0, passageCount) }, (_, index) => index + 1));
  const filter = createCitationFilter({ validNumbers });
  filter.push(raw);
  const { sentences, dropped } = filter.finish();
  return { sentences, dropped };
}
