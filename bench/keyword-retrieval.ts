/**
 * Keyword retrieval alone, on real LanceDB indexes of public Chinese sets, to choose the keyword-analysis
 * constants on dev data and report them on held-out data (eval/README.md, "Keyword analysis"):
 *
 * - `lcqmc`: an FAQ bank from the distinct text_b of a split (one FAQ entry each); each label-1 pair's text_a is
 *   a question whose gold is its text_b. Label-0 pairs are hard negatives: how often their text_b ranks first.
 *   Also the Chinese FAQ fast path's lexical similarity (src/retrieval/faq-matcher.ts): its top-1 accuracy.
 * - `cmrc`: the CMRC 2018 paragraphs as passages (one chunk per paragraph), its questions; a seeded half of the
 *   questions is dev, the other half test.
 *
 * For each setting it prints hit@1 and hit@5 of keyword search (words + weighted bigrams in one query), and of
 * the two columns searched separately and fused (reciprocal rank, or max-normalised sum).
 *
 *   node bench/keyword-retrieval.ts lcqmc dev [limit]
 *   node bench/keyword-retrieval.ts cmrc dev|test [paragraphs]
 *
 * With KEFU_BENCH_UNIGRAMS=1 single Han characters are added to the bigram column and query (the "single
 * characters too" variant). With KEFU_BENCH_BEFORE=<folder of an older kefu checkout>, that checkout's `keywordText`/`keywordQuery` (and
 * FAQ lexical similarity) are measured first, on the same questions: the "before" figures.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { buildDictionary, type DiscoveryOptions } from '../ingest/dictionary.ts';
import { lexicalForm, lexicalSimilarity } from '../src/retrieval/faq-matcher.ts';
import { keywordSource, openStore, type ChunkStore } from '../src/store/index.ts';
import type { ChunkRecord } from '../src/store/types.ts';
import { createAnalyzer, foldText, type Analyzer } from '../src/text/index.ts';

const [source = 'lcqmc', split = 'dev', limitText] = process.argv.slice(2);
const evalData = path.resolve(import.meta.dirname, '../../shared/eval-data');

interface Question {
  text: string;
  gold: string;
  /** Label-0 pair: `gold` is the hard negative that must not rank first. */
  negative?: boolean;
}

function seededHalf(id: string, seed = 42): 'dev' | 'test' {
  let hash = 2166136261 ^ seed;
  for (const character of id) hash = Math.imul(hash ^ character.charCodeAt(0), 16777619);
  return (hash >>> 0) % 2 === 0 ? 'dev' : 'test';
}

function loadLcqmc(): { documents: Array<{ id: string; text: string; faq: boolean }>; questions: Question[] } {
  const lines = readFileSync(path.join(evalData, 'lcqmc', `${split}.txt`), 'utf8').trim().split('\n').slice(1);
  const limit = Number(limitText ?? lines.length);
  const bank = new Map<string, string>();
  const questions: Question[] = [];
  for (const line of lines.slice(0, limit)) {
    const [a = '', b = '', label = ''] = line.split('\t');
    if (!bank.has(b)) bank.set(b, `faq-${bank.size}`);
    questions.push({ text: a, gold: bank.get(b) ?? '', negative: label.trim() === '0' });
  }
  return { documents: [...bank].map(([text, id]) => ({ id, text, faq: true })), questions };
}

function loadCmrc(): { documents: Array<{ id: string; text: string; faq: boolean }>; questions: Question[] } {
  const data = JSON.parse(readFileSync(path.join(evalData, 'cmrc2018', 'cmrc2018_dev.json'), 'utf8')) as { data: Array<{ paragraphs: Array<{ id: string; context: string; qas: Array<{ id: string; question: string }> }> }> };
  const paragraphs = data.data.flatMap((entry) => entry.paragraphs).slice(0, Number(limitText ?? 100_000));
  return {
    documents: paragraphs.map((paragraph) => ({ id: paragraph.id, text: paragraph.context, faq: false })),
    questions: paragraphs.flatMap((paragraph) => paragraph.qas.filter((qa) => seededHalf(qa.id) === split).map((qa) => ({ text: qa.question, gold: paragraph.id }))),
  };
}

const unigrams = Boolean(process.env.KEFU_BENCH_UNIGRAMS);
const hanCharacters = (text: string) => [...foldText(text).replace(/[^\p{Script=Han}]/gu, '')].join(' ');
/** The bigram field, with single characters added in the unigram variant. */
const pairField = (analyzer: Analyzer, text: string) => (unigrams ? `${analyzer.bigramText(text)} ${hanCharacters(text)}`.trim() : analyzer.bigramText(text));
const pairQuery = (analyzer: Analyzer, text: string) => (unigrams ? `${analyzer.bigramQuery(text)} ${[...new Set(analyzer.contentWords(text).filter((word) => /\p{Script=Han}/u.test(word)).join('').split(''))].join(' ')}`.trim() : analyzer.bigramQuery(text));

