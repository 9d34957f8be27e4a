/**
 * Runs every question of a dataset through an EvalTarget once per configuration (the ablation)
 * and scores it. Retrieval-only configurations are cheap; only the main configuration runs the
 * full answer path and gets answer and behaviour metrics.
 *
 * @example
 *   const report = await runEvaluation({ dataset, target, onProgress: ({ done, total }) => bar.update(done) });
 */
import type { AnswerResult, RetrievedPassage } from '../src/answer/types.ts';
import {
  HIT_KS, RANK_CUTOFF, goldAtLevel, goldMatches, granularityOf, groundedness, hitAtK, keyPhraseCoverage, mean,
  percentile, rankSources, rougeL, tokenF1, type MatchablePassage,
} from './metrics.ts';
import type {
  ConfigurationAnswer, DatasetIssue, EvalConfiguration, EvalQuestion, EvalTarget, LevelScores, LoadedDataset,
  PassageSummary, QuestionRecord, RunReport,
} from './types.ts';

/** The ablation: four retrieval-only variants side by side with the full default pipeline. */
export const DEFAULT_CONFIGURATIONS: EvalConfiguration[] = [
  { name: 'keyword', request: { retrievalMode: 'keyword', retrieveOnly: true }, main: false },
  { name: 'vector', request: { retrievalMode: 'vector', retrieveOnly: true }, main: false },
  { name: 'hybrid-rrf', request: { retrievalMode: 'hybrid', fusion: 'rrf', retrieveOnly: true }, main: false },
  { name: 'hybrid-weighted', request: { retrievalMode: 'hybrid', fusion: 'weighted', retrieveOnly: true }, main: false },
  { name: 'hybrid-adaptive', request: { retrievalMode: 'hybrid', fusion: 'adaptive' }, main: true },
];

/** Level name → prefix of its metric names. */
export const LEVEL_PREFIX: Record<string, string> = { strict: '', tolerant: 'tol.', document: 'doc.' };

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
  onProgress?: (progress: EvalProgress) => void;
  /** Passage text kept per retrieved passage of the main configuration (for the drill-down). */
  maxPassageChars?: number;
}

type PassageWithFaq = RetrievedPassage & { faqId?: string };

