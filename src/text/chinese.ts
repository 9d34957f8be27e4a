/**
 * Chinese word segmentation: jieba (`@node-rs/jieba`) with its default dictionary plus user words,
 * applied in bounded windows so that a 10 MB run of characters without punctuation costs linear time
 * and a bounded amount of memory.
 *
 * User words: `@node-rs/jieba` 2.0.3 has `Jieba.withDict(bytes)` (parses a jieba dictionary, ~0.6 s for
 * the default 5 MB one) and `jieba.loadDict(bytes)`, which adds lines "word frequency [tag]" to an
 * instance (under a millisecond for hundreds of words). A line without a frequency is added with
 * frequency 0 and changes nothing, so every user word gets one: the frequency jieba's own
 * `suggest_freq` would give (just above the probability of the pieces the default dictionary cuts it
 * into), so it wins over those pieces in any sentence where they would have been chosen.
 *
 * @example
 *   const segmenter = createSegmenter({ words: [{ word: '花呗' }] });
 *   segmenter.cut('花呗怎么还款')   // ['花呗', '怎么', '还款']
 */
import { createRequire } from 'node:module';
import type { Jieba as JiebaType } from '@node-rs/jieba';

const require = createRequire(import.meta.url);

export interface DictionaryWord {
  word: string;
  /** jieba frequency; suggested from the default dictionary when absent. */
  frequency?: number;
  /** Part-of-speech tag (jieba's lower-case tags, e.g. `nz`); kept for the owner, unused by search. */
  tag?: string;
}

export interface Segmenter {
  /** Pieces of `text` in order; joined they give `text` back. */
  cut(text: string): string[];
}

/** Characters per jieba call: long runs are cut in windows of this size (at a break when there is one). */
const WINDOW = 1024;

let defaultDictionary: Uint8Array | undefined;
let defaultJieba: JiebaType | undefined;
/** Sum of the default dictionary's frequencies, and the frequencies of the words looked up so far. */
let dictionaryTotal: number | undefined;
const knownFrequencies = new Map<string, number>();

function jiebaModule(): typeof import('@node-rs/jieba') {
  return require('@node-rs/jieba') as typeof import('@node-rs/jieba');
}

function defaultDictionaryBytes(): Uint8Array {
  defaultDictionary ??= (require('@node-rs/jieba/dict') as { dict: Uint8Array }).dict;
  return defaultDictionary;
}

/** jieba with its default dictionary only: loads (~0.6 s) on first use, not at import. */
function baseJieba(): JiebaType {
  defaultJieba ??= jiebaModule().Jieba.withDict(defaultDictionaryBytes());
  return defaultJieba;
}

/**
 * Frequencies of the default dictionary's words among `wanted` (0 for absent words), and the sum of all
 * its frequencies. One pass over the dictionary text when a word was not looked up before; only the
 * wanted words are kept.
 */
function defaultFrequencies(wanted: ReadonlySet<string>): { total: number; frequencies: ReadonlyMap<string, number> } {
  const missing = new Set([...wanted].filter((word) => !knownFrequencies.has(word)));
  if (missing.size > 0 || dictionaryTotal === undefined) {
    const text = Buffer.from(defaultDictionaryBytes()).toString('utf8');
    let total = 0;
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const [word = '', frequency = ''] = text.slice(start, end).split(' ', 2);
      const value = Number.parseInt(frequency, 10);
      if (Number.isFinite(value)) {
        total += value;
        if (missing.has(word)) knownFrequencies.set(word, value);
      }
      start = end + 1;
    }
    dictionaryTotal = total;
    for (const word of missing) if (!knownFrequencies.has(word)) knownFrequencies.set(word, 0);
  }
  return { total: dictionaryTotal, frequencies: knownFrequencies };
}

/**
 * jieba's `suggest_freq(word)`: the smallest frequency that makes `word` more probable than the pieces
 * the default dictionary cuts it into (and never less than the frequency it already has).
 */
export function suggestFrequencies(words: readonly string[]): Map<string, number> {
  const jieba = baseJieba();
  const pieces = new Map(words.map((word) => [word, jieba.cut(word, false)]));
  const wanted = new Set<string>([...words, ...[...pieces.values()].flat()]);
  const { total, frequencies } = defaultFrequencies(wanted);
  const suggested = new Map<string, number>();
  for (const word of words) {
    let probability = 1;
    for (const piece of pieces.get(word) ?? []) probability *= Math.max(frequencies.get(piece) ?? 0, 1) / total;
    suggested.set(word, Math.max(Math.floor(probability * total) + 1, frequencies.get(word) ?? 0));
  }
  return suggested;
}

/** Whether jieba's default dictionary has the word (with a frequency above zero). */
export function isDictionaryWord(words: readonly string[]): Set<string> {
  const { frequencies } = defaultFrequencies(new Set(words));
  return new Set(words.filter((word) => (frequencies.get(word) ?? 0) > 0));
}

/** The position to end a window at: after the last break (space, punctuation) in its second half, if any. */
function windowEnd(text: string, start: number): { end: number; atBreak: boolean } {
  let end = Math.min(text.length, start + WINDOW);
  if (end === text.length) return { end, atBreak: true };
  for (let index = end - 1; index > start + WINDOW / 2; index--) {
    if (/[\s\p{P}]/u.test(text[index] ?? '')) return { end: index + 1, atBreak: true };
  }
  // Never split a surrogate pair (Han extension characters outside the BMP).
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return { end, atBreak: false };
}

function cutWindowed(jieba: JiebaType, text: string, hmm: boolean): string[] {
  if (text.length <= WINDOW) return jieba.cut(text, hmm);
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    const { end, atBreak } = windowEnd(text, start);
    const cut = jieba.cut(text.slice(start, end), hmm);
    if (atBreak || cut.length < 2) {
      for (const piece of cut) pieces.push(piece);
      start = end;
      continue;
    }
    // No break in sight: the last piece may be half a word cut by the window, so it is cut again as the
    // start of the next window.
    const last = cut.pop() ?? '';
    for (const piece of cut) pieces.push(piece);
    start = end - last.length;
  }
  return pieces;
}

/**
 * A segmenter with jieba's default dictionary plus `words`. Building one costs about as much as loading
 * the default dictionary (~0.6 s), so callers keep it (see `createAnalyzer`).
 */
export function createSegmenter(options: { words?: readonly DictionaryWord[] } = {}): Segmenter {
  const words = (options.words ?? []).filter((entry) => entry.word && !/\s/.test(entry.word));
  let jieba: JiebaType;
  if (words.length === 0) jieba = baseJieba();
  else {
    const suggested = suggestFrequencies(words.filter((entry) => !entry.frequency).map((entry) => entry.word));
    const lines = words.map((entry) => `${entry.word} ${entry.frequency ?? suggested.get(entry.word) ?? 1}${entry.tag ? ` ${entry.tag}` : ''}`);
    jieba = jiebaModule().Jieba.withDict(defaultDictionaryBytes());
    jieba.loadDict(Buffer.from(`${lines.join('\n')}\n`));
  }
  return {
    // Without jieba's HMM: it joins unknown characters differently in different sentences, so the index and a
    // question could disagree; the knowledge base's own words come through the user dictionary instead.
    cut(text) {
      return cutWindowed(jieba, text, false);
    },
  };
}
