/**
 * The keyword analyzer: how text becomes keywords, the same way for the index and for questions.
 *
 * text → fold (NFKC, case, accents, traditional → simplified) → Han runs segmented by jieba with the
 * index's user dictionary, other runs split into words, numbers and codes (Porter2-stemmed words,
 * possessives dropped) → synonym groups mapped to their first member.
 *
 * Two keyword fields come out of it: `keywordText` (the words, for the `keywords` column) and
 * `bigramText` (every pair of adjacent Han characters, for the `bigrams` column), so a question still
 * matches a passage when jieba cuts a word differently in the two places.
 *
 * One analyzer per user dictionary; `fingerprint` names the analysis exactly (ANALYZER_VERSION plus a hash
 * of the dictionary), and the index records the fingerprint its keyword columns were written with.
 *
 * @example
 *   const analyzer = createAnalyzer({ dictionary: { words: [{ word: '花呗' }], synonyms: [['退款', '退钱']] } });
 *   analyzer.keywordQuery('花唄怎麼退錢？')   // "花呗 退款"
 *   analyzer.bigramQuery('花唄怎麼退錢？')    // "花呗 退钱"
 */
import { createHash } from 'node:crypto';
import { createSegmenter, type DictionaryWord, type Segmenter } from './chinese.ts';
import { latinTokens } from './english.ts';
import { foldText } from './fold.ts';
import { STOP_WORDS } from './stop-words.ts';

/**
 * Version of the keyword analysis (folding, segmentation, stemming, codes, bigrams) that builds the keyword
 * columns. Bump it whenever `keywordText` or `bigramText` would write different keywords for the same text:
 * the index records the analyzer fingerprint it was built with and a sync rewrites the keyword columns
 * (without re-embedding) when it differs.
 */
export const ANALYZER_VERSION = 3;

export interface UserDictionary {
  /** Words jieba keeps whole (product names, terms of the knowledge base). */
  words: DictionaryWord[];
  /** Groups of terms that mean the same thing; every member is read as the first one. */
  synonyms: string[][];
}

export interface Token {
  /** The keyword: folded, stemmed (English words), a synonym group's first member. */
  term: string;
  /** The folded word as written (before stemming and synonyms). */
  surface: string;
  /** A stop word (kept in the index, left out of questions' keywords). */
  stop: boolean;
  /** Contains Han characters. */
  han: boolean;
  /** A part of a code ("10023" of "a-10023"): an extra keyword, never a word of its own. */
  part?: boolean;
}

export interface Analyzer {
  /** `v<ANALYZER_VERSION>-<hash of the dictionary>`: equal fingerprints write identical keyword columns. */
  readonly fingerprint: string;
  readonly dictionary: UserDictionary;
  /** Keyword tokens in order, stop words included (flagged). */
  tokens(text: string): Token[];
  /** The `keywords` column: every token's keyword, joined by spaces. */
  keywordText(text: string): string;
  /** The `bigrams` column: every pair of adjacent Han characters, joined by spaces. */
  bigramText(text: string): string;
  /** Keywords of a question: tokens without stop words, in order, with repeats. */
  contentWords(text: string): string[];
  /** The word query: content words, de-duplicated, joined by spaces. */
  keywordQuery(text: string): string;
  /**
   * The bigram query: pairs of adjacent Han characters inside runs of content words (a stop word or any
   * other character ends a run), de-duplicated.
   */
  bigramQuery(text: string): string;
}

const HAN = /\p{Script=Han}/u;
const HAN_ONLY = /^\p{Script=Han}+$/u;
const HAN_CHARACTER = /^\p{Script=Han}$/u;

/** The dictionary in the terms-file format, sorted: what the fingerprint hashes and the index stores. */
export function serializeDictionary(dictionary: UserDictionary): string {
  const words = dictionary.words
    .map((entry) => [entry.word, entry.frequency ? String(entry.frequency) : '', entry.frequency && entry.tag ? entry.tag : ''].filter(Boolean).join(' '))
    .sort();
  const synonyms = dictionary.synonyms.map((group) => group.join('=')).sort();
  return [...new Set([...words, ...synonyms])].join('\n');
}

