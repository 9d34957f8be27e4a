/**
 * The index's user dictionary: words jieba must keep whole and synonym groups, built at every sync that
 * changed something from two sources:
 *
 * 1. the knowledge base itself: character n-grams that behave like words (`discoverWords`, below);
 * 2. the owner's `terms.txt` at the top of the ingest folder (one term per line, `退款=退钱=退费` synonym
 *    groups, optional jieba frequency and tag; format in src/text/terms.ts). Malformed lines are reported
 *    with their line numbers and skipped, never fatal. The file is configuration, not a document.
 *
 * When the dictionary (or ANALYZER_VERSION) differs from the one the index recorded, the keyword columns of
 * every chunk are rewritten with the new analyzer (`store.rewriteKeywords`): no re-embedding.
 *
 * @example
 *   const report = await syncDictionary({ store, termsPath: path.join(config.inboxDir, 'terms.txt') });
 *   for (const problem of report.problems) console.warn(`terms.txt line ${problem.line}: ${problem.problem}`);
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ChunkStore, KeywordRewrite } from '../src/store/index.ts';
import { ANALYZER_VERSION, analyzerFor, foldText, STOP_WORDS, useAnalyzer, type DictionaryWord, type UserDictionary } from '../src/text/index.ts';
import { isDictionaryWord, createSegmenter } from '../src/text/chinese.ts';
import { parseTerms, type TermsProblem } from '../src/text/terms.ts';
import { decodeText } from './loaders/text-decoding.ts';

/** The owner's terms file, at the top of the ingest folder. */
export const TERMS_FILE = 'terms.txt';

export interface DictionaryReport {
  /** Analyzer fingerprint now recorded by the index. */
  fingerprint: string;
  /** Words found in the knowledge base. */
  discovered: number;
  /** Words and synonym groups from the terms file. */
  terms: number;
  synonymGroups: number;
  /** Malformed lines of the terms file (skipped). */
  problems: TermsProblem[];
  /** Set when the keyword columns were rewritten because the analyzer changed. */
  rewritten?: KeywordRewrite;
}

/**
 * Word discovery constants (see eval/README.md, "Keyword analysis", for where each came from):
 * - `minCount`: occurrences in the knowledge base;
 * - `minCohesion`: the weakest split's pointwise mutual information, ln(p(ab) / (p(a) p(b)));
 * - `minEntropy`: the smaller of the left and right neighbour entropies (nats): a word is used in varied contexts;
 * - `maxLength`: the longest word looked for (characters);
 * - `maxCharacters`: Han characters read at most (evenly sampled texts beyond), which bounds time and memory;
 * - `maxWords`: words kept at most (the most frequent).
 */
export const DISCOVERY = { minCount: 3, minCohesion: 2, minEntropy: 0.5, maxLength: 4, maxCharacters: 3_000_000, maxWords: 5000 } as const;

export type DiscoveryOptions = { [key in keyof typeof DISCOVERY]: number };

const HAN_RUN = /\p{Script=Han}+/gu;
const SINGLE_STOP_CHARACTERS = new Set([...STOP_WORDS].filter((word) => [...word].length === 1));

/** Entropy (nats) of a neighbour distribution where every boundary (start or end of a run) is its own neighbour. */
function entropy(neighbours: Map<string, number> | undefined, boundaries: number): number {
  let total = boundaries;
  for (const count of neighbours?.values() ?? []) total += count;
  if (total === 0) return 0;
  let sum = boundaries * (1 / total) * Math.log(total);
  for (const count of neighbours?.values() ?? []) sum -= (count / total) * Math.log(count / total);
  return sum;
}

/** Han runs of the texts (folded), evenly sampled down to `maxCharacters`. */
function hanRuns(texts: readonly string[], maxCharacters: number): string[][] {
  const total = texts.reduce((sum, text) => sum + text.length, 0);
  const step = Math.max(1, Math.ceil(total / maxCharacters));
  const runs: string[][] = [];
  let read = 0;
  for (let index = 0; index < texts.length && read < maxCharacters; index += step) {
    for (const match of foldText(texts[index] ?? '').matchAll(HAN_RUN)) {
      const characters = [...match[0]];
      if (characters.length < 2) continue;
      runs.push(characters);
      read += characters.length;
    }
  }
  return runs;
}

