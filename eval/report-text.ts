/**
 * Plain-text renderings of a run: the console table (configurations × metrics) and the Markdown
 * report. Both read only the RunReport, so an old JSON report renders the same way.
 *
 * @example
 *   console.log(renderConsoleTable(report));
 */
import { lowerIsBetter } from './metrics.ts';
import { FLAG_LABELS, flagsOf } from './scoring.ts';
import type { RunReport } from './types.ts';

/** Preferred order of metrics; any others follow alphabetically. */
export const METRIC_ORDER = [
  'questions', 'scored', 'errors',
  'hit@1', 'hit@3', 'hit@5', 'hit@10', 'mrr@10', 'ndcg@10', 'recall@5', 'recall@10',
  'tol.hit@1', 'tol.hit@3', 'tol.hit@5', 'tol.hit@10', 'tol.mrr@10', 'tol.ndcg@10', 'tol.recall@5', 'tol.recall@10',
  'doc.hit@1', 'doc.hit@3', 'doc.hit@5', 'doc.hit@10', 'doc.mrr@10', 'doc.ndcg@10', 'doc.recall@5', 'doc.recall@10',
  'refusalRecall', 'falseRefusalRate', 'clarifyRate', 'answeredRate',
  'offTopicQuestions', 'offTopicRefusal', 'offTopicRefusal.en', 'offTopicRefusal.zh', 'offTopicFaqAnswers',
  'faqAnswers', 'faqPrecision', 'faqPrecisionAll', 'hardNegatives', 'hardNegativeVerbatim',
  'keyPhraseCoverage', 'rougeL', 'tokenF1', 'referenceContained', 'citationPrecision', 'groundedness',
  'answerChars', 'headingShare', 'repeatedSentenceShare', 'usedRightPassage',
  'latency.retrieval.p50', 'latency.retrieval.p95', 'latency.composition.p50', 'latency.composition.p95',
  'latency.total.p50', 'latency.total.p95',
];

/** The short list the console shows (the Markdown and HTML reports show every metric). */
export const CONSOLE_METRICS = [
  'scored', 'errors', 'hit@1', 'hit@5', 'hit@10', 'mrr@10', 'ndcg@10', 'recall@10', 'tol.hit@1', 'tol.hit@5', 'doc.hit@1', 'doc.hit@5',
  'refusalRecall', 'falseRefusalRate', 'offTopicRefusal', 'offTopicRefusal.en', 'offTopicRefusal.zh', 'faqAnswers', 'faqPrecision',
  'hardNegativeVerbatim', 'keyPhraseCoverage', 'tokenF1', 'referenceContained', 'citationPrecision', 'groundedness',
  'answerChars', 'headingShare', 'repeatedSentenceShare', 'usedRightPassage', 'latency.retrieval.p50', 'latency.retrieval.p95', 'latency.total.p50', 'latency.total.p95',
];

const COUNT_METRICS = new Set(['questions', 'scored', 'errors', 'faqAnswers', 'offTopicQuestions', 'offTopicFaqAnswers', 'hardNegatives']);

export const METRIC_HELP: Record<string, string> = {
  'hit@k': 'share of answerable questions with a gold source among the first k distinct sources retrieved',
  'mrr@10': 'mean reciprocal rank of the first gold source (0 when not in the first 10)',
  'ndcg@10': 'binary-relevance nDCG over the first 10 distinct sources',
  'recall@k': 'share of a question\'s gold sources found in the first k distinct sources',
  'tol.': 'page-level metrics where a neighbouring page (±1) of a gold page also counts',
  'doc.': 'document-level metrics (the right file, any page)',
  refusalRecall: 'the dataset\'s own unanswerable questions (off-topic ones excluded) not answered: refused, handed off, or "did you mean…?"',
  falseRefusalRate: 'answerable questions that were refused or handed off (lower is better)',
  clarifyRate: 'answerable questions answered with "did you mean…?" (FAQ suggestions) instead of an answer',
  offTopicRefusal: 'questions from other datasets (--off-topic) that were refused or handed off; .en / .zh per language',
  faqPrecision: 'FAQ fast-path answers to answerable questions whose FAQ entry is gold',
  faqPrecisionAll: 'every FAQ fast-path answer of the run (off-topic and unanswerable questions too) whose entry is gold',
  hardNegativeVerbatim: 'hard negatives (label-0 pairs) answered through the FAQ fast path with the entry they must not get (lower is better)',
  keyPhraseCoverage: 'share of key phrases present in the answer',
  rougeL: 'ROUGE-L F1 against the reference answer (characters for Chinese)',
  tokenF1: 'bag-of-tokens F1 against the reference answer (characters for Chinese)',
  referenceContained: 'answers containing a reference answer (normalised): the span check of CMRC 2018',
  citationPrecision: 'cited sources that are gold (page ±1)',
  groundedness: 'answer sentences whose words (80%) occur in one retrieved passage',
  answerChars: 'mean length of the answer\'s plain text in characters',
  headingShare: 'answers carrying a heading or running page header as a sentence (should be 0; lower is better)',
  repeatedSentenceShare: 'answers saying the same sentence twice (should be 0; lower is better)',
  usedRightPassage: 'answered questions whose gold passage was retrieved (±1 page): share whose answer quotes it',
  'latency.*': 'milliseconds per stage, 50th and 95th percentile',
};