/** The fingerprint of the analysis with `dictionary` (see `Analyzer.fingerprint`). */
export function analyzerFingerprint(dictionary: UserDictionary = EMPTY_DICTIONARY): string {
  const hash = createHash('sha256').update(serializeDictionary(dictionary)).digest('hex').slice(0, 16);
  return `v${ANALYZER_VERSION}-${hash}`;
}

const EMPTY_DICTIONARY: UserDictionary = { words: [], synonyms: [] };

function bigramsOf(run: string, into: string[]): void {
  const characters = [...run];
  for (let index = 0; index + 1 < characters.length; index++) into.push(`${characters[index]}${characters[index + 1]}`);
}

/** Longer texts are analysed in slices of about this many characters, so memory follows the output, not the tokens. */
const SLICE = 1 << 16;
const BREAK = /[\s\p{P}]/u;

/**
 * Cuts a long text into slices, each ending after a space or punctuation mark in its last quarter when there is
 * one (so no word is split); a text without any is cut at the slice size (one word in 65,536 characters may be
 * split there).
 */
function slices(text: string): string[] {
  if (text.length <= SLICE) return [text];
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + SLICE);
    if (end < text.length) {
      let cut = -1;
      for (let index = end - 1; index > start + (SLICE * 3) / 4; index--) {
        if (BREAK.test(text[index] ?? '')) {
          cut = index + 1;
          break;
        }
      }
      if (cut > 0) end = cut;
      else if (text.charCodeAt(end - 1) >= 0xd800 && text.charCodeAt(end - 1) <= 0xdbff) end--;
    }
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

/** Pairs of adjacent Han characters of an already folded text, joined by spaces (streamed: no array of pairs). */
function bigramString(folded: string): string {
  let out = '';
  let previous = '';
  for (const character of folded) {
    if (HAN_CHARACTER.test(character)) {
      if (previous) out += out ? ` ${previous}${character}` : `${previous}${character}`;
      previous = character;
    } else previous = '';
  }
  return out;
}

interface SynonymRule {
  from: string[];
  to: string[];
}

/**
 * An analyzer with `dictionary` (default: none). Building one loads jieba's dictionary (~0.6 s); use
 * `analyzerFor` to share analyzers between callers.
 */
