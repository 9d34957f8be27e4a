/**
 * `npm run bench:faq-match -- [--sizes 1000,10000,100000] [--queries 200]`: FAQ matching time against the FAQ's size.
 *
 * Generates FAQ sheets of 1k / 10k / 100k entries in each language from public question collections in
 * ../shared/eval-data (English: CLINC150, BANKING77 and StackFAQ questions; Chinese: LCQMC's questions), varied by
 * seeded prefixes and suffixes ("Hi, …", "… please", "请问…", "…呢") once the unique questions run out, with
 * an alternate question on every fifth entry. Vectors: embedding 200,000 questions is hours here, so a base set of
 * distinct English questions (BENCH_BASE, default 2,000) is embedded with the real model and every other question
 * gets a seeded perturbation of one of them (Gaussian noise, renormalised: cosine ~.9 to its base); Chinese
 * questions are not compared by vector (the bundled model is English-only). Queries are held-out paraphrases (CLINC150
 * test utterances, StackFAQ rephrasings, LCQMC's text_a), each with its real query vector.
 *
 * Per question it times the FAQ path of an answer: `faq.match` (the matcher), the unknown-word check
 * (`corpus.knows` for the question's terms) and the FAQ gate (`decideFaq`); p50/p95 in ms, build time, RSS.
 * Above EXACT_SEMANTIC_LIMIT English questions the matcher shortlists by sign sketches: `recall` is the share of the
 * exhaustive comparison's top-10 entries it returns.
 * KEFU_BENCH_BEFORE=<checkout> also times that checkout's matcher and corpus statistics on the same data.
 * Targets: p50 <= 10 ms at 10k entries, <= 20 ms at 100k.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decideFaq, loadFaqGateModel } from '../src/answer/faq-gate.ts';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { buildCorpusStats, queryTerms } from '../src/retrieval/corpus-stats.ts';
import { EXACT_SEMANTIC_LIMIT, createFaqMatcher } from '../src/retrieval/faq-matcher.ts';
import type { ChunkRecord } from '../src/store/types.ts';
import { keywordText } from '../src/text/index.ts';
import { seededRandom } from '../src/intents/random.ts';

const argument = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const sizes = (argument('--sizes') ?? '1000,10000,100000').split(',').map(Number);
const queryCount = Number(argument('--queries') ?? 200);
const baseCount = Number(process.env.BENCH_BASE ?? 2000);
const before = process.env.KEFU_BENCH_BEFORE;
const repositoryRoot = path.resolve(import.meta.dirname, '..');
const evalData = path.join(repositoryRoot, '..', 'shared', 'eval-data');

// Seeded, so every run generates the same sheets.
const next = seededRandom(15);
const gaussian = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());

function unique(texts: Array<string | null | undefined>): string[] {
  return [...new Set(texts.map((text) => (typeof text === 'string' ? text.trim() : '')).filter((text) => text.length > 3))];
}

const clinc = JSON.parse(readFileSync(path.join(evalData, 'clinc150', 'data_full.json'), 'utf8')) as Record<string, Array<[string, string]>>;
const banking = readFileSync(path.join(evalData, 'banking77', 'train.csv'), 'utf8').split('\n').slice(1).map((line) => line.replace(/,[a-z_]+$/, '').replace(/^"|"$/g, ''));
const stack = (JSON.parse(readFileSync(path.join(evalData, 'stackfaq', 'stackExchange-FAQ.json'), 'utf8')) as { root: { qapair: Array<{ question: string; rephr: string[]; answer: string[] }> } }).root.qapair;
const lcqmc = ['dev.txt', 'test.txt'].flatMap((file) => readFileSync(path.join(evalData, 'lcqmc', file), 'utf8').split('\n').slice(1).map((line) => line.split('\t')));

const english = unique([...(clinc.train ?? []).map(([text]) => text), ...(clinc.val ?? []).map(([text]) => text), ...banking, ...stack.map((pair) => pair.question)]);
const chinese = unique(lcqmc.map((columns) => columns[1] ?? ''));
const englishQueries = unique([...(clinc.test ?? []).map(([text]) => text), ...stack.flatMap((pair) => pair.rephr)]).filter((text) => text !== '*');
const chineseQueries = unique(lcqmc.map((columns) => columns[0] ?? ''));
const englishAnswers = unique(stack.flatMap((pair) => pair.answer));
const chineseAnswers = chinese;

const variations = {
  en: [['', ''], ['Hi, ', ''], ['', ' please'], ['Quick question: ', ''], ['', ' thanks'], ['Hello, ', ' thank you'], ['Can you tell me ', ''], ['', ' asap']],
  zh: [['', ''], ['请问', ''], ['', '呢'], ['你好，', ''], ['', '？谢谢'], ['麻烦问下', ''], ['我想知道', ''], ['', '啊']],
} as const;

/** The n-th question of a generated sheet: the unique questions first, then seeded variations of them. */
function questionAt(language: 'en' | 'zh', index: number): string {
  const pool = language === 'en' ? english : chinese;
  const base = pool[index % pool.length] ?? '';
  const round = Math.floor(index / pool.length);
  if (round === 0) return base;
  const [prefix, suffix] = variations[language][round % variations[language].length] ?? ['', ''];
  return `${prefix}${base}${suffix}${round >= variations[language].length ? ` (${round})` : ''}`;
}