function chunkOf(document: { id: string; text: string; faq: boolean }, analyzer: Analyzer): ChunkRecord {
  const base = { kind: document.faq ? ('faq' as const) : ('passage' as const), questions: document.faq ? document.text : '', answer: '', headingPath: '', text: document.text };
  const keywordText = keywordSource(base);
  return {
    id: document.id, docPath: `${document.id}.txt`, title: document.id, docType: document.faq ? 'faq' : 'text', ordinal: 0, page: 0, language: 'zh', category: '', faqId: document.faq ? document.id : '',
    textHash: document.id, vector: [0, 1], keywords: analyzer.keywordText(keywordText), bigrams: pairField(analyzer, keywordText), ...base,
  };
}

function rankOf(ids: string[], gold: string): number {
  const index = ids.indexOf(gold);
  return index < 0 ? Infinity : index + 1;
}

function fuse(lists: Array<Array<{ id: string; score: number }>>, how: 'rrf' | 'sum'): string[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    const max = list[0]?.score ?? 1;
    list.forEach((hit, rank) => scores.set(hit.id, (scores.get(hit.id) ?? 0) + (how === 'rrf' ? 1 / (60 + rank + 1) : hit.score / (max || 1))));
  }
  return [...scores].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

async function measure(store: ChunkStore, analyzer: Analyzer, questions: Question[], bigramWeights: number[]): Promise<void> {
  const positives = questions.filter((question) => !question.negative);
  const negatives = questions.filter((question) => question.negative);
  const rows: Array<[string, number[], number[]]> = [];
  const record = (name: string) => {
    const row: [string, number[], number[]] = [name, [], []];
    rows.push(row);
    return row;
  };
  const variants = [...bigramWeights.map((weight) => ({ name: `one query, bigram weight ${weight}`, weight })), { name: 'two searches, rrf', fused: 'rrf' as const }, { name: 'two searches, sum', fused: 'sum' as const }];
  const results = variants.map((variant) => ({ variant, row: record(variant.name) }));
  for (const question of questions) {
    const words = analyzer.keywordQuery(question.text);
    const bigrams = pairQuery(analyzer, question.text);
    const separate = await Promise.all([store.keywordSearchIds({ query: words, limit: 20 }), store.keywordSearchIds({ query: '', bigrams, bigramWeight: 1, limit: 20 })]);
    for (const { variant, row } of results) {
      const ids = 'fused' in variant && variant.fused ? fuse(separate, variant.fused) : (await store.keywordSearchIds({ query: words, bigrams, bigramWeight: variant.weight ?? 0, limit: 20 })).map((hit) => hit.id);
      (question.negative ? row[2] : row[1]).push(rankOf(ids, question.gold));
    }
  }
  const rate = (ranks: number[], k: number) => (ranks.length === 0 ? 0 : ranks.filter((rank) => rank <= k).length / ranks.length);
  console.log(`  ${positives.length} questions${negatives.length ? `, ${negatives.length} hard negatives` : ''}`);
  console.log('  setting                              hit@1   hit@5   negatives ranked first');
  for (const [name, ranks, negativeRanks] of rows) {
    console.log(`  ${name.padEnd(36)} ${rate(ranks, 1).toFixed(3)}   ${rate(ranks, 5).toFixed(3)}   ${negatives.length ? rate(negativeRanks, 1).toFixed(3) : '–'}`);
  }
}

function lexicalTop1(documents: Array<{ id: string; text: string }>, questions: Question[]): { hit: number; negativeFirst: number } {
  // The FAQ matcher reads words through the active analyzer: the same one as the index here.
  const variants = documents.map((document) => ({ id: document.id, ...lexicalForm(document.text) }));
  let hits = 0;
  let negativeFirst = 0;
  const sample = questions.slice(0, 1500);
  for (const question of sample) {
    const form = lexicalForm(question.text);
    let best = '';
    let bestScore = -1;
    for (const variant of variants) {
      const score = lexicalSimilarity(form, variant);
      if (score > bestScore) [best, bestScore] = [variant.id, score];
    }
    if (best === question.gold && question.negative) negativeFirst++;
    else if (best === question.gold) hits++;
  }
  const positives = sample.filter((question) => !question.negative).length;
  const negatives = sample.length - positives;
  return { hit: hits / Math.max(positives, 1), negativeFirst: negativeFirst / Math.max(negatives, 1) };
}

