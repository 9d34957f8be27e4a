/**
 * Hybrid retrieval: LanceDB full-text search over the jieba-segmented keyword column plus vector
 * search, fused by one of three strategies, with title-aware boosting and near-duplicate collapsing.
 *
 * - `rrf`: reciprocal-rank fusion (rank only; the classic baseline).
 * - `weighted`: min-max normalised scores mixed with a fixed vector weight (KEFU_VECTOR_WEIGHT).
 * - `adaptive` (default): weighted fusion whose vector weight follows the embedder's languages (the
 *   bundled embedder is English-only, so Chinese leans on keywords), and leans on the vector side for a
 *   close paraphrase of a curated FAQ question.
 *
 * @example
 *   const retriever = createRetriever({ store, embedder, config });
 *   const { passages } = await retriever.retrieve({ query: 'How do I get a refund?' });
 */
import type { Config } from '../config/index.ts';
import type { Embedder, EmbedderLanguages } from '../embeddings/types.ts';
import type { ChunkFilter, ChunkStore, ScoredChunk, ScoredId } from '../store/index.ts';
import type { ChunkRecord } from '../store/types.ts';
import { bigramQuery, detectLanguage, jaccard, keywordQuery, useAnalyzer, type Language } from '../text/index.ts';
import { buildCorpusStats, queryTerms, type CorpusStats } from './corpus-stats.ts';
import { createFaqMatcher, type FaqMatch, type FaqMatcher } from './faq-matcher.ts';
import { createQueryVectorCache } from './query-vector-cache.ts';

export type { FaqMatch } from './faq-matcher.ts';

export type RetrievalMode = 'hybrid' | 'keyword' | 'vector';
export type FusionStrategy = 'adaptive' | 'weighted' | 'rrf';

export interface RetrieveOptions {
  query: string;
  mode?: RetrievalMode;
  fusion?: FusionStrategy;
  /** Passages to return. */
  topK?: number;
  filter?: ChunkFilter;
}

export interface Candidate {
  chunk: ChunkRecord;
  /** Fused score in [0, 1+]: comparable within one query. */
  score: number;
  keywordScore?: number;
  keywordRank?: number;
  /** Cosine similarity to the question. */
  vectorScore?: number;
  vectorRank?: number;
}

export interface RetrievalResult {
  language: Language;
  /** The words searched on the keyword side. */
  terms: string[];
  /** Query words that never occur in the corpus (a hint the question is off-topic). */
  unknownTerms: string[];
  queryVector?: number[];
  passages: Candidate[];
  /** FAQ entries whose question (or an alternate) is closest to the query, best first. */
  faqMatches: FaqMatch[];
  /** Weight the vector side got (0 for keyword mode, 1 for vector mode). */
  vectorWeight: number;
  /** Statistics of the index the passages came from. */
  corpus: CorpusStats;
}

export interface Retriever {
  retrieve(options: RetrieveOptions): Promise<RetrievalResult>;
  /** Statistics of the current index (refreshed when the index changes). */
  stats(): Promise<CorpusStats>;
}

interface IndexView {
  version: number;
  stats: CorpusStats;
  /** Every chunk (without vectors): searches return ids, records come from here. */
  chunks: Map<string, ChunkRecord>;
  faq: FaqMatcher;
  checkedAt: number;
}

const CANDIDATES = 40;
const RRF_K = 60;
/** How much naming a document's distinctive title words lifts its chunks. */
const TITLE_BOOST = 0.25;
/** Share of the next passage's score a passage receives (measured on Northwind: +3 points hit@1). */
const NEIGHBOUR_SHARE = 0.3;
/** An FAQ question this similar to the query is a paraphrase: trust the vector side. */
const FAQ_TRUST_SIMILARITY = 0.5;
/** How long cached corpus statistics are trusted before the index version is checked again. */
const STATS_TTL_MS = 2000;

/**
 * The vector side's starting weight for a question: the configured weight when the embedding model
 * understands the question's language, none when it does not (the bundled model is English-only, so a
 * Chinese question leans on keywords; a multilingual model is trusted in every language).
 */
export function vectorPrior(options: { language: Language; configured: number; languages: EmbedderLanguages }): number {
  const { language, configured, languages } = options;
  return languages === 'all' || languages.includes(language) ? configured : 0;
}

function normalise(values: number[]): number[] {
  if (values.length === 0) return values;
  const max = Math.max(...values);
  const min = Math.min(...values);
  if (max - min < 1e-9) return values.map(() => 1);
  return values.map((value) => (value - min) / (max - min));
}