/**
 * Words of a knowledge base that jieba's dictionary lacks, found statistically (a general method, the one of
 * "new word discovery" in Chinese text mining): a string of 2–4 Han characters is a word when
 *
 * - jieba (default dictionary, no HMM) cuts it into single characters wherever it occurs (花呗 → 花/呗): known
 *   words and compounds of known words are left alone;
 * - it occurs at least `minCount` times;
 * - its characters stick together: for every split into two parts, the pointwise mutual information
 *   ln(p(whole) / (p(left) p(right))) is at least `minCohesion`;
 * - it is free at both ends: the entropy of the characters before it, and of those after it, is at least
 *   `minEntropy` (a fragment of a longer word always has the same neighbour);
 * - it neither starts nor ends with a one-character stop word (的, 了, 是).
 *
 * Linear in the text read (bounded by `maxCharacters`). Returns the words, most frequent first.
 *
 * @example
 *   discoverWords(faqQuestions)   // ['花呗', '借呗', …]
 */
export function discoverWords(texts: readonly string[], options: Partial<DiscoveryOptions> = {}): string[] {
  const settings = { ...DISCOVERY, ...options };
  const runs = hanRuns(texts, settings.maxCharacters);
  const segmenter = createSegmenter();
  // 1. Candidates: sub-strings of runs of single-character pieces.
  const candidates = new Set<string>();
  for (const run of runs) {
    let single: string[] = [];
    const flush = () => {
      for (let start = 0; start < single.length; start++) {
        for (let length = 2; length <= settings.maxLength && start + length <= single.length; length++) {
          const first = single[start] ?? '';
          const last = single[start + length - 1] ?? '';
          if (SINGLE_STOP_CHARACTERS.has(first) || SINGLE_STOP_CHARACTERS.has(last)) continue;
          candidates.add(single.slice(start, start + length).join(''));
        }
      }
      single = [];
    };
    for (const piece of segmenter.cut(run.join(''))) {
      if ([...piece].length === 1) single.push(piece);
      else flush();
    }
    flush();
  }
  if (candidates.size === 0) return [];
  // 2. Counts of candidates and of their parts (for cohesion), neighbours of candidates (for entropy).
  const counted = new Set<string>(candidates);
  for (const candidate of candidates) {
    const characters = [...candidate];
    for (let split = 1; split < characters.length; split++) {
      counted.add(characters.slice(0, split).join(''));
      counted.add(characters.slice(split).join(''));
    }
  }
  const counts = new Map<string, number>();
  const left = new Map<string, Map<string, number>>();
  const right = new Map<string, Map<string, number>>();
  const leftBoundaries = new Map<string, number>();
  const rightBoundaries = new Map<string, number>();
  const increment = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let characters = 0;
  for (const run of runs) {
    characters += run.length;
    for (let start = 0; start < run.length; start++) {
      for (let length = 1; length <= settings.maxLength && start + length <= run.length; length++) {
        const gram = length === 1 ? (run[start] ?? '') : run.slice(start, start + length).join('');
        if (length > 1 && !counted.has(gram)) continue;
        increment(counts, gram);
        if (!candidates.has(gram)) continue;
        const before = run[start - 1];
        const after = run[start + length];
        if (before === undefined) increment(leftBoundaries, gram);
        else increment(left.get(gram) ?? left.set(gram, new Map()).get(gram) ?? new Map(), before);
        if (after === undefined) increment(rightBoundaries, gram);
        else increment(right.get(gram) ?? right.set(gram, new Map()).get(gram) ?? new Map(), after);
      }
    }
  }
  // 3. The tests.
  const accepted: Array<{ word: string; count: number }> = [];
  for (const candidate of candidates) {
    const count = counts.get(candidate) ?? 0;
    if (count < settings.minCount) continue;
    const parts = [...candidate];
    let cohesion = Number.POSITIVE_INFINITY;
    for (let split = 1; split < parts.length; split++) {
      const a = counts.get(parts.slice(0, split).join('')) ?? 1;
      const b = counts.get(parts.slice(split).join('')) ?? 1;
      cohesion = Math.min(cohesion, Math.log((count * characters) / (a * b)));
    }
    if (cohesion < settings.minCohesion) continue;
    const freedom = Math.min(entropy(left.get(candidate), leftBoundaries.get(candidate) ?? 0), entropy(right.get(candidate), rightBoundaries.get(candidate) ?? 0));
    if (freedom < settings.minEntropy) continue;
    accepted.push({ word: candidate, count });
  }
  const known = isDictionaryWord(accepted.map((entry) => entry.word));
  return accepted
    .filter((entry) => !known.has(entry.word))
    .sort((a, b) => b.count - a.count || a.word.localeCompare(b.word))
    .slice(0, settings.maxWords)
    .map((entry) => entry.word);
}