/** Metrics present in a report, in display order. */
export function metricNames(report: RunReport, only?: string[]): string[] {
  const present = new Set(Object.values(report.summary).flatMap((summary) => Object.keys(summary)));
  const ordered = (only ?? METRIC_ORDER).filter((metric) => present.has(metric));
  if (only) return ordered;
  return [...ordered, ...[...present].filter((metric) => !METRIC_ORDER.includes(metric)).sort()];
}

export function formatMetric(metric: string, value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (COUNT_METRICS.has(metric)) return String(Math.round(value));
  if (metric.startsWith('latency.')) return `${Math.round(value)} ms`;
  if (metric === 'answerChars') return value.toFixed(0);
  return value.toFixed(3);
}

/** The best configuration for a metric (ties: none), to highlight it. */
export function bestConfiguration(report: RunReport, metric: string): string | undefined {
  if (COUNT_METRICS.has(metric)) return undefined;
  const values = Object.entries(report.summary).flatMap(([name, summary]) => (summary[metric] === undefined ? [] : [[name, summary[metric]] as const]));
  if (values.length < 2) return undefined;
  const sorted = [...values].sort((left, right) => (lowerIsBetter(metric) ? left[1] - right[1] : right[1] - left[1]));
  return sorted[0]?.[1] === sorted[1]?.[1] ? undefined : sorted[0]?.[0];
}

/** Configurations as columns, metrics as rows; `*` marks the best value of a row. */
export function renderConsoleTable(report: RunReport, options: { all?: boolean } = {}): string {
  const configurations = report.configurations.map((configuration) => configuration.name);
  const metrics = metricNames(report, options.all ? undefined : CONSOLE_METRICS);
  const rows = metrics.map((metric) => {
    const best = bestConfiguration(report, metric);
    return [metric, ...configurations.map((name) => `${formatMetric(metric, report.summary[name]?.[metric])}${best === name ? '*' : ' '}`)];
  });
  const header = ['metric', ...configurations.map((name) => `${name}${report.configurations.find((configuration) => configuration.name === name)?.main ? ' (full)' : ''} `)];
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [
    `${report.dataset}: ${runLine(report)}`,
    line(header),
    line(widths.map((width) => '─'.repeat(width))),
    ...rows.map(line),
    '* best of the row. Retrieval-only configurations skip questions without gold sources; "(full)" runs the whole answer path.',
    ...(report.issues.length > 0 ? [`${report.issues.length} dataset issue(s): see the report.`] : []),
  ].join('\n');
}

/** "split test (seed 42), 140 questions (+200 off-topic), local index …, 41.2 s". */
export function runLine(report: RunReport): string {
  const own = report.questionCount - (report.offTopic ?? 0);
  return [
    report.split === undefined ? undefined : `split ${report.split} (seed ${report.seed ?? '?'})`,
    `${own} questions${report.offTopic ? ` (+${report.offTopic} off-topic)` : ''}${report.limit === undefined ? '' : ` (--limit ${report.limit})`}`,
    report.target,
    `${(report.durationMs / 1000).toFixed(1)} s${report.ingestMs === undefined ? '' : ` (+${(report.ingestMs / 1000).toFixed(1)} s index)`}`,
  ].filter(Boolean).join(', ');
}

