/**
 * `answer()`: the one function the CLI, the chat service and the evaluation harness call.
 * Question → (follow-up rewrite) → FAQ fast path → hybrid retrieval → confidence gate →
 * extractive answer with citations (or, when configured, an LLM answer whose every sentence must
 * cite a source, falling back to the extractive answer when the LLM fails).
 *
 * @example
 *   const service = createAnswerService({ config, store, embedder });
 *   const result = await service.answer({ question: 'How long do I have to return an item?' });
 *   for await (const event of service.stream({ question: '退款多久到账？' })) console.log(event.type);
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.ts';
import type { Embedder } from '../embeddings/types.ts';
import { KefuError } from '../errors/index.ts';
import { joinSentences, type AnswerWriter } from '../llm/index.ts';
import { createRetriever, type Candidate, type FaqMatch, type RetrievalResult } from '../retrieval/index.ts';
import type { CorpusStats } from '../retrieval/corpus-stats.ts';
import type { ChunkStore } from '../store/index.ts';
import { detectLanguage } from '../text/index.ts';
import { answerTypeOf } from './answer-type.ts';
import { citationFor, composeAnswer, faqAnswer, focusCoverageOf, promptText } from './compose.ts';
import { analyzeFollowUp, type FollowUpAnalysis } from './follow-up.ts';
import { asksForPerson } from './handoff.ts';
import { wording } from './messages.ts';
import type { AnswerEvent, AnswerRequest, AnswerResult, AnswerService, Citation, Evidence, RetrievedPassage } from './types.ts';

export type { AnswerService } from './types.ts';

/** Questions longer than this are cut before searching: the rest adds noise, not meaning. */
const MAX_QUERY_CHARS = 1000;
/** FAQ questions at least this close to the question are offered as related questions. */
const SUGGESTION_SIMILARITY = 0.45;

export interface AnswerServiceOptions {
  config: Config;
  store: ChunkStore;
  embedder: Embedder;
  /** Optional LLM writer (src/llm); without it answers are extractive. */
  writer?: AnswerWriter;
  logger?: { warn(object: object, message: string): void };
}

/**
 * Evidence features turned into one 0..1 confidence; the refusal threshold on it
 * (KEFU_ANSWER_THRESHOLD, 0.25) was calibrated on labeled answerable and unanswerable questions
 * (Northwind, the sample knowledge base's own set, CMRC 2018: see eval/README.md).
 *
 * English mixes the best passage's embedding similarity with how much of the question it covers,
 * discounted by the share of question words the documents never use ("the Platinum plan").
 * Chinese (the bundled model is English-only) relies on how much of the question's known words the
 * best passage covers, and is refused outright when most of its words are unknown to the documents.
 */
export function confidenceOf(options: { language: string; topCosine: number | undefined; coverage: number; unknownShare: number }): number {
  const { topCosine, coverage, unknownShare } = options;
  const clamp = (value: number) => Math.max(0, Math.min(1, value));
  if (options.language === 'en' && topCosine !== undefined) {
    const similarity = clamp((topCosine - 0.2) / 0.6);
    return clamp(0.5 * similarity + 0.5 * coverage) * (1 - 0.5 * unknownShare);
  }
  if (unknownShare >= 0.6) return 0;
  const knownShare = 1 - unknownShare;
  return knownShare > 0 ? clamp(coverage / knownShare) : 0;
}

function toRetrieved(candidate: Candidate): RetrievedPassage {
  return {
    chunkId: candidate.chunk.id,
    docPath: candidate.chunk.docPath,
    title: candidate.chunk.title,
    page: candidate.chunk.page > 0 ? candidate.chunk.page : undefined,
    headingPath: candidate.chunk.headingPath,
    kind: candidate.chunk.kind,
    faqId: candidate.chunk.faqId || undefined,
    text: candidate.chunk.text,
    score: candidate.score,
    keywordScore: candidate.keywordScore,
    vectorScore: candidate.vectorScore,
  };
}

function unknownShareOf(retrieval: RetrievalResult, corpus: CorpusStats): number {
  let total = 0;
  let unknown = 0;
  for (const term of retrieval.terms) {
    const weight = corpus.idf(term);
    total += weight;
    if (retrieval.unknownTerms.includes(term)) unknown += weight;
  }
  return total > 0 ? unknown / total : 0;
}

