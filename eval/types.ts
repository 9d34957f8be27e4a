/** Shapes shared by the evaluation harness: datasets, targets, per-question results and run reports. */
import type { AnswerRequest, AnswerResult, Evidence, Turn } from '../src/answer/types.ts';
import type { EvalSplit } from './splits.ts';

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
  /**
   * Questions of one group always fall in the same dev/test half (a thread, a paragraph, a gold
   * page, a follow-up and its first turn). Default: the question's own id (see eval/splits.ts).
   */
  group?: string;
  /** Drawn from another public dataset by `--off-topic`: unanswerable here by construction. */
  offTopic?: boolean;
  /** Where an off-topic question came from (e.g. "clinc150", "lcqmc"). */
  source?: string;
  /**
   * The FAQ entry this question must NOT be answered with verbatim: the other side of a label-0 pair
   * (similar wording, different meaning), e.g. LCQMC. The name src/answer/training-rows.ts reads.
   */
  hardNegativeOf?: string;
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
  /**
   * Set when the adapter already chose the half itself (LCQMC ships its own dev.txt / test.txt);
   * otherwise questions are split by group after loading.
   */
  splitApplied?: EvalSplit;
  /** Set when the adapter already applied `--limit` (LCQMC samples pairs, not questions). */
  limitApplied?: { sampled: number; of: number; unit: string };
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
  request: Pick<AnswerRequest, 'retrievalMode' | 'fusion' | 'retrieveOnly' | 'evaluate'>;
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

/** Per-question answer measures of the main configuration (answered questions only); see eval/README.md. */
export interface AnswerScores {
  keyPhraseCoverage?: number;
  rougeL?: number;
  tokenF1?: number;
  citationPrecision?: number;
  groundedness?: number;
  /** Characters of the answer's plain text (Markdown and [n] markers removed). */
  answerChars?: number;
  /** 1 when the answer contains a reference answer after normalisation. */
  referenceContained?: number;
  /** 1 when the answer carries a heading or running page header as a sentence. */
  heading?: number;
  /** The heading or page furniture found, for the drill-down. */
  headingText?: string;
  /** 1 when the answer says the same sentence twice. */
  repeatedSentence?: number;
  /** Gold was retrieved (±1 page): 1 when the answer quotes a gold passage. Absent when gold was not retrieved. */
  usedRightPassage?: number;
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
  /** What the confidence was computed from, as the answer service reported it (main configuration). */
  evidence?: Evidence;
  /** The standalone query the service searched (main configuration; differs for follow-ups). */
  query?: string;
  /** FAQ entry of a fast-path answer (outcome `faq`). */
  faqId?: string;
  answerScores?: AnswerScores;
  timings?: { retrievalMs: number; compositionMs: number; totalMs: number };
}

export interface QuestionRecord {
  id: string;
  question: string;
  language?: 'en' | 'zh' | 'other';
  expected: ExpectedOutcome;
  offTopic?: boolean;
  source?: string;
  hardNegativeOf?: string;
  group?: string;
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
  /** Which half was asked (eval/splits.ts) and the seed of the split and of `--limit`. */
  split?: EvalSplit;
  seed?: number;
  limit?: number;
  /** Off-topic questions added with `--off-topic`. */
  offTopic?: number;
  /** Milliseconds spent bringing the evaluation index up to date before asking (small when it was reused). */
  ingestMs?: number;
  questionCount: number;
  configurations: EvalConfiguration[];
  /** Metric name → value, per configuration. */
  summary: Record<string, Record<string, number>>;
  questions: QuestionRecord[];
  issues: DatasetIssue[];
  durationMs: number;
}
