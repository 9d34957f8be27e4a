/**
 * `kefu eval --compare old.json new.json`: metric deltas per configuration and, question by
 * question, what improved and what regressed (rank of the first gold source, outcome).
 *
 * @example
 *   console.log(renderComparison(compareReports(oldReport, newReport)));
 */
import { KefuError } from '../src/errors/index.ts';
import { lowerIsBetter } from './metrics.ts';
import { formatMetric, metricNames } from './report-text.ts';
import type { ConfigurationAnswer, ExpectedOutcome, RunReport } from './types.ts';

export interface MetricDelta {
  configuration: string;
  metric: string;
  before: number | undefined;
  after: number | undefined;
  delta: number;
  /** true when the change is an improvement, false when a regression, undefined when unchanged or not comparable. */
  improved: boolean | undefined;
}

export interface QuestionChange {
  id: string;
  question: string;
  configuration: string;
  change: string;
}

export interface Comparison {
  dataset: string;
  before: string;
  after: string;
  metrics: MetricDelta[];
  improved: QuestionChange[];
  regressed: QuestionChange[];
  onlyBefore: number;
  onlyAfter: number;
}

/** Validates that a parsed JSON value is a run report written by `kefu eval --json`. */
export function asRunReport(value: unknown, file: string): RunReport {
  const report = value as Partial<RunReport> | null;
  if (!report || report.version !== 1 || !Array.isArray(report.questions) || !report.summary || !Array.isArray(report.configurations)) {
    throw new KefuError('DATASET_INVALID', { detail: `${file} is not a report written by kefu eval --json`, hint: 'Compare two files written by `kefu eval --json` (or eval/reports/*.json).' });
  }
  return report as RunReport;
}

function correct(expected: ExpectedOutcome, outcome: string | undefined): boolean | undefined {
  if (outcome === undefined) return undefined;
  const answered = outcome === 'answered' || outcome === 'faq';
  return expected === 'answer' ? answered : !answered;
}

function rankOf(result: ConfigurationAnswer, level: string): number | undefined {
  const scores = result.levels[level];
  if (!scores) return undefined;
  return scores.firstRank ?? Number.POSITIVE_INFINITY;
}

function showRank(rank: number): string {
  return Number.isFinite(rank) ? String(rank) : 'miss';
}

/** Per metric deltas and per question changes between two runs of the same dataset. */
export function compareReports(before: RunReport, after: RunReport): Comparison {
  const metrics: MetricDelta[] = [];
  const configurations = after.configurations.map((configuration) => configuration.name).filter((name) => before.summary[name]);
  for (const configuration of configurations) {
    for (const metric of metricNames(after)) {
      const old = before.summary[configuration]?.[metric];
      const current = after.summary[configuration]?.[metric];
      if (old === undefined && current === undefined) continue;
      const delta = (current ?? 0) - (old ?? 0);
      // Below half of the last printed digit a change is rounding; latency jitters, so only ±20 % counts.
      const noise = metric.startsWith('latency.') ? Math.max(0.5, 0.2 * Math.abs(old ?? 0)) : 0.0005;
      const meaningful = old !== undefined && current !== undefined && Math.abs(delta) >= noise && !['questions', 'scored'].includes(metric);
      const better = lowerIsBetter(metric) ? delta < 0 : delta > 0;
      metrics.push({ configuration, metric, before: old, after: current, delta, improved: meaningful ? better : undefined });
    }
  }
  const improved: QuestionChange[] = [];
  const regressed: QuestionChange[] = [];
  const beforeById = new Map(before.questions.map((record) => [record.id, record]));
  const afterIds = new Set(after.questions.map((record) => record.id));
  for (const record of after.questions) {
    const old = beforeById.get(record.id);
    if (!old) continue;
    for (const configuration of configurations) {
      const previous = old.results[configuration];
      const current = record.results[configuration];
      if (!previous || !current) continue;
      const push = (better: boolean, change: string) => (better ? improved : regressed).push({ id: record.id, question: record.question, configuration, change });
      if (previous.error === undefined && current.error !== undefined) push(false, `now fails: ${current.error}`);
      if (previous.error !== undefined && current.error === undefined) push(true, 'no longer fails');
      for (const level of ['strict', 'tolerant', 'document']) {
        const oldRank = rankOf(previous, level);
        const newRank = rankOf(current, level);
        if (oldRank === undefined || newRank === undefined || oldRank === newRank) continue;
        const label = level === 'strict' ? 'rank' : level === 'tolerant' ? 'rank ±1' : 'document rank';
        push(newRank < oldRank, `${label} ${showRank(oldRank)} → ${showRank(newRank)}`);
        // the strict change usually explains the others; one line per question and configuration is enough
        break;
      }
      const wasCorrect = correct(record.expected, previous.outcome);
      const isCorrect = correct(record.expected, current.outcome);
      if (wasCorrect !== undefined && isCorrect !== undefined && wasCorrect !== isCorrect) {
        push(isCorrect, `outcome ${previous.outcome} → ${current.outcome} (expected ${record.expected})`);
      }
    }
  }
  return {
    dataset: after.dataset,
    before: before.createdAt,
    after: after.createdAt,
    metrics,
    improved,
    regressed,
    onlyBefore: before.questions.filter((record) => !afterIds.has(record.id)).length,
    onlyAfter: after.questions.filter((record) => !beforeById.has(record.id)).length,
  };
}

function signed(metric: string, delta: number): string {
  const text = formatMetric(metric, Math.abs(delta));
  return `${delta >= 0 ? '+' : '−'}${text}`;
}

/** Human-readable comparison: changed metrics, then improved and regressed questions. */
export function renderComparison(comparison: Comparison, options: { maxQuestions?: number } = {}): string {
  const maxQuestions = options.maxQuestions ?? 200;
  const lines = [`${comparison.dataset}: ${comparison.before} → ${comparison.after}`, ''];
  if (comparison.onlyBefore || comparison.onlyAfter) {
    lines.push('Note: the two runs asked different questions (a --limit subset?), so their metrics are not directly comparable.', '');
  }
  const changed = comparison.metrics.filter((entry) => entry.improved !== undefined);
  if (changed.length === 0) lines.push('No metric changed.');
  else {
    lines.push('Metrics that changed:');
    for (const entry of changed) {
      lines.push(`  ${entry.improved ? '▲' : '▼'} ${entry.configuration.padEnd(16)} ${entry.metric.padEnd(24)} ${formatMetric(entry.metric, entry.before).padStart(8)} → ${formatMetric(entry.metric, entry.after).padStart(8)}  (${signed(entry.metric, entry.delta)})`);
    }
  }
  for (const [title, list] of [['Improved', comparison.improved], ['Regressed', comparison.regressed]] as const) {
    lines.push('', `${title} (${list.length}):`);
    for (const change of list.slice(0, maxQuestions)) {
      lines.push(`  ${change.id} [${change.configuration}] ${change.change} — ${change.question.length > 80 ? `${change.question.slice(0, 79)}…` : change.question}`);
    }
    if (list.length > maxQuestions) lines.push(`  …and ${list.length - maxQuestions} more (use --json for all)`);
  }
  if (comparison.onlyBefore || comparison.onlyAfter) {
    lines.push('', `Questions only in the old run: ${comparison.onlyBefore}; only in the new run: ${comparison.onlyAfter}.`);
  }
  return lines.join('\n');
}