/** An older checkout's analysis, wrapped as an analyzer (words only: it had no bigrams). */
async function beforeAnalyzer(folder: string): Promise<{ analyzer: Analyzer; lexical: (question: string, other: { words: Set<string>; bigrams: Set<string> }) => number; form: (text: string) => { words: Set<string>; bigrams: Set<string> } }> {
  const text = (await import(path.join(folder, 'src/text/index.ts'))) as { keywordText(text: string): string; keywordQuery(text: string): string; contentWords(text: string): string[] };
  const matcher = (await import(path.join(folder, 'src/retrieval/faq-matcher.ts'))) as { lexicalSimilarity(question: string, other: { words: Set<string>; bigrams: Set<string> }): number };
  const base = createAnalyzer();
  const analyzer: Analyzer = { ...base, keywordText: text.keywordText, keywordQuery: text.keywordQuery, bigramText: () => '', bigramQuery: () => '', contentWords: text.contentWords };
  const bigrams = (value: string) => {
    const han = [...value.replace(/[^\p{Script=Han}]/gu, '')];
    return new Set(han.slice(1).map((character, index) => `${han[index]}${character}`));
  };
  return { analyzer, lexical: matcher.lexicalSimilarity, form: (value) => ({ words: new Set(text.contentWords(value)), bigrams: bigrams(value) }) };
}

async function buildStore(documents: Array<{ id: string; text: string; faq: boolean }>, analyzer: Analyzer): Promise<{ store: ChunkStore; directory: string }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'kefu-keyword-bench-'));
  const store = await openStore({ directory });
  await store.useModel({ modelId: 'keyword-only', dimension: 2 });
  const chunks = documents.map((document) => chunkOf(document, analyzer));
  for (let start = 0; start < chunks.length; start += 2000) {
    const part = chunks.slice(start, start + 2000);
    await store.replaceDocuments(part.map((chunk) => ({ document: { path: chunk.docPath, root: '/', title: chunk.title, type: 'text', contentHash: chunk.id, size: 0, status: 'indexed', reason: '', chunkCount: 1, pageCount: 0, modifiedAt: '', indexedAt: '' }, chunks: [chunk] })));
  }
  await store.optimize();
  return { store, directory };
}

async function main(): Promise<void> {
  const { documents, questions } = source === 'cmrc' ? loadCmrc() : loadLcqmc();
  console.log(`${source} ${split}: ${documents.length} documents, ${questions.length} questions; load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  const beforeFolder = process.env.KEFU_BENCH_BEFORE;
  if (beforeFolder) {
    const before = await beforeAnalyzer(path.resolve(beforeFolder));
    const { store, directory } = await buildStore(documents, before.analyzer);
    try {
      console.log(`\nbefore: ${beforeFolder} (words only)`);
      await measure(store, before.analyzer, questions, [0]);
      if (source === 'lcqmc') {
        const variants = documents.map((document) => ({ id: document.id, ...before.form(document.text) }));
        let hits = 0;
        let negativeFirst = 0;
        const sample = questions.slice(0, 1500);
        for (const question of sample) {
          let best = '';
          let bestScore = -1;
          for (const variant of variants) {
            const score = before.lexical(question.text, variant);
            if (score > bestScore) [best, bestScore] = [variant.id, score];
          }
          if (best === question.gold && question.negative) negativeFirst++;
    else if (best === question.gold) hits++;
        }
        const positives = sample.filter((question) => !question.negative).length;
        console.log(`  FAQ lexical similarity top-1: ${(hits / positives).toFixed(3)}; hard negatives first ${(negativeFirst / (sample.length - positives)).toFixed(3)} (first 1500 pairs)`);
      }
    } finally {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    }
    if (process.env.KEFU_BENCH_BEFORE_ONLY) return;
  }
  const discoverySettings: Array<[string, Partial<DiscoveryOptions> | undefined]> = process.env.KEFU_BENCH_DEFAULTS_ONLY
    ? [['discovered words (defaults)', {}]]
    : [
        ['no user dictionary', undefined],
        ['discovered words (defaults)', {}],
        ['discovery, cohesion 1, entropy 0.5', { minCohesion: 1, minEntropy: 0.5 }],
        ['discovery, cohesion 3, entropy 1', { minCohesion: 3, minEntropy: 1 }],
      ];
  for (const [name, discovery] of discoverySettings) {
    const { useAnalyzer } = await import('../src/text/index.ts');
    const dictionary = discovery ? buildDictionary({ texts: documents.map((document) => document.text), terms: { words: [], synonyms: [] }, discovery }) : undefined;
    const analyzer = createAnalyzer({ dictionary: dictionary?.dictionary });
    useAnalyzer(analyzer);
    const { store, directory } = await buildStore(documents, analyzer);
    try {
      console.log(`\n${name}${dictionary ? ` (${dictionary.discovered} words found)` : ''}`);
      await measure(store, analyzer, questions, [0, 0.25, 0.5, 1, 2]);
      if (source === 'lcqmc') {
        const lexical = lexicalTop1(documents, questions);
        console.log(`  FAQ lexical similarity top-1: ${lexical.hit.toFixed(3)}; hard negatives first ${lexical.negativeFirst.toFixed(3)} (first 1500 pairs)`);
      }
    } finally {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    }
  }
  console.log(`\nload average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
}

await main();
