/**
 * Aggregates per-question results of one configuration into named metrics (see eval/README.md for
 * each one). Off-topic questions (`--off-topic`) are scored apart from the dataset's own questions,
 * so `refusalRecall`, `falseRefusalRate` and the answer measures mean the same with or without them.
 *
 * @example
 *   const metrics = summarise(configuration, records); // { 'hit@1': 0.62, refusalRecall: 0.8, … }
 */
import { goldMatches, HIT_KS, hitAtK, mean, percentile, RANK_CUTOFF } from './metrics.ts';
import { answered } from './scoring.ts';
import type { AnswerScores, ConfigurationAnswer, EvalConfiguration, PassageSummary, QuestionRecord } from './types.ts';

/** Level name → prefix of its metric names. */
export const LEVEL_PREFIX: Record<string, string> = { strict: '', tolerant: 'tol.', document: 'doc.' };

/** Answer measures averaged over answerable questions that were answered: summary name → per-question field. */
const ANSWER_MEASURES: ReadonlyArray<readonly [string, keyof AnswerScores]> = [
  ['keyPhraseCoverage', 'keyPhraseCoverage'],
  ['rougeL', 'rougeL'],
  ['tokenF1', 'tokenF1'],
  ['referenceContained', 'referenceContained'],
  ['citationPrecision', 'citationPrecision'],
  ['groundedness', 'groundedness'],
  ['answerChars', 'answerChars'],
  ['headingShare', 'heading'],
  ['repeatedSentenceShare', 'repeatedSentence'],
  ['usedRightPassage', 'usedRightPassage'],
];

function declined(outcome: string | undefined): boolean {
  return outcome === 'refused' || outcome === 'handoff';
}

/**
 * For a question the documents do not answer, anything but an answer is right: a refusal, a hand-over,
 * or "did you mean…?" (clarify), which shows FAQ questions instead of a wrong answer.
 */
function notAnswered(outcome: string | undefined): boolean {
  return outcome !== undefined && !answered(outcome);
}

interface Entry {
  record: QuestionRecord;
  result: ConfigurationAnswer;
}

/** The retrieved passage a fast-path answer came from: the cited one, else the first. */
function faqPassageOf(result: ConfigurationAnswer): PassageSummary | undefined {
  const cited = result.citations?.[0];
  return result.retrieved.find((candidate) => candidate.chunkId === cited?.chunkId) ?? result.retrieved[0];
}

function faqAnswerIsGold({ record, result }: Entry): number {
  const passage = faqPassageOf(result);
  return passage && record.gold.some((gold) => goldMatches(gold, passage)) ? 1 : 0;
}

function behaviour(summary: Record<string, number>, entries: Entry[]): void {
  const own = entries.filter(({ record, result }) => !record.offTopic && !result.error);
  const answerable = own.filter(({ record }) => record.expected === 'answer');
  const unanswerable = own.filter(({ record }) => record.expected !== 'answer');
  if (unanswerable.length > 0) summary.refusalRecall = mean(unanswerable.map(({ result }) => (notAnswered(result.outcome) ? 1 : 0)));
  if (answerable.length > 0) {
    summary.falseRefusalRate = mean(answerable.map(({ result }) => (declined(result.outcome) ? 1 : 0)));
    summary.clarifyRate = mean(answerable.map(({ result }) => (result.outcome === 'clarify' ? 1 : 0)));
    summary.answeredRate = mean(answerable.map(({ result }) => (answered(result.outcome) ? 1 : 0)));
  }

  const offTopic = entries.filter(({ record, result }) => record.offTopic && !result.error);
  if (offTopic.length > 0) {
    summary.offTopicQuestions = offTopic.length;
    summary.offTopicRefusal = mean(offTopic.map(({ result }) => (notAnswered(result.outcome) ? 1 : 0)));
    for (const language of ['en', 'zh']) {
      const group = offTopic.filter(({ record }) => record.language === language);
      if (group.length > 0) summary[`offTopicRefusal.${language}`] = mean(group.map(({ result }) => (notAnswered(result.outcome) ? 1 : 0)));
    }
    summary.offTopicFaqAnswers = offTopic.filter(({ result }) => result.outcome === 'faq').length;
  }

  // FAQ fast path: precision over the dataset's answerable questions; the whole-run figure counts
  // verbatim answers to unanswerable and off-topic questions as wrong too.
  const faq = answerable.filter(({ result }) => result.outcome === 'faq');
  summary.faqAnswers = faq.length;
  if (faq.length > 0) summary.faqPrecision = mean(faq.map(faqAnswerIsGold));
  const everyFaq = entries.filter(({ result }) => !result.error && result.outcome === 'faq');
  if (everyFaq.length > 0) summary.faqPrecisionAll = mean(everyFaq.map(faqAnswerIsGold));

  const hardNegatives = own.filter(({ record }) => record.hardNegativeOf !== undefined);
  if (hardNegatives.length > 0) {
    summary.hardNegatives = hardNegatives.length;
    summary.hardNegativeVerbatim = mean(hardNegatives.map(({ record, result }) => {
      const faqId = result.outcome === 'faq' ? (result.faqId ?? faqPassageOf(result)?.faqId) : undefined;
      return faqId !== undefined && faqId === record.hardNegativeOf ? 1 : 0;
    }));
  }

  const answeredAnswerable = answerable.filter(({ result }) => answered(result.outcome));
  for (const [metric, field] of ANSWER_MEASURES) {
    const values = answeredAnswerable.flatMap(({ result }) => {
      const value = result.answerScores?.[field];
      return typeof value === 'number' ? [value] : [];
    });
    if (values.length > 0) summary[metric] = mean(values);
  }
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
  if (configuration.main) behaviour(summary, entries);
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
