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
import { answerabilityFeatures, loadAnswerabilityModel, predictAnswerability } from './answerability.ts';
import { answerTypeOf } from './answer-type.ts';
import { decideFaq, loadFaqGateModel } from './faq-gate.ts';
import { citationFor, composeAnswer, faqAnswer, focusCoverageOf, promptText, type ComposedAnswer } from './compose.ts';
import { analyzeFollowUp, type FollowUpAnalysis } from './follow-up.ts';
import { asksForPerson } from './handoff.ts';
import { notFoundMessage, wording } from './messages.ts';
import { joinLabelled, planSiblings } from './siblings.ts';
import { createMessageRouter, type RoutingDecision } from './routing.ts';
import type { AnswerEvent, AnswerRequest, AnswerResult, AnswerService, Citation, Evidence, IntentInfo, RetrievedPassage } from './types.ts';
import type { ActionRunner } from '../actions/index.ts';
import type { StoredIntents } from '../intents/stored-model.ts';

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
  /** The intent model sync trained from the inbox's intents file (src/intents); without it no message gets an intent. */
  intents?: StoredIntents;
  /** Business actions from actions.yaml (src/actions); without them no action runs. */
  actions?: ActionRunner;
}

/** Slot values in a ticket note: each shown, long ones cut (the agent sees the full message in the transcript). */
function describeSlots(slots: Readonly<Record<string, string>>): string {
  const entries = Object.entries(slots).map(([name, value]) => `${name}=${value.length > 80 ? `${value.slice(0, 80)}…` : value}`);
  return entries.length > 0 ? entries.join(', ') : 'none given';
}

