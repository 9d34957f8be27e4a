/** The contract of `answer()`: used by the CLI, the server and the evaluation harness. */
import type { AnswerabilityFeatures } from './answerability.ts';
import type { FaqFeatures } from './faq-gate.ts';
import type { Citation } from '../schemas/citation.ts';

/**
 * answered: composed from passages; faq: a curated answer verbatim; clarify: "did you mean…" with the
 * closest FAQ questions as `suggestions`; refused: the documents do not answer it; handoff: a person was asked for.
 */
export type Outcome = 'answered' | 'faq' | 'clarify' | 'refused' | 'handoff';

export interface AnswerFilters {
  docPath?: string[];
  docType?: string[];
  category?: string[];
  language?: string[];
  /** Documents never to search or quote (internal documents when a customer asks; a release's other arm). */
  excludeDocPath?: string[];
}

export interface Turn {
  role: 'user' | 'assistant';
  text: string;
}

export interface AnswerRequest {
  question: string;
  /** Keeps the turns of a conversation for follow-ups; a new one is made when absent. */
  conversationId?: string;
  /** Previous turns supplied by the caller (evaluation datasets), used instead of the stored ones. */
  history?: Turn[];
  filters?: AnswerFilters;
  /** Evaluation ablations: which retrieval to use. Default 'hybrid'. */
  retrievalMode?: 'hybrid' | 'keyword' | 'vector';
  /** Evaluation ablations: how hybrid results are fused. Default from config (KEFU_FUSION). */
  fusion?: 'adaptive' | 'weighted' | 'rrf';
  /** How many passages to return in `retrieved` (evaluation asks for 10). Default from config. */
  topK?: number;
  /** Skip the FAQ fast path and the answer composition (retrieval-only evaluation). */
  retrieveOnly?: boolean;
  /**
   * Evaluation: compute every decision's evidence (answerability features even when the FAQ fast path
   * answered), so the models can be trained from eval runs. The outcome is unchanged.
   */
  evaluate?: boolean;
}

/** The one function everything calls, plus its streaming form. */
export interface AnswerService {
  /** Loads what answering needs from the index (corpus statistics, FAQ questions) so the first customer does not wait for it. */
  prepare(): Promise<void>;
  answer(request: AnswerRequest): Promise<AnswerResult>;
  /** Yields answer-delta pieces (sentence by sentence, or LLM token deltas), then citations, then answer-end. */
  stream(request: AnswerRequest, options?: { signal?: AbortSignal }): AsyncGenerator<AnswerEvent>;
}

/** A source of an answer: the one schema shared with the records and the HTTP API (src/schemas/citation.ts). */
export type { Citation };

export interface RetrievedPassage {
  chunkId: string;
  docPath: string;
  title: string;
  page?: number;
  headingPath: string;
  kind: 'passage' | 'faq';
  /** FAQ entry id, for FAQ passages. */
  faqId?: string;
  text: string;
  score: number;
  keywordScore?: number;
  vectorScore?: number;
}

export interface AnswerResult {
  answer: string;
  citations: Citation[];
  outcome: Outcome;
  /** 0..1: how well the evidence supports the answer. */
  confidence: number;
  /** The standalone query actually searched (rewritten for follow-ups). */
  query: string;
  conversationId: string;
  language: 'en' | 'zh' | 'other';
  retrieved: RetrievedPassage[];
  /** Suggested related questions (FAQ questions near this one). */
  suggestions: string[];
  timings: { retrievalMs: number; compositionMs: number; totalMs: number };
  /** What the confidence was computed from (for evaluation drill-downs and calibration). */
  evidence?: Evidence;
  /** The intent the message was recognised as (only with an intents file, and only when one was recognised). */
  intent?: IntentInfo;
  /** The business action this answer is a turn of (asked for a slot, answered from the system, or failed). */
  action?: ActionInfo;
  /**
   * Set with outcome `handoff` when routing (not the customer's words) asks for people: an intent routed to a
   * person, or an action whose system failed. The chat route opens the ticket with it; never shown to customers.
   */
  handoffRequest?: HandoffRequest;
}

export interface IntentInfo {
  name: string;
  /** 0..1: the classifier's confidence (compared with its learned threshold). */
  confidence: number;
  /** Where the intent routes, as written in the intents file (`action:order-status`, `person:high`, `retrieval`). */
  route: string;
}

export interface ActionInfo {
  name: string;
  /** asked: a slot was missing and kefu asked for it; answered / not-found: the system answered; failed: it did not. */
  status: 'asked' | 'answered' | 'not-found' | 'failed';
  /** The slot asked for. */
  slot?: string;
}

export interface HandoffRequest {
  reason: 'intent';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  /** For the agents: the intent, or the action, why it failed and the slots the customer gave. */
  note: string;
}

export interface Evidence {
  /** Best cosine similarity among the top passages (absent in keyword-only retrieval). */
  topCosine?: number;
  /** IDF-weighted share of the question's words found in the best passage. */
  coverage: number;
  /** IDF-weighted share of the question's words that never occur in the documents. */
  unknownShare: number;
  unknownTerms: string[];
  /** Similarity of the closest FAQ question. */
  faqSimilarity?: number;
  /** The answerability model's inputs (see answerability.ts): what training and calibration read from eval runs. */
  features?: AnswerabilityFeatures;
  /** The answerability model's probability that the documents answer the question. */
  answerability?: number;
  /** The FAQ gate's probability that the closest FAQ entry is the right one, and its inputs. */
  faq?: { probability: number; features?: FaqFeatures; chunkId?: string; faqId?: string };
}

/** Pieces of a streamed answer, in order: deltas, then citations, then end. */
export type AnswerEvent =
  | { type: 'answer-delta'; text: string }
  | { type: 'citations'; citations: Citation[] }
  | { type: 'answer-end'; result: AnswerResult };