export function createRetriever(options: { store: ChunkStore; embedder: Embedder; config: Config }): Retriever {
  const { store, embedder, config } = options;
  let cached: IndexView | undefined;
  let building: Promise<IndexView> | undefined;
  const faqVectors = new Map<string, number[]>();
  const queryVectors = createQueryVectorCache({ embedder, size: config.retrieval.queryCacheSize });

  /** Corpus statistics and the FAQ matcher, rebuilt only when the index version changes. */
  async function view(): Promise<IndexView> {
    const now = Date.now();
    if (cached && now - cached.checkedAt < STATS_TTL_MS) return cached;
    const version = await store.version();
    if (cached && cached.version === version) {
      cached.checkedAt = now;
      return cached;
    }
    building ??= (async () => {
      // Questions are analysed with the dictionary the index's keyword columns were written with.
      useAnalyzer(await store.analyzer());
      const [chunks, faqChunks] = await Promise.all([store.allChunks(), store.faqChunks()]);
      const built: IndexView = {
        version,
        stats: buildCorpusStats(chunks),
        chunks: new Map(chunks.map((chunk) => [chunk.id, chunk])),
        faq: await createFaqMatcher({ chunks: faqChunks, embedder, vectorCache: faqVectors }),
        checkedAt: Date.now(),
      };
      cached = built;
      return built;
    })().finally(() => (building = undefined));
    return building;
  }

  async function stats(): Promise<CorpusStats> {
    return (await view()).stats;
  }

  /** Attaches records to hits; a chunk newer than the cached view is read from the store. */
  async function withRecords(lists: [ScoredId[], ScoredId[]], known: Map<string, ChunkRecord>): Promise<[ScoredChunk[], ScoredChunk[]]> {
    const missing = [...new Set(lists.flat().map((hit) => hit.id))].filter((id) => !known.has(id));
    const fetched = missing.length > 0 ? new Map((await store.getChunks(missing)).map((chunk) => [chunk.id, chunk])) : undefined;
    const attach = (hits: ScoredId[]): ScoredChunk[] =>
      hits.flatMap((hit) => {
        const chunk = known.get(hit.id) ?? fetched?.get(hit.id);
        return chunk ? [{ chunk, score: hit.score }] : [];
      });
    return [attach(lists[0]), attach(lists[1])];
  }

  async function retrieve(request: RetrieveOptions): Promise<RetrievalResult> {
    const mode = request.mode ?? 'hybrid';
    const fusion = request.fusion ?? config.retrieval.fusion;
    const topK = request.topK ?? config.retrieval.topK;
    const language = detectLanguage(request.query);
    const { stats: corpus, faq, chunks } = await view();
    const terms = queryTerms(request.query);
    const unknownTerms = terms.filter((term) => !corpus.knows(term));
    const searchText = keywordQuery(request.query);

    const [keywordIds, queryVector] = await Promise.all([
      mode !== 'vector' && searchText ? store.keywordSearchIds({ query: searchText, bigrams: bigramQuery(request.query), limit: CANDIDATES, filter: request.filter }) : Promise.resolve([] as ScoredId[]),
      mode !== 'keyword' ? queryVectors.embedQuery(request.query) : Promise.resolve(undefined),
    ]);
    const vectorIds = queryVector ? await store.vectorSearchIds({ vector: queryVector, limit: CANDIDATES, filter: request.filter }) : [];
    const [keywordHits, vectorHits] = await withRecords([keywordIds, vectorIds], chunks);
    // The FAQ matcher serves the fast path in every mode; its question similarities join the ranking only in
    // hybrid mode, so the keyword and vector ablations measure one search each, nothing else.
    // The fast path must never serve an FAQ entry the filter leaves out (an internal document's, for customers).
    const faqMatches = faq.size > 0 && mode !== 'keyword' ? faq.match({ question: request.query, queryVector, limit: 10, ...(request.filter ? { accept: (chunk: ChunkRecord) => matchesFilter(chunk, request.filter) } : {}) }) : [];
    const hybrid = mode === 'hybrid';
    if (hybrid) mergeFaqQuestionSimilarity({ vectorHits, faqMatches, filter: request.filter });

    const { candidates, vectorWeight } = fuseCandidates({
      keywordHits,
      vectorHits,
      mode,
      fusion,
      language,
      languages: embedder.languages,
      vectorWeight: config.retrieval.vectorWeight,
      hasKeywordQuery: searchText.length > 0,
      faqQuestionSimilarity: faqMatches.reduce((best, match) => Math.max(best, match.semantic), 0),
    });
    if (hybrid) {
      applyFaqMatches({ candidates, faqMatches, filter: request.filter });
      applyNeighbourSupport(candidates);
      applyTitleBoost({ candidates, terms, corpus });
    }
    candidates.sort((a, b) => b.score - a.score);
    const passages = hybrid ? collapseNearDuplicates(candidates, topK) : candidates.slice(0, topK);
    return { language, terms, unknownTerms, queryVector, passages, faqMatches, vectorWeight, corpus };
  }

  return { retrieve, stats };
}

