/**
 * Language-aware text helpers shared by ingestion, retrieval and answer composition:
 * language detection, keyword analysis for full-text search (folding, jieba segmentation with the
 * index's user dictionary, Porter2 stemming, codes, character bigrams: see `analyzer.ts`), and
 * sentence splitting for English and Chinese.
 *
 * The keyword helpers below use the active analyzer (`activeAnalyzer()`): the one of the index this
 * process searches or ingests, so questions and the index are always analysed alike.
 *
 * @example
 *   keywordText('如何申请退款?')   // "如何 申请 退款"
 *   splitSentences('Hi. 你好。')   // ["Hi.", "你好。"]
 */
import { activeAnalyzer } from './analyzer.ts';

export {
  activeAnalyzer,
  analyzerFingerprint,
  analyzerFor,
  ANALYZER_VERSION,
  createAnalyzer,
  serializeDictionary,
  useAnalyzer,
  type Analyzer,
  type Token,
  type UserDictionary,
} from './analyzer.ts';
export type { DictionaryWord } from './chinese.ts';
export { stemWord as stem } from './english.ts';
export { foldText } from './fold.ts';
export { STOP_WORDS } from './stop-words.ts';
export { parseTerms, type TermsProblem } from './terms.ts';

export type Language = 'en' | 'zh' | 'other';

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

/**
 * Splits text into words (folded: lower case, simplified Chinese; not stemmed): jieba for Han runs, words,
 * numbers and codes otherwise ("sku-1234", "15.5" stay whole).
 */
export function segmentWords(text: string): string[] {
  return activeAnalyzer()
    .tokens(text)
    .filter((token) => !token.part)
    .map((token) => token.surface);
}

/** Content words of a text (analysed, stop words removed, stemmed), in order, with repeats. */
export function contentWords(text: string): string[] {
  return activeAnalyzer().contentWords(text);
}

/**
 * The text stored in the keyword-search column: analysed words joined by spaces, so a whitespace
 * tokenizer indexes Chinese words (退款 matches 如何申请退款).
 */
export function keywordText(text: string): string {
  return activeAnalyzer().keywordText(text);
}

/** The text stored in the bigram column: adjacent Han character pairs joined by spaces. */
export function bigramText(text: string): string {
  return activeAnalyzer().bigramText(text);
}

/** A keyword query: the content words of a question, de-duplicated. */
export function keywordQuery(text: string): string {
  return activeAnalyzer().keywordQuery(text);
}

/** The bigram query of a question (pairs of Han characters inside runs of content words). */
export function bigramQuery(text: string): string {
  return activeAnalyzer().bigramQuery(text);
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
