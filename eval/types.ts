/** Shapes shared by the evaluation harness: datasets, targets, per-question results and run reports. */
import type { AnswerRequest, AnswerResult, Turn } from '../src/answer/types.ts';

/** What a dataset says should happen for a question. */
export type ExpectedOutcome = 'answer' | 'refuse' | 'handoff';

/**
 * One gold source. Any combination may be given; the finest one decides how retrieved passages
 * are ranked for that question (faq > chunk > page > document).
 */
export interface GoldSource {
  /** File name or path relative to the corpus folder, '/' separators. */
  document?: string;
  /** 1-based page (paged formats only). */
  page?: number;
  chunk?: string;
  /** FAQ entry id (the id column / field of the FAQ file). */
  faq?: string;
}

export interface EvalQuestion {
  id: string;
  question: string;
  history?: Turn[];
  language?: 'en' | 'zh' | 'other';
  gold: GoldSource[];
  /** Reference answers (several for span datasets such as CMRC 2018). */
  references: string[];
  /** Phrases a good answer contains. */
  keyPhrases: string[];
  expected: ExpectedOutcome;
  /** 1-based line in the dataset file, for messages. */
  line?: number;
}

/** A problem with the dataset itself (not with kefu): reported, and the question is not scored. */
export interface DatasetIssue {
  kind: 'parse' | 'gold';
  /** 1-based line in the file it came from. */
  line?: number;
  file?: string;
  questionId?: string;
  message: string;
}

export interface LoadedDataset {
  name: string;
  /** Folder name under `<data dir>/eval` for its corpus and index, when it differs from `name`. */
  cacheKey?: string;
  /** The folder ingested into the evaluation index. */
  corpusDir: string;
  questions: EvalQuestion[];
  issues: DatasetIssue[];
  /**
   * FAQ question text → FAQ entry id, used to recognise FAQ passages when the answer service does
   * not report `faqId` on a passage.
   */
  faqIdByQuestion?: Map<string, string>;
}

/** Anything that answers questions: the local AnswerService, or a running server over HTTP. */
export interface EvalTarget {
  readonly description: string;
  ask(request: AnswerRequest): Promise<AnswerResult>;
}

/** One configuration of an ablation run. */
export interface EvalConfiguration {
  name: string;
  request: Pick<AnswerRequest, 'retrievalMode' | 'fusion' | 'retrieveOnly'>;
  /** The full answer path (answers, behaviour metrics) runs only for the main configuration. */
  main: boolean;
}

/** A source key at one granularity, e.g. "handbook.pdf#page=3" or "faq:12". */
export interface RankedSource {
  key: string;
  docPath: string;
  page?: number;
  /** Relevant (matched an unmatched gold source) at strict / tolerant / document level. */
  relevant: boolean;
}

export interface PassageSummary {
  chunkId: string;
  docPath: string;
  page?: number;
  kind: 'passage' | 'faq';
  score: number;
  faqId?: string;
  /** Passage text, kept for the main configuration only (drill-down). */
  text?: string;
}

/** Per-question retrieval figures at one matching level. */
export interface LevelScores {
  /** 1-based rank of the first relevant source among distinct sources, or null when none in the top 10. */
  firstRank: number | null;
  reciprocalRank: number;
  ndcg: number;
  recall: Record<string, number>;
}

export interface ConfigurationAnswer {
  error?: string;
  outcome?: AnswerResult['outcome'];
  confidence?: number;
  answer?: string;
  citations?: Array<{ docPath: string; page?: number; chunkId: string }>;
  retrieved: PassageSummary[];
  /** Documents of the first three distinct retrieved sources: shows which of near-identical documents was hit. */
  topDocuments: string[];
  /** Scores keyed by level: 'strict', 'tolerant' (page ±1), 'document'. */
  levels: Record<string, LevelScores>;
  answerScores?: {
    keyPhraseCoverage?: number;
    rougeL?: number;
    tokenF1?: number;
    citationPrecision?: number;
    groundedness?: number;
  };
  timings?: { retrievalMs: number; compositionMs: number; totalMs: number };
}

export interface QuestionRecord {
  id: string;
  question: string;
  expected: ExpectedOutcome;
  gold: GoldSource[];
  references: string[];
  keyPhrases: string[];
  results: Record<string, ConfigurationAnswer>;
}

/** A whole run: what `--json` writes and `--compare` reads. */
export interface RunReport {
  version: 1;
  dataset: string;
  target: string;
  createdAt: string;
  limit?: number;
  questionCount: number;
  configurations: EvalConfiguration[];
  /** Metric name → value, per configuration. */
  summary: Record<string, Record<string, number>>;
  questions: QuestionRecord[];
  issues: DatasetIssue[];
  durationMs: number;
}