function sheet(language: 'en' | 'zh', size: number): ChunkRecord[] {
  const answers = language === 'en' ? englishAnswers : chineseAnswers;
  return Array.from({ length: size }, (_, index) => {
    const question = questionAt(language, index);
    const alternate = index % 5 === 0 ? `\n${questionAt(language, index + size)}` : '';
    const answer = answers[(index * 7) % answers.length] ?? '';
    const text = `${question}\n${answer}`;
    return { id: `${language}-${index}`, docPath: `faq-${language}.csv`, title: 'FAQ', docType: 'faq', kind: 'faq', questions: `${question}${alternate}`, answer, text, keywords: keywordText(text), language, ordinal: index } as unknown as ChunkRecord;
  });
}

const modelConfig = loadConfig({ env: { ...process.env, KEFU_DATA_DIR: path.join(repositoryRoot, 'data') }, dotenvDir: null, cwd: repositoryRoot });
const embedder = await createEmbedder({ config: modelConfig, logger: { warn: () => {} } });
let started = performance.now();
const baseTexts = english.filter((_, index) => index % Math.max(1, Math.floor(english.length / baseCount)) === 0).slice(0, baseCount);
const baseVectors = await embedder.embedDocuments(baseTexts);
console.log(`embedded ${baseTexts.length} base questions in ${((performance.now() - started) / 1000).toFixed(1)} s; other questions get perturbed copies of these vectors`);
const vectorByText = new Map(baseTexts.map((text, index) => [text, baseVectors[index] ?? []]));

function perturbed(text: string): number[] {
  const known = vectorByText.get(text);
  if (known) return known;
  const base = baseVectors[Math.floor(next() * baseVectors.length)] ?? [];
  // Noise of norm ~0.45 on a unit vector: cosine ~.9 to the base, so near neighbours are near, not identical.
  const noisy = base.map((value) => value + gaussian() * (0.45 / Math.sqrt(base.length)));
  const norm = Math.sqrt(noisy.reduce((sum, value) => sum + value * value, 0));
  const vector = noisy.map((value) => value / norm);
  vectorByText.set(text, vector);
  return vector;
}

const queries = { en: englishQueries.filter((_, index) => index % Math.floor(englishQueries.length / queryCount) === 0).slice(0, queryCount), zh: chineseQueries.slice(0, queryCount) };
const queryVectors = new Map<string, number[]>();
const englishQueryVectors = await embedder.embedDocuments(queries.en);
queries.en.forEach((text, index) => queryVectors.set(text, englishQueryVectors[index] ?? []));
const model = loadFaqGateModel();

/** An embedder that never runs: the matcher finds every question's vector in its cache. */
const cachedOnly = { ...embedder, modelId: embedder.modelId, languages: embedder.languages, dimension: embedder.dimension, embedDocuments: async (texts: string[]) => texts.map(perturbed) } as Embedder;