/**
 * The questions that failed (HTTP errors of a server, errors of the answer service), grouped by
 * message; empty when none failed. A run with failures exits non-zero.
 */
export function renderRunErrors(report: RunReport): string {
  const byMessage = new Map<string, number>();
  for (const record of report.questions) {
    for (const [configuration, result] of Object.entries(record.results)) {
      if (result.error) byMessage.set(`${configuration}: ${result.error}`, (byMessage.get(`${configuration}: ${result.error}`) ?? 0) + 1);
    }
  }
  if (byMessage.size === 0) return '';
  const total = [...byMessage.values()].reduce((sum, count) => sum + count, 0);
  return [
    `${total} question(s) failed; the figures above leave them out:`,
    ...[...byMessage].sort((left, right) => right[1] - left[1]).slice(0, 10).map(([message, count]) => `  ${count} × ${message}`),
  ].join('\n');
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

/** A Markdown report: summary table, metric meanings, dataset issues, worst misses. */
export function renderMarkdown(report: RunReport): string {
  const configurations = report.configurations.map((configuration) => configuration.name);
  const lines: string[] = [
    `# Evaluation: ${report.dataset}`,
    '',
    `- Target: ${report.target}`,
    `- Run at: ${report.createdAt} (${(report.durationMs / 1000).toFixed(1)} s${report.ingestMs === undefined ? '' : `, index ${(report.ingestMs / 1000).toFixed(1)} s`})`,
    `- Split: ${report.split ?? 'all'} (seed ${report.seed ?? 42})`,
    `- Questions: ${report.questionCount}${report.offTopic ? ` (${report.offTopic} of them off-topic)` : ''}${report.limit === undefined ? '' : ` (subset of ${report.limit} requested with --limit)`}`,
    `- Dataset issues: ${report.issues.length}`,
    '',
    '## Metrics',
    '',
    `| metric | ${configurations.map(markdownCell).join(' | ')} |`,
    `|---|${configurations.map(() => '---:').join('|')}|`,
  ];
  for (const metric of metricNames(report)) {
    const best = bestConfiguration(report, metric);
    const cells = configurations.map((name) => {
      const text = formatMetric(metric, report.summary[name]?.[metric]);
      return best === name ? `**${text}**` : text;
    });
    lines.push(`| ${metric} | ${cells.join(' | ')} |`);
  }
  lines.push('', '**Bold**: best of the row.', '', '### What the metrics mean', '');
  for (const [metric, meaning] of Object.entries(METRIC_HELP)) lines.push(`- \`${metric}\`: ${meaning}`);
  if (report.issues.length > 0) {
    lines.push('', '## Dataset issues', '', '| where | question | problem |', '|---|---|---|');
    for (const issue of report.issues) {
      lines.push(`| ${markdownCell(`${issue.file ?? ''}${issue.line === undefined ? '' : `:${issue.line}`}`)} | ${markdownCell(issue.questionId ?? '')} | ${markdownCell(issue.message)} |`);
    }
  }
  const main = report.configurations.find((configuration) => configuration.main)?.name;
  if (main) {
    const misses = report.questions.flatMap((record) => {
      const result = record.results[main];
      const flags = result ? flagsOf(record, result) : [];
      return flags.length > 0 ? [{ record, result, flags }] : [];
    });
    lines.push('', `## Flagged questions of ${main} (${misses.length})`, '', '| id | question | expected | outcome | flags | gold | retrieved (first 3 documents) |', '|---|---|---|---|---|---|---|');
    for (const { record, result, flags } of misses.slice(0, 100)) {
      const gold = record.gold.map((source) => [source.document, source.page === undefined ? '' : `#page=${source.page}`, source.faq === undefined ? '' : `faq ${source.faq}`].join('')).join(', ');
      lines.push(`| ${markdownCell(record.id)} | ${markdownCell(record.question)} | ${record.expected}${record.offTopic ? ' (off-topic)' : ''} | ${result?.outcome ?? result?.error ?? ''} | ${flags.map((flag) => FLAG_LABELS[flag]).join(', ')} | ${markdownCell(gold)} | ${markdownCell(result?.topDocuments.join(', ') ?? '')} |`);
    }
    if (misses.length > 100) lines.push('', `…and ${misses.length - 100} more (see the HTML or JSON report).`);
  }
  return `${lines.join('\n')}\n`;
}