/**
 * Fuses keyword and vector hits into one scored candidate list (pure: no I/O), so strategies can be
 * compared on the same hits.
 */
export function fuseCandidates(options: {
  keywordHits: ScoredChunk[];
  vectorHits: ScoredChunk[];
  mode: RetrievalMode;
  fusion: FusionStrategy;
  language: Language;
  /** Languages the embedding model understands (the adaptive strategy trusts vectors only for these). */
  languages?: EmbedderLanguages;
  /** Configured vector weight (weighted fusion; the adaptive strategy's starting point). */
  vectorWeight: number;
  hasKeywordQuery: boolean;
  /** Embedding similarity of the closest curated FAQ question, when there is one. */
  faqQuestionSimilarity?: number;
}): { candidates: Candidate[]; vectorWeight: number } {
  const { keywordHits, vectorHits, mode, fusion, language } = options;
  const byId = new Map<string, Candidate>();
  keywordHits.forEach((hit, rank) => byId.set(hit.chunk.id, { chunk: hit.chunk, score: 0, keywordScore: hit.score, keywordRank: rank }));
  vectorHits.forEach((hit, rank) => {
    const existing = byId.get(hit.chunk.id);
    if (existing) Object.assign(existing, { vectorScore: hit.score, vectorRank: rank });
    else byId.set(hit.chunk.id, { chunk: hit.chunk, score: 0, vectorScore: hit.score, vectorRank: rank });
  });
  const candidates = [...byId.values()];

  let vectorWeight = mode === 'vector' ? 1 : mode === 'keyword' ? 0 : options.vectorWeight;
  if (mode === 'hybrid' && fusion === 'rrf') {
    for (const candidate of candidates) {
      candidate.score =
        (candidate.keywordRank === undefined ? 0 : 1 / (RRF_K + candidate.keywordRank + 1)) +
        (candidate.vectorRank === undefined ? 0 : 1 / (RRF_K + candidate.vectorRank + 1));
    }
    return { candidates, vectorWeight: 0.5 };
  }
  const keywordNorm = new Map<string, number>();
  const keywordMax = keywordHits[0]?.score ?? 0;
  for (const hit of keywordHits) keywordNorm.set(hit.chunk.id, keywordMax > 0 ? hit.score / keywordMax : 0);
  const vectorValues = normalise(vectorHits.map((hit) => hit.score));
  const vectorNorm = new Map<string, number>(vectorHits.map((hit, index) => [hit.chunk.id, vectorValues[index] ?? 0]));
  if (mode === 'hybrid' && fusion === 'adaptive') {
    vectorWeight = vectorPrior({ language, configured: options.vectorWeight, languages: options.languages ?? ['en'] });
    if (!options.hasKeywordQuery || keywordHits.length === 0) vectorWeight = 1;
    else if (vectorWeight > 0) {
      // (A per-question mix towards the more "decisive" ranking was measured and removed: on the dev halves it
      // lost Northwind hit@1 .707 → .646 and gained nothing elsewhere; eval/README.md, "Fusion".)
      // A close paraphrase of a curated question: semantic similarity is the reliable signal;
      // keyword overlap with long FAQ answers mostly adds noise (StackFAQ: vector .94, keyword .64).
      if ((options.faqQuestionSimilarity ?? 0) >= FAQ_TRUST_SIMILARITY) vectorWeight = Math.max(vectorWeight, 0.9);
    }
  }
  for (const candidate of candidates) {
    candidate.score = vectorWeight * (vectorNorm.get(candidate.chunk.id) ?? 0) + (1 - vectorWeight) * (keywordNorm.get(candidate.chunk.id) ?? 0);
  }
  return { candidates, vectorWeight };
}

/**
 * An FAQ entry is represented by its whole text and by each of its questions: on the vector side
 * its similarity is the best of them (a paraphrase of the question matches the question far better
 * than question + long answer). Re-sorts `vectorHits` in place.
 */