const percentile = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * share))] ?? 0;
const rows: string[] = [];
interface Implementation {
  name: string;
  createFaqMatcher: typeof createFaqMatcher;
  buildCorpusStats: typeof buildCorpusStats;
}
const implementations: Implementation[] = [{ name: 'this checkout', createFaqMatcher, buildCorpusStats }];
if (before) {
  const matcherModule = (await import(path.resolve(before, 'src/retrieval/faq-matcher.ts'))) as { createFaqMatcher: typeof createFaqMatcher };
  const statsModule = (await import(path.resolve(before, 'src/retrieval/corpus-stats.ts'))) as { buildCorpusStats: typeof buildCorpusStats };
  implementations.push({ name: `before (${before})`, createFaqMatcher: matcherModule.createFaqMatcher, buildCorpusStats: statsModule.buildCorpusStats });
}

for (const size of sizes) {
  for (const language of ['en', 'zh'] as const) {
    const chunks = sheet(language, size);
    for (const implementation of implementations) {
      const vectorCache = new Map<string, number[]>();
      for (const chunk of chunks) for (const text of chunk.questions.split('\n')) vectorCache.set(text.trim(), language === 'en' ? perturbed(text.trim()) : perturbed(text.trim()));
      started = performance.now();
      const matcher = await implementation.createFaqMatcher({ chunks, embedder: cachedOnly, vectorCache });
      const corpus = implementation.buildCorpusStats(chunks);
      const buildMs = performance.now() - started;
      const timings = { match: [] as number[], knows: [] as number[], gate: [] as number[], total: [] as number[] };
      const decisions: Record<string, number> = {};
      // Recall@10 of the entries an exhaustive comparison returns (only where the matcher shortlists by sketches).
      let recallHits = 0;
      let recallTotal = 0;
      for (const question of queries[language]) {
        const queryVector = queryVectors.get(question);
        const mark = performance.now();
        const matches = matcher.match({ question, ...(queryVector ? { queryVector } : {}), limit: 10 });
        const matched = performance.now();
        const terms = queryTerms(question);
        terms.filter((term) => !corpus.knows(term));
        const known = performance.now();
        const decision = decideFaq({ model, question, matches, corpus });
        const decided = performance.now();
        decisions[decision.kind] = (decisions[decision.kind] ?? 0) + 1;
        if (queryVector && implementation.name === 'this checkout' && matcher.size > EXACT_SEMANTIC_LIMIT) {
          const exact = matcher.match({ question, queryVector, limit: 10, exhaustive: true }).filter((match) => match.similarity > 0);
          const found = new Set(matches.map((match) => match.chunk.id));
          recallHits += exact.filter((match) => found.has(match.chunk.id)).length;
          recallTotal += exact.length;
        }
        timings.match.push(matched - mark);
        timings.knows.push(known - matched);
        timings.gate.push(decided - known);
        timings.total.push(decided - mark);
      }
      const row = `${String(size).padStart(7)}  ${language}  ${implementation.name.padEnd(24)}${(buildMs / 1000).toFixed(1).padStart(8)}${percentile(timings.match, 0.5).toFixed(2).padStart(9)}${percentile(timings.knows, 0.5).toFixed(2).padStart(9)}${percentile(timings.gate, 0.5).toFixed(2).padStart(9)}${percentile(timings.total, 0.5).toFixed(2).padStart(9)}${percentile(timings.total, 0.95).toFixed(2).padStart(9)}${String(Math.round(process.memoryUsage().rss / 2 ** 20)).padStart(8)}${(recallTotal > 0 ? (recallHits / recallTotal).toFixed(3) : 'exact').padStart(8)}  ${JSON.stringify(decisions)}`;
      console.log(row);
      rows.push(row);
    }
  }
}
console.log(`\n${'entries'.padStart(7)}  ln  ${'matcher'.padEnd(24)}${'build s'.padStart(8)}${'match'.padStart(9)}${'knows'.padStart(9)}${'gate'.padStart(9)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'RSS MB'.padStart(8)}${'recall'.padStart(8)}  decisions`);
for (const row of rows) console.log(row);
console.log(`targets: p50 <= 10 ms at 10k, <= 20 ms at 100k; load average (1, 5, 15 min): ${os.loadavg().map((value) => value.toFixed(2)).join(', ')}`);
await embedder.dispose();
