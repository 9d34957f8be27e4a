/**
 * Language-aware text helpers shared by ingestion, retrieval and answer composition:
 * language detection, word segmentation (jieba for Chinese), keyword extraction for
 * full-text search, and sentence splitting for English and Chinese.
 *
 * @example
 *   keywordText('如何申请退款?')   // "如何 申请 退款"
 *   splitSentences('Hi. 你好。')   // ["Hi.", "你好。"]
 */
import { createRequire } from 'node:module';
import type { Jieba as JiebaType } from '@node-rs/jieba';

export type Language = 'en' | 'zh' | 'other';

/**
 * Version of the keyword analysis (segmentation, folding, stemming) that builds the keyword columns.
 * Bump it whenever `keywordText` would write different words for the same text: the index records the
 * version it was built with and a sync re-indexes every document when it differs.
 */
export const ANALYZER_VERSION = 1;

const require = createRequire(import.meta.url);
let jieba: JiebaType | undefined;

/** jieba loads its dictionary (~100 ms) on first use, not at import. */
function getJieba(): JiebaType {
  if (!jieba) {
    const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    jieba = Jieba.withDict(dict);
  }
  return jieba;
}

const HAN = /\p{Script=Han}/u;
const HAN_GLOBAL = /\p{Script=Han}/gu;
const LATIN_GLOBAL = /[A-Za-z]/g;
const LETTER_GLOBAL = /\p{L}/gu;

/** Detects the dominant language of a text: Chinese if Han characters dominate the letters. */
export function detectLanguage(text: string): Language {
  const han = text.match(HAN_GLOBAL)?.length ?? 0;
  const latin = text.match(LATIN_GLOBAL)?.length ?? 0;
  const letters = text.match(LETTER_GLOBAL)?.length ?? 0;
  if (letters === 0) return 'en';
  // One Han character carries about as much as a short English word (~4 letters).
  if (han * 4 >= latin && han > 0) return 'zh';
  if (latin / letters >= 0.5) return 'en';
  return 'other';
}

export function hasHan(text: string): boolean {
  return HAN.test(text);
}

/** Very common words that carry no topic; kept small on purpose (BM25's IDF handles the rest). */
export const STOP_WORDS = new Set([
  // English
  'a', 'an', 'the', 'and', 'or', 'but', 'if', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'with', 'from', 'as',
  'is', 'are', 'was', 'were', 'be', 'been', 'being', 'am', 'do', 'does', 'did', 'doing', 'have', 'has', 'had',
  'i', 'me', 'my', 'we', 'our', 'you', 'your', 'he', 'she', 'it', 'its', 'they', 'them', 'their', 'this', 'that',
  'these', 'those', 'there', 'here', 'what', 'which', 'who', 'whom', 'when', 'where', 'why', 'how', 'can', 'could',
  'would', 'should', 'will', 'shall', 'may', 'might', 'must', 'about', 'into', 'than', 'then', 'so', 'not', 'no',
  'any', 'some', 'all', 'also', 'just', 'up', 'out', 'over', 'under', 'again', 'more', 'most', 'very', 'too',
  'there', 'please', 'tell', 'know', 'get', 'got', 'us', 'much', 'many', 'one', 'each', 'other', 'such', 'only',
  // Chinese function words and question words
  '的', '了', '是', '在', '和', '与', '或', '吗', '呢', '吧', '啊', '么', '什么', '怎么', '怎样', '如何', '哪些',
  '哪个', '为什么', '多少', '几', '我', '我们', '你', '你们', '他', '她', '它', '他们', '这', '那', '这个', '那个',
  '有', '没有', '要', '会', '能', '可以', '吗', '请问', '请', '一个', '一下', '就', '都', '也', '还', '被', '把',
  '对', '从', '到', '给', '让', '以', '及', '等', '之', '其', '中', '多久', '多长', '多长时间', '哪里', '哪儿', '是否',
  '能否', '能不能', '可不可以', '怎么办', '怎么样', '需要', '想', '想要', '请问下', '一般',
]);