/** What the last dictionary of each store was built from in this process (to skip a rebuild when nothing changed). */
const lastBuilt = new WeakMap<ChunkStore, { terms: string; fingerprint: string }>();

async function termsHash(filePath: string): Promise<string> {
  const bytes = await readFile(filePath).catch(() => undefined);
  return bytes ? createHash('sha256').update(bytes).digest('hex') : '';
}

/**
 * Whether the dictionary must be rebuilt although no document changed: the index recorded no analyzer or one of
 * another ANALYZER_VERSION, this process has not built it yet, or the terms file changed since.
 */
export async function dictionaryNeedsSync(options: { store: ChunkStore; termsPath: string }): Promise<boolean> {
  const state = await options.store.analyzerState();
  if (!state || !state.fingerprint.startsWith(`v${ANALYZER_VERSION}-`)) return true;
  const last = lastBuilt.get(options.store);
  if (!last || last.fingerprint !== state.fingerprint) return true;
  return last.terms !== (await termsHash(options.termsPath));
}

/**
 * Reads the terms file; a missing file is an empty dictionary, an unreadable one a problem on line 0.
 */
export async function readTermsFile(filePath: string): Promise<{ dictionary: UserDictionary; problems: TermsProblem[] }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(filePath);
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { dictionary: { words: [], synonyms: [] }, problems: [] };
    return { dictionary: { words: [], synonyms: [] }, problems: [{ line: 0, text: '', problem: `the file cannot be read (${String(code ?? error)})` }] };
  }
  try {
    return parseTerms(decodeText({ path: filePath, bytes }).text);
  } catch (error) {
    return { dictionary: { words: [], synonyms: [] }, problems: [{ line: 0, text: '', problem: error instanceof Error ? error.message : String(error) }] };
  }
}

/** The dictionary of a knowledge base: discovered words plus the owner's terms (the owner's entries win). */
export function buildDictionary(options: { texts: readonly string[]; terms: UserDictionary; discovery?: Partial<DiscoveryOptions> }): { dictionary: UserDictionary; discovered: number } {
  const words = new Map<string, DictionaryWord>();
  const discovered = discoverWords(options.texts, options.discovery);
  for (const word of discovered) words.set(word, { word });
  for (const entry of options.terms.words) words.set(entry.word, entry);
  return { dictionary: { words: [...words.values()], synonyms: options.terms.synonyms }, discovered: discovered.length };
}

/**
 * Builds the dictionary from the whole index and the terms file, makes its analyzer the active one, and
 * rewrites the keyword columns when the index recorded another analyzer.
 */
export async function syncDictionary(options: { store: ChunkStore; termsPath: string; discovery?: Partial<DiscoveryOptions> }): Promise<DictionaryReport> {
  const { store } = options;
  const termsVersion = await termsHash(options.termsPath);
  const terms = await readTermsFile(options.termsPath);
  const chunks = await store.allChunks();
  const texts = chunks.map((chunk) => (chunk.kind === 'faq' ? `${chunk.questions}\n${chunk.answer}` : `${chunk.headingPath}\n${chunk.text}`));
  const { dictionary, discovered } = buildDictionary({ texts, terms: terms.dictionary, discovery: options.discovery });
  const analyzer = analyzerFor(dictionary);
  const state = await store.analyzerState();
  const report: DictionaryReport = {
    fingerprint: analyzer.fingerprint,
    discovered,
    terms: terms.dictionary.words.length,
    synonymGroups: terms.dictionary.synonyms.length,
    problems: terms.problems,
  };
  if (state?.fingerprint !== analyzer.fingerprint) report.rewritten = await store.rewriteKeywords({ analyzer });
  useAnalyzer(analyzer);
  lastBuilt.set(store, { terms: termsVersion, fingerprint: analyzer.fingerprint });
  return report;
}