function faqIdOf(passage: PassageWithFaq, dataset: LoadedDataset): string | undefined {
  if (passage.faqId !== undefined) return passage.faqId;
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

function scoreLevels(question: EvalQuestion, passages: MatchablePassage[]): Record<string, LevelScores> {
  if (question.gold.length === 0) return {};
  const granularity = granularityOf(question.gold);
  const levels: Record<string, LevelScores> = { strict: rankSources({ passages, gold: question.gold }).scores };
  if (granularity === 'page') levels.tolerant = rankSources({ passages, gold: question.gold, tolerance: 1 }).scores;
  const documentGold = goldAtLevel(question.gold, 'document');
  if (granularity !== 'document' && documentGold.length > 0) {
    levels.document = rankSources({ passages, gold: documentGold, granularity: 'document' }).scores;
  }
  return levels;
}

function answerScores(question: EvalQuestion, result: AnswerResult, passages: PassageSummary[]): ConfigurationAnswer['answerScores'] {
  if (result.outcome !== 'answered' && result.outcome !== 'faq') return undefined;
  const scores: NonNullable<ConfigurationAnswer['answerScores']> = {};
  const coverage = keyPhraseCoverage(result.answer, question.keyPhrases);
  if (coverage !== undefined) scores.keyPhraseCoverage = coverage;
  if (question.references.length > 0) {
    scores.rougeL = rougeL(result.answer, question.references);
    scores.tokenF1 = tokenF1(result.answer, question.references);
  }
  if (question.gold.length > 0 && result.citations.length > 0) {
    const byChunk = new Map(passages.map((passage) => [passage.chunkId, passage]));
    const correct = result.citations.filter((citation) => {
      const cited: MatchablePassage = {
        chunkId: citation.chunkId,
        docPath: citation.docPath,
        ...(citation.page === undefined ? {} : { page: citation.page }),
        ...(byChunk.get(citation.chunkId)?.faqId === undefined ? {} : { faqId: byChunk.get(citation.chunkId)?.faqId }),
      };
      return question.gold.some((gold) => goldMatches(gold, cited, 1));
    });
    scores.citationPrecision = correct.length / result.citations.length;
  }
  const grounded = groundedness(result.answer, result.retrieved.map((passage) => passage.text));
  if (grounded !== undefined) scores.groundedness = grounded;
  return scores;
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return `${error.code}: ${error instanceof Error ? error.message : ''}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}

/** Which questions a configuration is asked: retrieval-only variants skip questions without gold. */
function questionsFor(configuration: EvalConfiguration, questions: EvalQuestion[]): EvalQuestion[] {
  return configuration.main ? questions : questions.filter((question) => question.gold.length > 0);
}

/** Aggregates per-question results of one configuration into named metrics. */
export function summarise(configuration: EvalConfiguration, records: QuestionRecord[]): Record<string, number> {
  const entries = records.flatMap((record) => {
    const result = record.results[configuration.name];
    return result ? [{ record, result }] : [];
  });
  const summary: Record<string, number> = { questions: entries.length, errors: entries.filter(({ result }) => result.error).length };
  for (const level of ['strict', 'tolerant', 'document']) {
    const scored = entries.flatMap(({ result }) => (result.levels[level] ? [result.levels[level]] : []));
    if (scored.length === 0) continue;
    const prefix = LEVEL_PREFIX[level] ?? '';
    if (level === 'strict') summary.scored = scored.length;
    for (const k of HIT_KS) summary[`${prefix}hit@${k}`] = mean(scored.map((scores) => hitAtK(scores.firstRank, k)));
    summary[`${prefix}mrr@${RANK_CUTOFF}`] = mean(scored.map((scores) => scores.reciprocalRank));
    summary[`${prefix}ndcg@${RANK_CUTOFF}`] = mean(scored.map((scores) => scores.ndcg));
    for (const k of [5, 10]) summary[`${prefix}recall@${k}`] = mean(scored.map((scores) => scores.recall[String(k)] ?? 0));
  }
  if (configuration.main) {
    const answerable = entries.filter(({ record, result }) => record.expected === 'answer' && !result.error);
    const unanswerable = entries.filter(({ record, result }) => record.expected !== 'answer' && !result.error);
    const declined = (outcome: string | undefined) => outcome === 'refused' || outcome === 'handoff';
    if (unanswerable.length > 0) summary.refusalRecall = mean(unanswerable.map(({ result }) => (declined(result.outcome) ? 1 : 0)));
    if (answerable.length > 0) {
      summary.falseRefusalRate = mean(answerable.map(({ result }) => (declined(result.outcome) ? 1 : 0)));
      summary.answeredRate = mean(answerable.map(({ result }) => (declined(result.outcome) ? 0 : 1)));
    }
    const faq = entries.filter(({ result }) => result.outcome === 'faq');
    summary.faqAnswers = faq.length;
    if (faq.length > 0) {
      summary.faqPrecision = mean(faq.map(({ record, result }) => {
        const cited = result.citations?.[0];
        const passage = result.retrieved.find((candidate) => candidate.chunkId === cited?.chunkId) ?? result.retrieved[0];
        return passage && record.gold.some((gold) => goldMatches(gold, passage)) ? 1 : 0;
      }));
    }
    for (const metric of ['keyPhraseCoverage', 'rougeL', 'tokenF1', 'citationPrecision', 'groundedness'] as const) {
      const values = answerable.flatMap(({ result }) => {
        const value = result.answerScores?.[metric];
        return value === undefined ? [] : [value];
      });
      if (values.length > 0) summary[metric] = mean(values);
    }
  }
  const timed = entries.flatMap(({ result }) => (result.timings ? [result.timings] : []));
  if (timed.length > 0) {
    const stages = [
      ['retrieval', (timings: { retrievalMs: number }) => timings.retrievalMs],
      // retrieval-only configurations compose nothing: a 0 ms composition would only look like a win
      ...(configuration.main ? [['composition', (timings: { compositionMs: number }) => timings.compositionMs] as const] : []),
      ['total', (timings: { totalMs: number }) => timings.totalMs],
    ] as const;
    for (const [stage, pick] of stages) {
      const values = timed.map((timings) => pick(timings));
      summary[`latency.${stage}.p50`] = percentile(values, 50);
      summary[`latency.${stage}.p95`] = percentile(values, 95);
    }
  }
  return summary;
}

/** Asks every question under every configuration and scores the answers. */
export async function runEvaluation(options: RunEvaluationOptions): Promise<RunReport> {
  const started = Date.now();
  const { dataset, target } = options;
  const configurations = options.configurations ?? DEFAULT_CONFIGURATIONS;
  const topK = options.topK ?? RANK_CUTOFF;
  const records: QuestionRecord[] = dataset.questions.map((question) => ({
    id: question.id,
    question: question.question,
    expected: question.expected,
    gold: question.gold,
    references: question.references,
    keyPhrases: question.keyPhrases,
    results: {},
  }));
  const recordById = new Map(records.map((record) => [record.id, record]));
  const total = configurations.reduce((sum, configuration) => sum + questionsFor(configuration, dataset.questions).length, 0);
  let done = 0;
  for (const configuration of configurations) {
    for (const question of questionsFor(configuration, dataset.questions)) {
      const record = recordById.get(question.id);
      if (!record) continue;
      let answer: ConfigurationAnswer;
      try {
        const result = await target.ask({
          question: question.question,
          ...(question.history ? { history: question.history } : {}),
          topK,
          ...configuration.request,
        });
        const passages = summarisePassages(result, dataset, configuration.main ? (options.maxPassageChars ?? 1200) : undefined);
        const distinctDocuments = [...new Set(passages.map((passage) => passage.docPath))];
        answer = {
          retrieved: passages,
          topDocuments: distinctDocuments.slice(0, 3),
          levels: scoreLevels(question, passages),
          timings: result.timings,
          confidence: result.confidence,
        };
        if (configuration.main) {
          answer.outcome = result.outcome;
          answer.answer = result.answer;
          answer.citations = result.citations.map((citation) => ({
            docPath: citation.docPath,
            chunkId: citation.chunkId,
            ...(citation.page === undefined ? {} : { page: citation.page }),
          }));
          const scores = answerScores(question, result, passages);
          if (scores) answer.answerScores = scores;
        }
      } catch (error) {
        answer = { error: errorText(error), retrieved: [], topDocuments: [], levels: {} };
      }
      record.results[configuration.name] = answer;
      done++;
      options.onProgress?.({ done, total, configuration: configuration.name, questionId: question.id });
    }
  }
  const summary: Record<string, Record<string, number>> = {};
  for (const configuration of configurations) summary[configuration.name] = summarise(configuration, records);
  return {
    version: 1,
    dataset: dataset.name,
    target: target.description,
    createdAt: new Date().toISOString(),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    questionCount: records.length,
    configurations,
    summary,
    questions: records,
    issues: [...dataset.issues, ...(options.issues ?? [])],
    durationMs: Date.now() - started,
  };
}