export function createAnswerService(options: AnswerServiceOptions): AnswerService {
  const { config, store, embedder, writer, logger } = options;
  const retriever = createRetriever({ store, embedder, config });

  /** Follow-ups become standalone queries: by the LLM when one is configured, else by carrying topic words. */
  async function standaloneQuery(question: string, history: AnswerRequest['history'] = [], signal?: AbortSignal): Promise<FollowUpAnalysis> {
    const analysis = analyzeFollowUp(question, history);
    if (!writer || !analysis.followUp) return analysis;
    try {
      return { ...analysis, query: await writer.rewrite({ question, history, signal }) };
    } catch (error) {
      if (signal?.aborted) throw error;
      logger?.warn({ err: error }, 'LLM rewrite failed; carrying the previous topic instead');
      return analysis;
    }
  }

  interface Run {
    result: AnswerResult;
    /** The answer in pieces for streaming (sentences); empty when deltas were already streamed live. */
    pieces: string[];
  }

  async function run(request: AnswerRequest, live?: { onDelta: (text: string) => void; signal?: AbortSignal }): Promise<Run> {
    const started = performance.now();
    const question = (request.question ?? '').trim();
    if (!question) throw new KefuError('QUESTION_EMPTY');
    const conversationId = request.conversationId ?? randomUUID();
    const history = request.history ?? [];
    const searchQuestion = question.length > MAX_QUERY_CHARS ? question.slice(0, MAX_QUERY_CHARS) : question;
    const followUp = await standaloneQuery(searchQuestion, history, live?.signal);
    const query = followUp.query;
    const language = detectLanguage(question);
    const words = wording(language);
    const timings = { retrievalMs: 0, compositionMs: 0, totalMs: 0 };
    const base = { conversationId, query, language, suggestions: [] as string[], timings };

    if (asksForPerson(question) && !request.retrieveOnly) {
      timings.totalMs = performance.now() - started;
      return { result: { ...base, answer: words.handoff, citations: [], outcome: 'handoff', confidence: 1, retrieved: [] }, pieces: [words.handoff] };
    }

    const retrievalStarted = performance.now();
    const retrieval = await retriever.retrieve({
      query,
      mode: request.retrievalMode,
      fusion: request.fusion,
      topK: request.topK ?? config.retrieval.topK,
      filter: request.filters,
    });
    const { corpus } = retrieval;
    const retrieved = retrieval.passages.map(toRetrieved);
    timings.retrievalMs = performance.now() - retrievalStarted;

    const unknownShare = unknownShareOf(retrieval, corpus);
    const topCosine = retrieval.passages.slice(0, 3).reduce<number | undefined>((best, passage) => (passage.vectorScore === undefined ? best : Math.max(best ?? -1, passage.vectorScore)), undefined);
    const evidence: Evidence = { topCosine, coverage: 0, unknownShare, unknownTerms: retrieval.unknownTerms, faqSimilarity: retrieval.faqMatches[0]?.similarity };

    const compositionStarted = performance.now();
    const finish = (partial: Omit<AnswerResult, keyof typeof base | 'retrieved'>, pieces: string[]): Run => {
      timings.compositionMs = performance.now() - compositionStarted;
      timings.totalMs = performance.now() - started;
      return { result: { ...base, ...partial, retrieved, evidence }, pieces };
    };

    const matches: FaqMatch[] = retrieval.faqMatches;
    const suggestionsFrom = (exclude?: string) =>
      matches.filter((match) => match.chunk.id !== exclude && match.similarity >= SUGGESTION_SIMILARITY).slice(0, 3).map((match) => match.chunk.questions.split('\n')[0] ?? '').filter(Boolean);

    if (request.retrieveOnly) {
      return finish({ answer: '', citations: [], outcome: 'answered', confidence: confidenceOf({ language, topCosine, coverage: 0, unknownShare }) }, []);
    }

    // FAQ fast path: a close match to a curated question gets its curated answer, verbatim.
    const topFaq = matches[0];
    // A follow-up that names something the curated entry does not ("and for sale items?") is composed instead.
    const faqCoversFollowUp = !followUp.followUp || !topFaq || focusCoverageOf({ text: topFaq.chunk.text, focusTerms: followUp.focusTerms, corpus }) >= 1;
    if (topFaq && topFaq.similarity >= config.answer.faqThreshold && unknownShare < 0.5 && faqCoversFollowUp) {
      const faqCandidate: Candidate = { chunk: topFaq.chunk, score: topFaq.similarity };
      // The curated answer, never opening with its own question; the source is named by the question and quotes the answer.
      const answer = faqAnswer(topFaq.chunk);
      const citation: Citation = citationFor(faqCandidate, 1, answer);
      base.suggestions = suggestionsFrom(topFaq.chunk.id);
      const text = `${answer} [1]`;
      return finish({ answer: text, citations: [citation], outcome: 'faq', confidence: topFaq.similarity }, [text]);
    }

    // A follow-up without a kind of its own ("and for sale items?") asks for the same kind as the question it follows.
    const previousQuestion = [...history].reverse().find((turn) => turn.role === 'user')?.text;
    const ownType = answerTypeOf(searchQuestion);
    const answerType = ownType === 'other' && followUp.followUp && previousQuestion ? answerTypeOf(previousQuestion) : ownType;
    const composition = composeAnswer({
      question: searchQuestion,
      language,
      answerType,
      focusTerms: followUp.focusTerms,
      carriedTerms: followUp.carriedTerms,
      terms: retrieval.terms,
      ...(retrieval.queryVector ? { queryVector: retrieval.queryVector } : {}),
      passages: retrieval.passages,
      corpus,
      previousAnswers: history.filter((turn) => turn.role === 'assistant').map((turn) => turn.text),
      maxSentences: config.answer.maxSentences,
    });
    const confidence = confidenceOf({ language, topCosine, coverage: composition.evidence.bestPassageCoverage, unknownShare });
    evidence.coverage = composition.evidence.bestPassageCoverage;
    base.suggestions = suggestionsFrom();

    if (confidence < config.answer.answerThreshold || !composition.markdown) {
      return finish({ answer: words.notFound, citations: [], outcome: 'refused', confidence }, [words.notFound]);
    }

    if (writer) {
      const passages = retrieval.passages.slice(0, 5);
      const streamed: string[] = [];
      const citationsFor = (numbers: number[]): Citation[] => {
        const used = new Map<number, Citation>();
        for (const n of numbers) {
          const passage = passages[n - 1];
          if (passage && !used.has(n)) used.set(n, citationFor(passage, n, passage.chunk.text.slice(0, 300)));
        }
        return [...used.values()].sort((a, b) => a.n - b.n);
      };
      try {
        const written = await writer.write({
          question,
          language,
          passages: passages.map((passage, index) => ({ n: index + 1, title: passage.chunk.title, page: passage.chunk.page || undefined, headingPath: passage.chunk.headingPath, text: promptText(passage) })),
          history,
          signal: live?.signal,
          onDelta: (text) => {
            streamed.push(text);
            live?.onDelta(text);
          },
        });
        if (written.notFound) {
          return finish({ answer: words.notFound, citations: [], outcome: 'refused', confidence }, live ? [] : [words.notFound]);
        }
        if (written.sentences.length > 0) {
          const text = joinSentences(written.sentences);
          return finish({ answer: text, citations: citationsFor(written.sentences.flatMap((sentence) => sentence.citations)), outcome: 'answered', confidence }, live ? [] : [text]);
        }
        logger?.warn({ dropped: written.dropped.length }, 'LLM answer had no cited sentence; using the extractive answer');
      } catch (error) {
        if (live?.signal?.aborted) throw error;
        logger?.warn({ err: error }, 'LLM failed; falling back to the extractive answer');
        // Sentences already streamed were validated: finish with them rather than repeating the answer.
        if (streamed.length > 0) {
          const text = streamed.join('');
          const numbers = [...text.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
          return finish({ answer: text, citations: citationsFor(numbers), outcome: 'answered', confidence }, []);
        }
      }
    }

    return finish({ answer: composition.markdown, citations: composition.citations, outcome: 'answered', confidence }, composition.pieces);
  }

  return {
    async prepare() {
      await retriever.stats();
    },
    async answer(request) {
      return (await run(request)).result;
    },
    async *stream(request, streamOptions = {}): AsyncGenerator<AnswerEvent> {
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const pending = run(request, {
        signal: streamOptions.signal,
        onDelta: (text) => {
          queue.push(text);
          wake?.();
        },
      }).finally(() => {
        done = true;
        wake?.();
      });
      pending.catch(() => undefined); // surfaced below by `await pending`
      while (!done || queue.length > 0) {
        const text = queue.shift();
        if (text !== undefined) {
          yield { type: 'answer-delta', text };
          continue;
        }
        if (!done) await new Promise<void>((resolve) => (wake = resolve));
      }
      const { result, pieces } = await pending;
      for (const piece of pieces) {
        if (streamOptions.signal?.aborted) return;
        yield { type: 'answer-delta', text: piece };
      }
      yield { type: 'citations', citations: result.citations };
      yield { type: 'answer-end', result };
    },
  };
}