export function mergeFaqQuestionSimilarity(options: { vectorHits: ScoredChunk[]; faqMatches: FaqMatch[]; filter?: ChunkFilter }): void {
  const { vectorHits } = options;
  const byId = new Map(vectorHits.map((hit) => [hit.chunk.id, hit]));
  for (const match of options.faqMatches) {
    if (match.semantic <= 0 || !matchesFilter(match.chunk, options.filter)) continue;
    const hit = byId.get(match.chunk.id);
    if (hit) hit.score = Math.max(hit.score, match.semantic);
    else vectorHits.push({ chunk: match.chunk, score: match.semantic });
  }
  vectorHits.sort((a, b) => b.score - a.score);
}

/**
 * A curated FAQ question that matches the query closely (by meaning, or by shared words for Chinese,
 * where the embedding model cannot help) is strong evidence: the FAQ chunk ranks at least as high
 * as that match.
 */
export function applyFaqMatches(options: { candidates: Candidate[]; faqMatches: FaqMatch[]; filter?: ChunkFilter }): void {
  const byId = new Map(options.candidates.map((candidate) => [candidate.chunk.id, candidate]));
  for (const match of options.faqMatches) {
    if (!matchesFilter(match.chunk, options.filter)) continue;
    const existing = byId.get(match.chunk.id);
    if (existing) existing.score = Math.max(existing.score, match.similarity);
    else if (match.similarity >= 0.5) options.candidates.push({ chunk: match.chunk, score: match.similarity });
  }
}

function matchesFilter(chunk: ChunkRecord, filter: ChunkFilter | undefined): boolean {
  if (!filter) return true;
  const checks: Array<[string[] | undefined, string]> = [
    [filter.docPath, chunk.docPath],
    [filter.docType, chunk.docType],
    [filter.category, chunk.category],
    [filter.language, chunk.language],
    [filter.kind, chunk.kind],
  ];
  if (filter.excludeDocPath?.includes(chunk.docPath)) return false;
  return checks.every(([allowed, value]) => !allowed || allowed.length === 0 || allowed.includes(value));
}

/**
 * A passage whose following passage is also relevant is likely where the answer starts (a section
 * that runs on over a page break): it gets a share of its successor's score.
 */
export function applyNeighbourSupport(candidates: Candidate[], share = NEIGHBOUR_SHARE): void {
  const scoreOf = new Map(candidates.map((candidate) => [`${candidate.chunk.docPath}#${candidate.chunk.ordinal}`, candidate.score]));
  for (const candidate of candidates) {
    // FAQ entries stand alone: the next row of a sheet does not continue this one.
    if (candidate.chunk.kind === 'faq') continue;
    candidate.score += share * (scoreOf.get(`${candidate.chunk.docPath}#${candidate.chunk.ordinal + 1}`) ?? 0);
  }
}

/**
 * Favours chunks of documents whose title words the question names ("Northwind Standard" → the
 * Standard plan's file), where several documents share most of their text.
 */
export function applyTitleBoost(options: { candidates: Candidate[]; terms: string[]; corpus: CorpusStats; strength?: number }): void {
  const { candidates, terms, corpus, strength = TITLE_BOOST } = options;
  if (terms.length === 0) return;
  const termSet = new Set(terms);
  const matchedByDoc = new Map<string, number>();
  for (const [docPath, words] of corpus.titleWords) {
    let matched = 0;
    for (const word of words) if (termSet.has(word)) matched += corpus.idf(word);
    if (matched > 0) matchedByDoc.set(docPath, matched);
  }
  if (matchedByDoc.size === 0) return;
  const best = Math.max(...matchedByDoc.values());
  for (const candidate of candidates) {
    const matched = matchedByDoc.get(candidate.chunk.docPath) ?? 0;
    candidate.score *= 1 + strength * (matched / best);
  }
}

/** Keeps the best of chunks with (nearly) the same words, so five copies of one clause don't fill the top five. */
export function collapseNearDuplicates(sorted: Candidate[], limit = Number.POSITIVE_INFINITY): Candidate[] {
  const kept: Array<{ candidate: Candidate; words: Set<string> }> = [];
  for (const candidate of sorted) {
    if (kept.length >= limit) break;
    const words = new Set(candidate.chunk.keywords.split(' '));
    const duplicate = kept.some(
      (other) => other.candidate.chunk.textHash === candidate.chunk.textHash || (other.candidate.chunk.docPath === candidate.chunk.docPath && jaccard(other.words, words) > 0.9),
    );
    if (!duplicate) kept.push({ candidate, words });
  }
  return kept.map((entry) => entry.candidate);
}
