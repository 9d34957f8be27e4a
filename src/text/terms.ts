/**
 * The terms-file format: the owner's `terms.txt` in the ingest folder, and the form the index stores its
 * user dictionary in.
 *
 * ```text
 * # a comment
 * 花呗                 a term jieba keeps whole
 * 余额宝 20000 nz      with a jieba frequency and a part-of-speech tag (both optional)
 * 退款=退钱=退费       a synonym group: every member is read as the first
 * refund=money back    members may be several words
 * ```
 *
 * A malformed line is reported with its number and skipped; it never stops the rest.
 *
 * @example
 *   const { dictionary, problems } = parseTerms('花呗\n退款=退钱\n退款=\n');
 *   // dictionary.words: [{ word: '花呗' }], dictionary.synonyms: [['退款', '退钱']]
 *   // problems: [{ line: 3, text: '退款=', problem: 'a synonym group needs at least two terms' }]
 */
import type { UserDictionary } from './analyzer.ts';
import type { DictionaryWord } from './chinese.ts';

export interface TermsProblem {
  /** 1-based line number. */
  line: number;
  text: string;
  problem: string;
}

/** Longer than this is a sentence, not a term (and longer than the full-text index's token limit). */
export const MAX_TERM_LENGTH = 40;
const SENTENCE_PUNCTUATION = /[。，、！？；：,;!?]|[.](?=\s|$)/u;
const HAN = /\p{Script=Han}/u;
const ENTRY = /^(?<term>.+?)(?:\s+(?<frequency>\S+?))?(?:\s+(?<tag>[a-z]+))?$/u;
/** jieba's part-of-speech tags (the ICTCLAS set its dictionary uses). */
const TAGS = new Set('a ad ag an b c d df dg e eng f g h i j k l m mg mq n ng nr nrfg nrt ns nt nz o p q r rg rr rz s t tg u ud ug uj ul uv uz v vd vg vi vn vq x y z zg'.split(' '));

function termProblem(term: string): string | undefined {
  if (!term) return 'empty term';
  if (term.length > MAX_TERM_LENGTH) return `a term is at most ${MAX_TERM_LENGTH} characters (this looks like a sentence)`;
  if (SENTENCE_PUNCTUATION.test(term)) return 'a term has no sentence punctuation (this looks like a sentence)';
  return undefined;
}

/**
 * Parses a single-term line: "term", "term frequency" or "term frequency tag" (jieba's user-dictionary
 * format). A trailing field counts as a frequency or tag only after a term with Han characters, so
 * "money back" stays one term.
 */
function parseEntry(line: string): DictionaryWord | string {
  const fields = line.split(/\s+/);
  if (fields.length > 1 && HAN.test(fields[0] ?? '')) {
    const match = ENTRY.exec(line);
    const term = match?.groups?.term ?? line;
    const frequencyText = match?.groups?.frequency;
    const tag = match?.groups?.tag;
    if (frequencyText !== undefined) {
      if (!/^\d+$/.test(frequencyText)) {
        // "花呗 nz": a tag without a frequency.
        if (!tag && TAGS.has(frequencyText) && !/\s/.test(term)) return { word: term, tag: frequencyText };
        return `the frequency must be a positive whole number, not "${frequencyText}"`;
      }
      if (tag && !TAGS.has(tag)) return `"${tag}" is not a jieba part-of-speech tag (n, nz, v, …)`;
      const frequency = Number(frequencyText);
      if (frequency <= 0) return 'the frequency must be a positive whole number';
      const problem = termProblem(term);
      if (problem) return problem;
      return { word: term, frequency, ...(tag ? { tag } : {}) };
    }
  }
  const problem = termProblem(line);
  return problem ?? { word: line };
}

/** Parses terms-file text (see the module comment). Duplicates are kept once. */
export function parseTerms(text: string): { dictionary: UserDictionary; problems: TermsProblem[] } {
  const words = new Map<string, DictionaryWord>();
  const synonyms: string[][] = [];
  const seenGroups = new Set<string>();
  const problems: TermsProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim().replace(/\s+/g, ' ');
    if (!line || line.startsWith('#')) return;
    const report = (problem: string) => problems.push({ line: index + 1, text: rawLine.trim().slice(0, 80), problem });
    if (line.includes('\uFFFD')) return report('the line is not valid UTF-8 text (save the file as UTF-8)');
    if (line.includes('=')) {
      const members = line.split('=').map((member) => member.trim());
      if (members.filter(Boolean).length < 2) return report('a synonym group needs at least two terms, e.g. 退款=退钱');
      if (members.some((member) => !member)) return report('a synonym group has an empty term (two "=" in a row, or one at an end)');
      const problem = members.map(termProblem).find(Boolean);
      if (problem) return report(problem);
      const key = members.join('=');
      if (!seenGroups.has(key)) {
        seenGroups.add(key);
        synonyms.push(members);
      }
      return;
    }
    const entry = parseEntry(line);
    if (typeof entry === 'string') return report(entry);
    words.set(entry.word, entry);
  });
  return { dictionary: { words: [...words.values()], synonyms }, problems };
}
