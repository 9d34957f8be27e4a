/**
 * Runs every question of a dataset through an EvalTarget once per configuration (the ablation)
 * and scores it. Retrieval-only configurations are cheap; only the main configuration runs the
 * full answer path and gets answer and behaviour metrics. Questions are asked one after another
 * (or a few at a time with `concurrency`), each under every configuration in turn. Nothing is
 * shared between configurations (not even the query embedding), so each one's latency is its own.
 *
 * @example
 *   const report = await runEvaluation({ dataset, target, onProgress: ({ done, total }) => bar.update(done) });
 */
import type { AnswerResult, RetrievedPassage } from '../src/answer/types.ts';
import type { HeadingMatcher } from './headings.ts';
import { RANK_CUTOFF } from './metrics.ts';
import { answerScores, faqIdOfAnswer, scoreLevels } from './scoring.ts';
import type { EvalSplit } from './splits.ts';
import { summarise } from './summary.ts';
import type {
  ConfigurationAnswer, DatasetIssue, EvalConfiguration, EvalQuestion, EvalTarget, LoadedDataset, PassageSummary, QuestionRecord,
  RunReport,
} from './types.ts';

export { LEVEL_PREFIX, summarise } from './summary.ts';

/** The ablation: four retrieval-only variants side by side with the full default pipeline. */
export const DEFAULT_CONFIGURATIONS: EvalConfiguration[] = [
  { name: 'keyword', request: { retrievalMode: 'keyword', retrieveOnly: true }, main: false },
  { name: 'vector', request: { retrievalMode: 'vector', retrieveOnly: true }, main: false },
  { name: 'hybrid-rrf', request: { retrievalMode: 'hybrid', fusion: 'rrf', retrieveOnly: true }, main: false },
  { name: 'hybrid-weighted', request: { retrievalMode: 'hybrid', fusion: 'weighted', retrieveOnly: true }, main: false },
  // evaluate: every decision's evidence is computed and returned (the outcome is unchanged), so the
  // answerability and FAQ-gate models can be trained from --json runs (src/answer/training-rows.ts)
  { name: 'hybrid-adaptive', request: { retrievalMode: 'hybrid', fusion: 'adaptive', evaluate: true }, main: true },
];

export interface EvalProgress {
  done: number;
  total: number;
  configuration: string;
  questionId: string;
}

export interface RunEvaluationOptions {
  dataset: LoadedDataset;
  target: EvalTarget;
  configurations?: EvalConfiguration[];
  /** Passages asked for per question. */
  topK?: number;
  /** Issues found before the run (unreadable lines, gold not in the corpus), carried into the report. */
  issues?: DatasetIssue[];
  limit?: number;
  split?: EvalSplit;
  seed?: number;
  /** Milliseconds spent preparing the index, recorded in the report. */
  ingestMs?: number;
  /** Headings and page furniture of the corpus, for `headingShare`. */
  headings?: HeadingMatcher;
  /** Questions in flight at once (default 1). */
  concurrency?: number;
  onProgress?: (progress: EvalProgress) => void;
  /** Passage text kept per retrieved passage of the main configuration (for the drill-down). */
  maxPassageChars?: number;
}

type PassageWithFaq = RetrievedPassage & { faqId?: string };

function faqIdOf(passage: PassageWithFaq, dataset: LoadedDataset): string | undefined {
  if (passage.faqId !== undefined && passage.faqId !== '') return passage.faqId;
  if (passage.kind !== 'faq' || !dataset.faqIdByQuestion) return undefined;
  const firstLine = passage.text.split('\n', 1)[0]?.trim() ?? '';
  return dataset.faqIdByQuestion.get(firstLine);
}

function summarisePassages(result: AnswerResult, dataset: LoadedDataset, keepText: number | undefined): PassageSummary[] {
  return result.retrieved.map((passage: PassageWithFaq) => {
    const faqId = faqIdOf(passage, dataset);
    return {
      chunkId: passage.chunkId,
      docPath: passage.docPath,
      ...(passage.page === undefined || passage.page === 0 ? {} : { page: passage.page }),
      kind: passage.kind,
      score: passage.score,
      ...(faqId === undefined ? {} : { faqId }),
      ...(keepText === undefined ? {} : { text: passage.text.length > keepText ? `${passage.text.slice(0, keepText)}…` : passage.text }),
    };
  });
}