const WORD_PATTERN = /[\p{L}\p{N}]+(?:[.'’-][\p{L}\p{N}]+)*/gu;

/**
 * Splits text into words: jieba for runs containing Han characters, Unicode word runs otherwise.
 * Lower-cases Latin; keeps numbers and codes (e.g. "sku-1234", "15.5").
 */
export function segmentWords(text: string, options: { discoverWords?: boolean } = {}): string[] {
  const words: string[] = [];
  if (!hasHan(text)) {
    for (const match of text.toLowerCase().matchAll(WORD_PATTERN)) words.push(match[0]);
    return words;
  }
  // `discoverWords` lets jieba's HMM join words missing from its dictionary (names): better terms,
  // but not the segmentation the keyword index was built with, so only for analysing questions.
  for (const piece of getJieba().cut(text, options.discoverWords ?? false)) {
    const lowered = piece.toLowerCase();
    for (const match of lowered.matchAll(WORD_PATTERN)) words.push(match[0]);
  }
  return words;
}

/** Light English stemmer (plural and common suffixes) so "refunds" matches "refund". */
export function stem(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}

/** Content words of a text (segmented, stop words removed, stemmed), in order, with repeats. */
export function contentWords(text: string): string[] {
  return segmentWords(text)
    .filter((word) => !STOP_WORDS.has(word))
    .map(stem);
}

/**
 * The text stored in the keyword-search column: segmented words joined by spaces, so a
 * whitespace tokenizer indexes Chinese words (退款 matches 如何申请退款).
 */
export function keywordText(text: string): string {
  return segmentWords(text).map(stem).join(' ');
}

/** A keyword query: the content words of a question, de-duplicated. */
export function keywordQuery(text: string): string {
  return [...new Set(contentWords(text))].join(' ');
}

// English sentence end: . ! ? followed by space and an upper-case letter/digit/quote, not after common abbreviations.
const ABBREVIATIONS = /(?:\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|no|inc|ltd|co|st|jr|sr|u\.s|approx|dept|fig|p)\.)$/i;

/**
 * Splits text into sentences for English and Chinese (。！？；… end a Chinese sentence).
 * Line breaks between list items also end a sentence. Empty pieces are dropped.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const block of text.split(/\n\s*\n|\n(?=\s*(?:[-*•·]|\d+[.)、]|[（(]?[一二三四五六七八九十]+[)）、.]))/u)) {
    const normalized = block.replace(/\s+/g, ' ').trim();
    if (!normalized) continue;
    let start = 0;
    for (let index = 0; index < normalized.length; index++) {
      const char = normalized[index] ?? '';
      let end = -1;
      if ('。！？；!?…'.includes(char) || (char === ';' && hasHan(normalized.slice(Math.max(0, index - 3), index)))) {
        end = index + 1;
        // keep closing quotes/brackets and repeated marks with the sentence
        while (end < normalized.length && /[”’"')）」』!?！？。…]/u.test(normalized[end] ?? '')) end++;
      } else if (char === '.') {
        const next = normalized[index + 1];
        const after = normalized[index + 2] ?? '';
        const before = normalized.slice(start, index + 1);
        if ((next === undefined || (next === ' ' && /[\p{Lu}\p{N}"'“(\p{Script=Han}]/u.test(after))) && !ABBREVIATIONS.test(before)) {
          end = index + 1;
        }
      }
      if (end > 0) {
        const sentence = normalized.slice(start, end).trim();
        if (sentence) sentences.push(sentence);
        start = end;
        index = end - 1;
      }
    }
    const rest = normalized.slice(start).trim();
    if (rest) sentences.push(rest);
  }
  return sentences;
}

/** Jaccard similarity of two word sets (shared / union); 0 for two empty sets. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return shared / (a.size + b.size - shared || 1);
}