/** The answer fields of a routing decision (the rest of the result is filled in by the caller). */
function routedAnswer(decision: RoutingDecision, language: AnswerResult['language'], intent: IntentInfo | undefined): Pick<AnswerResult, 'answer' | 'citations' | 'outcome' | 'confidence' | 'action' | 'handoffRequest'> {
  const confidence = intent?.confidence ?? 1;
  if (decision.kind === 'faq') {
    const answer = faqAnswer(decision.chunk);
    return { answer: `${answer} [1]`, citations: [citationFor({ chunk: decision.chunk, score: confidence }, 1, answer)], outcome: 'faq', confidence };
  }
  if (decision.kind === 'person') {
    return { answer: wording(language).handoff, citations: [], outcome: 'handoff', confidence, handoffRequest: { reason: 'intent', priority: decision.priority, note: `intent ${intent?.name ?? ''}`.trim() } };
  }
  const { turn } = decision;
  if (turn.kind === 'ask') return { answer: turn.text, citations: [], outcome: 'clarify', confidence, action: { name: turn.action, status: 'asked', slot: turn.slot } };
  if (turn.kind === 'reply') return { answer: turn.text, citations: [], outcome: 'answered', confidence: 1, action: { name: turn.action, status: turn.notFound ? 'not-found' : 'answered' } };
  return {
    answer: turn.text,
    citations: [],
    outcome: 'handoff',
    confidence,
    action: { name: turn.action, status: 'failed' },
    handoffRequest: { reason: 'intent', priority: turn.priority, note: `action ${turn.action} failed (${turn.failure}); slots: ${describeSlots(turn.slots)}` },
  };
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

/** The question's own words that occur nowhere in the documents, as the customer wrote them ("Platinum"). */
function missingFocusWords(question: string, focusTerms: readonly string[], corpus: CorpusStats): string[] {
  const missing = focusTerms.filter((term) => !corpus.knows(term) && term.length > 1);
  const words = question.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
  return missing.map((term) => (/\p{Script=Han}/u.test(term) ? term : words.find((word) => word.toLowerCase().startsWith(term)) ?? term)).slice(0, 3);
}

/** Titles of documents the question's other words point at ("plan" → the plans we do have). */
function nearbyTitles(retrieval: RetrievalResult, missing: readonly string[]): string[] {
  const titles = new Map<string, string>();
  for (const passage of retrieval.passages) {
    const title = passage.chunk.kind === 'faq' ? '' : passage.chunk.title;
    if (title && !titles.has(title) && !missing.some((word) => title.toLowerCase().includes(word.toLowerCase()))) titles.set(title, title);
  }
  return [...titles.values()].slice(0, 3);
}

export function createAnswerService(options: AnswerServiceOptions): AnswerService {
  const { config, store, embedder, writer, logger } = options;
  const retriever = createRetriever({ store, embedder, config });
  const router = options.intents || options.actions ? createMessageRouter({ store, embedder, ...(options.intents ? { intents: options.intents } : {}), ...(options.actions ? { actions: options.actions } : {}), ...(logger ? { logger } : {}) }) : undefined;
  const answerability = loadAnswerabilityModel(config.answer.answerabilityModel);
  const refuseBelow = config.answer.answerThreshold ?? answerability.threshold;
  const faqGate = loadFaqGateModel(config.answer.faqGateModel);
  if (config.answer.faqVerbatimAt !== undefined) faqGate.verbatimAt = config.answer.faqVerbatimAt;

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
    const base: { conversationId: string; query: string; language: AnswerResult['language']; suggestions: string[]; timings: typeof timings } = { conversationId, query, language, suggestions: [], timings };

    if (asksForPerson(question) && !request.retrieveOnly) {
      timings.totalMs = performance.now() - started;
      return { result: { ...base, answer: words.handoff, citations: [], outcome: 'handoff', confidence: 1, retrieved: [] }, pieces: [words.handoff] };
    }

    // An action under way (the history says kefu asked for a slot) or started by its pattern: no search needed.
    const early = router && !request.retrieveOnly ? await router.beforeRetrieval({ question, history, language, ...(live?.signal ? { signal: live.signal } : {}) }) : undefined;
    if (early) {
      if (early.kind === 'action' && early.language) base.language = early.language;
      const routed = routedAnswer(early, base.language, undefined);
      timings.totalMs = performance.now() - started;
      return { result: { ...base, ...routed, retrieved: [] }, pieces: [routed.answer] };
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

    const topCosine = retrieval.passages.slice(0, 3).reduce<number | undefined>((best, passage) => (passage.vectorScore === undefined ? best : Math.max(best ?? -1, passage.vectorScore)), undefined);
    const evidence: Evidence = { topCosine, coverage: 0, unknownShare: 0, unknownTerms: retrieval.unknownTerms, faqSimilarity: retrieval.faqMatches[0]?.similarity };

    const compositionStarted = performance.now();
    const finish = (partial: Omit<AnswerResult, keyof typeof base | 'retrieved'>, pieces: string[]): Run => {
      timings.compositionMs = performance.now() - compositionStarted;
      timings.totalMs = performance.now() - started;
      return { result: { ...base, ...partial, retrieved, evidence }, pieces };
    };

    const matches: FaqMatch[] = retrieval.faqMatches;
    const suggestionsFrom = (exclude?: string) =>
      matches.filter((match) => match.chunk.id !== exclude && match.similarity >= SUGGESTION_SIMILARITY).slice(0, 3).map((match) => match.chunk.questions.split('\n')[0] ?? '').filter(Boolean);

    if (request.retrieveOnly) return finish({ answer: '', citations: [], outcome: 'answered', confidence: 0 }, []);

    // The intent of the standalone query: it may route to an FAQ entry, a person or an action; it is named in the result.
    const routing = router ? await router.afterRetrieval({ question, query, ...(retrieval.queryVector ? { queryVector: retrieval.queryVector } : {}), language, ...(request.filters ? { filters: request.filters } : {}), ...(live?.signal ? { signal: live.signal } : {}) }) : {};
    if (routing.intent) Object.assign(base, { intent: routing.intent });
    if (routing.decision) {
      const routed = routedAnswer(routing.decision, language, routing.intent);
      return finish(routed, [routed.answer]);
    }

    // FAQ fast path: an unambiguous match to a curated question gets its curated answer, verbatim; an
    // uncertain one a "did you mean" with the closest questions as choices.
    const faqDecision = decideFaq({ model: faqGate, question: query, matches, corpus });
    const faqTop = matches[0];
    // A follow-up that names something the curated entry does not ("and for sale items?") is composed instead.
    const followUpNamesMore = followUp.followUp && faqTop !== undefined && focusCoverageOf({ text: faqTop.chunk.text, focusTerms: followUp.focusTerms, corpus }) < 1;
    evidence.faq = {
      probability: faqDecision.probability,
      ...(faqDecision.features ? { features: faqDecision.features } : {}),
      ...(faqTop ? { chunkId: faqTop.chunk.id, ...(faqTop.chunk.faqId ? { faqId: faqTop.chunk.faqId } : {}) } : {}),
    };
    const faqResult = (): Run | undefined => {
      if (followUpNamesMore) return undefined;
      if (faqDecision.kind === 'verbatim') {
        const top = faqDecision.match;
        // The curated answer, never opening with its own question; the source is named by the question and quotes the answer.
        const answer = faqAnswer(top.chunk);
        const citation: Citation = citationFor({ chunk: top.chunk, score: top.similarity }, 1, answer);
        base.suggestions = suggestionsFrom(top.chunk.id);
        const text = `${answer} [1]`;
        return finish({ answer: text, citations: [citation], outcome: 'faq', confidence: faqDecision.probability }, [text]);
      }
      if (faqDecision.kind === 'clarify') {
        base.suggestions = faqDecision.choices.map((match) => match.chunk.questions.split('\n')[0] ?? '').filter(Boolean);
        return finish({ answer: words.didYouMean, citations: [], outcome: 'clarify', confidence: faqDecision.probability }, [words.didYouMean]);
      }
      return undefined;
    };
    // Evaluation asks for every decision's evidence (to train the models), so it goes on to compose.
    if (faqDecision.kind !== 'none' && !request.evaluate && !followUpNamesMore) return faqResult() as Run;

    // A follow-up without a kind of its own ("and for sale items?") asks for the same kind as the question it follows.
    const previousQuestion = [...history].reverse().find((turn) => turn.role === 'user')?.text;
    const ownType = answerTypeOf(searchQuestion);
    const answerType = ownType === 'other' && followUp.followUp && previousQuestion ? answerTypeOf(previousQuestion) : ownType;
    const composeFrom = (passages: readonly Candidate[]) =>
      composeAnswer({
        question: searchQuestion,
        language,
        answerType,
        focusTerms: followUp.focusTerms,
        carriedTerms: followUp.carriedTerms,
        terms: retrieval.terms,
        ...(retrieval.queryVector ? { queryVector: retrieval.queryVector } : {}),
        passages,
        corpus,
        previousAnswers: history.filter((turn) => turn.role === 'assistant').map((turn) => turn.text),
        maxSentences: config.answer.maxSentences,
      });
    // Versions and sibling documents: the period or document the question names, else the newest version, else
    // an answer per document, labelled.
    const siblingPlan = planSiblings({ question: query, terms: retrieval.terms, passages: retrieval.passages, corpus });
    let composition: ComposedAnswer = composeFrom(siblingPlan.kind === 'single' ? siblingPlan.passages : retrieval.passages);
    if (siblingPlan.kind === 'per-document') {
      const parts = siblingPlan.groups.map((group) => ({ label: group.label, composed: composeFrom(group.passages) })).filter((part) => part.composed.markdown);
      if (parts.length >= 2) {
        const joined = joinLabelled(parts.map((part) => ({ label: part.label, ...part.composed })));
        const strongest = parts.reduce((best, part) => (part.composed.evidence.focusCoverage > best.composed.evidence.focusCoverage ? part : best));
        composition = { ...joined, evidence: strongest.composed.evidence };
      }
    }
    const features = answerabilityFeatures({ retrieval, composition: composition.evidence, focusTerms: followUp.focusTerms, carriedTerms: followUp.carriedTerms, languages: embedder.languages });
    const confidence = predictAnswerability(answerability, features);
    Object.assign(evidence, { coverage: composition.evidence.bestPassageCoverage, unknownShare: features.unknownShare, features, answerability: confidence });
    base.suggestions = suggestionsFrom();
    const decidedByFaq = faqResult();
    if (decidedByFaq) return decidedByFaq;

    if (confidence < refuseBelow || !composition.markdown) {
      // Say what is missing when the question names something the documents never mention.
      // Only for a question otherwise about the documents ("the Platinum plan"): naming the unknown words of a
      // question from another domain entirely would read oddly.
      const unknownFocus = followUp.focusTerms.filter((term) => !corpus.knows(term));
      const nearlyCovered = unknownFocus.length > 0 && unknownFocus.length <= 2 && unknownFocus.length < followUp.focusTerms.length;
      const missing = nearlyCovered ? missingFocusWords(searchQuestion, followUp.focusTerms, corpus) : [];
      const message = missing.length > 0 ? notFoundMessage({ language, missing, alternatives: nearbyTitles(retrieval, missing) }) : words.notFound;
      return finish({ answer: message, citations: [], outcome: 'refused', confidence }, [message]);
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