/** An error that makes every later question pointless (wrong token, no such route): the run stops. */
export function isFatal(error: unknown): boolean {
  return Boolean(error && typeof error === 'object' && 'fatal' in error && error.fatal === true);
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return `${error.code}: ${error instanceof Error ? error.message : ''}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}

/** Which configurations a question is asked under: retrieval-only variants skip questions without gold. */
function configurationsFor(question: EvalQuestion, configurations: EvalConfiguration[]): EvalConfiguration[] {
  return configurations.filter((configuration) => configuration.main || question.gold.length > 0);
}

function recordOf(question: EvalQuestion): QuestionRecord {
  return {
    id: question.id,
    question: question.question,
    ...(question.language === undefined ? {} : { language: question.language }),
    expected: question.expected,
    ...(question.offTopic ? { offTopic: true } : {}),
    ...(question.source === undefined ? {} : { source: question.source }),
    ...(question.hardNegativeOf === undefined ? {} : { hardNegativeOf: question.hardNegativeOf }),
    ...(question.group === undefined ? {} : { group: question.group }),
    gold: question.gold,
    references: question.references,
    keyPhrases: question.keyPhrases,
    results: {},
  };
}

async function askOne(options: RunEvaluationOptions, question: EvalQuestion, configuration: EvalConfiguration, topK: number): Promise<ConfigurationAnswer> {
  const { dataset, target } = options;
  let result: AnswerResult;
  try {
    result = await target.ask({
      question: question.question,
      ...(question.history ? { history: question.history } : {}),
      topK,
      ...configuration.request,
    });
  } catch (error) {
    if (isFatal(error)) throw error;
    return { error: errorText(error), retrieved: [], topDocuments: [], levels: {} };
  }
  const passages = summarisePassages(result, dataset, configuration.main ? (options.maxPassageChars ?? 1200) : undefined);
  const answer: ConfigurationAnswer = {
    retrieved: passages,
    topDocuments: [...new Set(passages.map((passage) => passage.docPath))].slice(0, 3),
    levels: scoreLevels(question, passages),
    timings: result.timings,
    confidence: result.confidence,
  };
  if (!configuration.main) return answer;
  answer.outcome = result.outcome;
  answer.answer = result.answer;
  answer.query = result.query;
  if (result.evidence !== undefined) answer.evidence = result.evidence;
  answer.citations = result.citations.map((citation) => ({
    docPath: citation.docPath,
    chunkId: citation.chunkId,
    ...(citation.page === undefined ? {} : { page: citation.page }),
  }));
  if (result.outcome === 'faq') {
    const faqId = faqIdOfAnswer(result, passages);
    if (faqId !== undefined) answer.faqId = faqId;
  }
  const scores = answerScores({ question, result, passages, ...(options.headings ? { headings: options.headings } : {}) });
  if (scores) answer.answerScores = scores;
  return answer;
}

/** Asks every question under every configuration and scores the answers. */
export async function runEvaluation(options: RunEvaluationOptions): Promise<RunReport> {
  const started = Date.now();
  const { dataset, target } = options;
  const configurations = options.configurations ?? DEFAULT_CONFIGURATIONS;
  const topK = options.topK ?? RANK_CUTOFF;
  const records = dataset.questions.map(recordOf);
  const total = dataset.questions.reduce((sum, question) => sum + configurationsFor(question, configurations).length, 0);
  let done = 0;
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < dataset.questions.length) {
      const index = next++;
      const question = dataset.questions[index];
      const record = records[index];
      if (!question || !record) continue;
      for (const configuration of configurationsFor(question, configurations)) {
        try {
          record.results[configuration.name] = await askOne(options, question, configuration, topK);
        } catch (error) {
          stopped = true;
          throw error;
        }
        done++;
        options.onProgress?.({ done, total, configuration: configuration.name, questionId: question.id });
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 1, dataset.questions.length));
  // wait for every worker before failing, so nothing is still asking when the caller closes the index
  const settled = await Promise.allSettled(Array.from({ length: workers }, worker));
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  const summary: Record<string, Record<string, number>> = {};
  for (const configuration of configurations) summary[configuration.name] = summarise(configuration, records);
  return {
    version: 1,
    dataset: dataset.name,
    target: target.description,
    createdAt: new Date().toISOString(),
    ...(options.split === undefined ? {} : { split: options.split }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(records.some((record) => record.offTopic) ? { offTopic: records.filter((record) => record.offTopic).length } : {}),
    ...(options.ingestMs === undefined ? {} : { ingestMs: Math.round(options.ingestMs) }),
    questionCount: records.length,
    configurations,
    summary,
    questions: records,
    issues: [...dataset.issues, ...(options.issues ?? [])],
    durationMs: Date.now() - started,
  };
}