export function createAnalyzer(options: { dictionary?: UserDictionary } = {}): Analyzer {
  const dictionary = options.dictionary ?? EMPTY_DICTIONARY;
  const fingerprint = analyzerFingerprint(dictionary);
  // Synonym members are words too: jieba must not cut 退钱 apart before it can be read as 退款.
  const words = new Map<string, DictionaryWord>();
  for (const entry of dictionary.words) {
    const word = foldText(entry.word).trim();
    if (HAN.test(word)) words.set(word, { ...entry, word });
  }
  for (const group of dictionary.synonyms) {
    for (const member of group) {
      const word = foldText(member).trim();
      if (HAN.test(word) && !words.has(word)) words.set(word, { word });
    }
  }
  let segmenter: Segmenter | undefined;
  const segment = (): Segmenter => (segmenter ??= createSegmenter({ words: [...words.values()] }));

  function rawTokens(text: string): Token[] {
    const folded = foldText(text);
    const tokens: Token[] = [];
    const pushLatin = (span: string) => {
      for (const token of latinTokens(span)) {
        const stop = STOP_WORDS.has(token.surface) || STOP_WORDS.has(token.term);
        if (token.part && stop) continue;
        tokens.push({ term: token.term, surface: token.surface, stop, han: false, ...(token.part ? { part: true } : {}) });
      }
    };
    if (!HAN.test(folded)) {
      pushLatin(folded);
      return tokens;
    }
    let span = '';
    for (const piece of segment().cut(folded)) {
      if (!HAN.test(piece)) {
        span += piece;
        continue;
      }
      if (span) pushLatin(span);
      span = '';
      const word = piece.trim();
      if (word) tokens.push({ term: word, surface: word, stop: STOP_WORDS.has(word), han: true });
    }
    if (span) pushLatin(span);
    return tokens;
  }

  // Synonym rules: each member analysed without synonyms, longest first so "money back" wins over "money".
  let rules: Map<string, SynonymRule[]> | undefined;
  function synonymRules(): Map<string, SynonymRule[]> {
    if (rules) return rules;
    rules = new Map();
    for (const group of dictionary.synonyms) {
      const sequences = group.map((member) => rawTokens(member).filter((token) => !token.part).map((token) => token.term)).filter((terms) => terms.length > 0);
      const canonical = sequences[0];
      if (!canonical) continue;
      for (const from of sequences.slice(1)) {
        if (from.join(' ') === canonical.join(' ')) continue;
        const first = from[0] ?? '';
        const list = rules.get(first) ?? [];
        list.push({ from, to: canonical });
        list.sort((a, b) => b.from.length - a.from.length);
        rules.set(first, list);
      }
    }
    return rules;
  }

  function tokens(text: string): Token[] {
    const raw = rawTokens(text);
    if (dictionary.synonyms.length === 0) return raw;
    const table = synonymRules();
    const out: Token[] = [];
    for (let index = 0; index < raw.length; ) {
      const token = raw[index] as Token;
      const rule = (table.get(token.term) ?? []).find((candidate) => candidate.from.every((term, offset) => raw[index + offset]?.term === term));
      if (!rule) {
        out.push(token);
        index++;
        continue;
      }
      for (const term of rule.to) out.push({ term, surface: token.surface, stop: false, han: HAN.test(term) });
      index += rule.from.length;
    }
    return out;
  }

  function contentWords(text: string): string[] {
    return tokens(text).filter((token) => !token.stop).map((token) => token.term);
  }

  return {
    fingerprint,
    dictionary,
    tokens,
    contentWords,
    keywordText(text) {
      return slices(text)
        .map((slice) => tokens(slice).map((token) => token.term).join(' '))
        .filter(Boolean)
        .join(' ');
    },
    bigramText(text) {
      // Slices overlap by one character so the pair across each cut is kept.
      const parts = slices(text);
      let out = '';
      parts.forEach((slice, index) => {
        const next = parts[index + 1];
        const pairs = bigramString(foldText(next === undefined ? slice : `${slice}${String.fromCodePoint(next.codePointAt(0) ?? 32)}`));
        if (pairs) out += out ? ` ${pairs}` : pairs;
      });
      return out;
    },
    keywordQuery(text) {
      return [...new Set(contentWords(text))].join(' ');
    },
    bigramQuery(text) {
      const folded = foldText(text);
      if (!HAN.test(folded)) return '';
      const bigrams: string[] = [];
      let run = '';
      for (const piece of segment().cut(folded)) {
        if (HAN_ONLY.test(piece) && !STOP_WORDS.has(piece)) {
          run += piece;
          continue;
        }
        bigramsOf(run, bigrams);
        run = '';
      }
      bigramsOf(run, bigrams);
      return [...new Set(bigrams)].join(' ');
    },
  };
}

const cache = new Map<string, Analyzer>();
/** Analyzers kept for reuse (each holds a jieba instance of ~tens of MB). */
const CACHE_SIZE = 4;

/** The analyzer for `dictionary`, shared: built once per fingerprint (a few kept). */
export function analyzerFor(dictionary: UserDictionary = EMPTY_DICTIONARY): Analyzer {
  const fingerprint = analyzerFingerprint(dictionary);
  const found = cache.get(fingerprint);
  if (found) {
    cache.delete(fingerprint);
    cache.set(fingerprint, found);
    return found;
  }
  const analyzer = createAnalyzer({ dictionary });
  cache.set(fingerprint, analyzer);
  for (const key of cache.keys()) {
    if (cache.size <= CACHE_SIZE) break;
    if (key !== fingerprint && key !== active?.fingerprint) cache.delete(key);
  }
  return analyzer;
}

let active: Analyzer | undefined;

/**
 * The analyzer of the index this process works with (the text helpers in `./index.ts` use it). An index
 * opened for search or ingestion makes its own analyzer active (`useAnalyzer`); until then it is the
 * analyzer without a user dictionary.
 */
export function activeAnalyzer(): Analyzer {
  active ??= analyzerFor();
  return active;
}

/** Makes `analyzer` the one the text helpers use (see `activeAnalyzer`). */
export function useAnalyzer(analyzer: Analyzer): void {
  active = analyzer;
}
