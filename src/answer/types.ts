/** The contract of `answer()`: used by the CLI, the server and the evaluation harness. */

export type Outcome = 'answered' | 'faq' | 'refused' | 'handoff';

export interface AnswerFilters {
  docPath?: string[];
  docType?: string[];
  category?: string[];
  language?: string[];
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
}

export interface Citation {
  /** 1-based number used in the answer text as [n]. */
  n: number;
  chunkId: string;
  docPath: string;
  title: string;
  /** 1-based page, or undefined when the format has none. */
  page?: number;
  headingPath: string;
  /** The passage sentence(s) the answer took from this source. */
  quote: string;
}

export interface RetrievedPassage {
  chunkId: string;
  docPath: string;
  title: string;
  page?: number;
  headingPath: string;
  kind: 'passage' | 'faq';
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
}

/** Pieces of a streamed answer, in order: deltas, then citations, then end. */
export type AnswerEvent =
  | { type: 'answer-delta'; text: string }
  | { type: 'citations'; citations: Citation[] }
  | { type: 'answer-end'; result: AnswerResult };
