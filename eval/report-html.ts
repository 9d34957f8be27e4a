/**
 * A self-contained HTML report: inline SVG charts and a per-question drill-down, no scripts or
 * styles from the network. Every piece of dataset or document text is escaped.
 *
 * @example
 *   await writeFile('report.html', renderHtml(report));
 */
import { goldMatches } from './metrics.ts';
import { bestConfiguration, formatMetric, METRIC_HELP, metricNames, runLine } from './report-text.ts';
import { FLAG_LABELS, flagsOf, type Flag } from './scoring.ts';
import type { ConfigurationAnswer, QuestionRecord, RunReport } from './types.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7'];
const CHART_METRICS = ['hit@1', 'hit@5', 'hit@10', 'mrr@10', 'ndcg@10', 'tol.hit@1', 'tol.hit@5', 'doc.hit@1', 'doc.hit@5'];

/** Grouped bar chart: one group per metric, one bar per configuration. */
function barChart(report: RunReport): string {
  const configurations = report.configurations.map((configuration) => configuration.name);
  const metrics = metricNames(report, CHART_METRICS);
  if (metrics.length === 0) return '<p>No retrieval metrics (no question has gold sources).</p>';
  const barWidth = 14;
  const groupWidth = configurations.length * barWidth + 24;
  const height = 220;
  const top = 20;
  const left = 40;
  const width = left + metrics.length * groupWidth + 10;
  const parts: string[] = [`<svg role="img" aria-label="Retrieval metrics per configuration" width="${width}" height="${height + 70}" viewBox="0 0 ${width} ${height + 70}" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">`];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + height - tick * height;
    parts.push(`<line x1="${left}" x2="${width}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 4}" y="${y + 4}" text-anchor="end">${tick.toFixed(2)}</text>`);
  }
  metrics.forEach((metric, metricIndex) => {
    const groupX = left + metricIndex * groupWidth + 12;
    configurations.forEach((name, configurationIndex) => {
      const value = report.summary[name]?.[metric] ?? 0;
      const barHeight = Math.max(0, Math.min(1, value)) * height;
      const x = groupX + configurationIndex * barWidth;
      parts.push(`<rect x="${x}" y="${top + height - barHeight}" width="${barWidth - 2}" height="${barHeight}" fill="${PALETTE[configurationIndex % PALETTE.length]}"><title>${escapeHtml(`${name} ${metric}: ${value.toFixed(3)}`)}</title></rect>`);
    });
    parts.push(`<text x="${groupX + (configurations.length * barWidth) / 2}" y="${top + height + 16}" text-anchor="middle">${escapeHtml(metric)}</text>`);
  });
  configurations.forEach((name, index) => {
    const x = left + index * 150;
    parts.push(`<rect x="${x}" y="${top + height + 34}" width="12" height="12" fill="${PALETTE[index % PALETTE.length]}"/><text x="${x + 16}" y="${top + height + 44}">${escapeHtml(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Two histograms of confidence (0..1, 20 bins): answerable vs unanswerable questions. */
function confidenceChart(report: RunReport, main: string | undefined): string {
  if (!main) return '';
  const groups = [
    { label: 'answerable', color: PALETTE[0] ?? '#000', values: [] as number[] },
    { label: 'unanswerable', color: PALETTE[1] ?? '#000', values: [] as number[] },
  ];
  for (const record of report.questions) {
    const confidence = record.results[main]?.confidence;
    if (confidence === undefined) continue;
    groups[record.expected === 'answer' ? 0 : 1]?.values.push(confidence);
  }
  const bins = 20;
  const counts = groups.map((group) => {
    const histogram = new Array<number>(bins).fill(0);
    for (const value of group.values) {
      const bin = Math.min(bins - 1, Math.max(0, Math.floor(value * bins)));
      histogram[bin] = (histogram[bin] ?? 0) + 1;
    }
    // share of the group, so a group of 45 and a group of 200 compare
    return histogram.map((count) => (group.values.length === 0 ? 0 : count / group.values.length));
  });
  const peak = Math.max(0.01, ...counts.flat());
  const width = 640;
  const height = 180;
  const left = 40;
  const top = 10;
  const binWidth = (width - left - 10) / bins;
  const parts = [`<svg role="img" aria-label="Confidence distribution" width="${width}" height="${height + 60}" viewBox="0 0 ${width} ${height + 60}" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">`];
  counts.forEach((histogram, groupIndex) => {
    const group = groups[groupIndex];
    if (!group) return;
    histogram.forEach((share, bin) => {
      const barHeight = (share / peak) * height;
      const x = left + bin * binWidth + groupIndex * (binWidth / 2);
      parts.push(`<rect x="${x}" y="${top + height - barHeight}" width="${binWidth / 2 - 1}" height="${barHeight}" fill="${group.color}"><title>${escapeHtml(`${group.label} ${(bin / bins).toFixed(2)}–${((bin + 1) / bins).toFixed(2)}: ${(share * 100).toFixed(1)}%`)}</title></rect>`);
    });
  });
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const x = left + tick * (width - left - 10);
    parts.push(`<text x="${x}" y="${top + height + 14}" text-anchor="middle">${tick.toFixed(2)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${width - 10}" y1="${top + height}" y2="${top + height}" stroke="#999"/>`);
  groups.forEach((group, index) => {
    const x = left + index * 200;
    parts.push(`<rect x="${x}" y="${top + height + 28}" width="12" height="12" fill="${group.color}"/><text x="${x + 16}" y="${top + height + 38}">${escapeHtml(`${group.label} (${group.values.length})`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function goldText(record: QuestionRecord): string {
  if (record.gold.length === 0) return '(none)';
  return record.gold
    .map((source) => [source.document ?? '', source.page === undefined ? '' : `#page=${source.page}`, source.chunk === undefined ? '' : ` chunk ${source.chunk}`, source.faq === undefined ? '' : ` FAQ ${source.faq}`].join('').trim())
    .join(', ');
}

function rankText(result: ConfigurationAnswer | undefined, level: string): string {
  if (!result) return '';
  if (result.error) return 'error';
  const scores = result.levels[level];
  if (!scores) return '';
  return scores.firstRank === null ? '–' : String(scores.firstRank);
}

function drillDown(report: RunReport, main: string | undefined): string {
  const configurations = report.configurations.map((configuration) => configuration.name);
  const rows = report.questions.map((record) => {
    const result = main ? record.results[main] : undefined;
    const flags = main ? flagsOf(record, result) : [];
    const miss = flags.length > 0;
    const ranks = configurations.map((name) => `<td class="num">${escapeHtml(rankText(record.results[name], 'strict'))}</td>`).join('');
    const passages = (result?.retrieved ?? []).map((passage, index) => {
      const mark = record.gold.some((gold) => goldMatches(gold, passage)) ? 'gold' : record.gold.some((gold) => goldMatches(gold, passage, 1)) ? 'near' : '';
      return `
      <li class="${mark}"><span class="meta">${mark === 'gold' ? '<b>gold</b> · ' : mark === 'near' ? '<b>gold ±1 page</b> · ' : ''}#${index + 1} ${escapeHtml(passage.docPath)}${passage.page === undefined ? '' : escapeHtml(` p.${passage.page}`)}${passage.faqId === undefined ? '' : escapeHtml(` FAQ ${passage.faqId}`)} · score ${escapeHtml(passage.score.toFixed(3))}</span>
      <div class="passage">${escapeHtml(passage.text ?? '')}</div></li>`;
    }).join('');
    const perConfiguration = configurations.map((name) => {
      const other = record.results[name];
      if (!other) return '';
      return `<tr><td>${escapeHtml(name)}</td><td class="num">${escapeHtml(rankText(other, 'strict'))}</td><td class="num">${escapeHtml(rankText(other, 'tolerant'))}</td><td class="num">${escapeHtml(rankText(other, 'document'))}</td><td>${escapeHtml(other.error ?? other.topDocuments.join(', '))}</td></tr>`;
    }).join('');
    const scores = result?.answerScores
      ? Object.entries(result.answerScores).flatMap(([metric, value]) => (typeof value === 'number' ? [`${escapeHtml(metric)} ${escapeHtml(Number.isInteger(value) ? String(value) : value.toFixed(3))}`] : [])).join(' · ')
      : '';
    return `
  <details class="question${miss ? ' miss' : ''}" data-miss="${miss ? '1' : '0'}" data-flags="${escapeHtml(flags.join(' '))}" data-expected="${escapeHtml(record.expected)}"${record.offTopic ? ' data-off-topic="1"' : ''}>
    <summary><span class="id">${escapeHtml(record.id)}</span> <span class="q">${escapeHtml(record.question)}</span>
      <span class="badge ${escapeHtml(record.expected)}">${escapeHtml(record.expected)}</span>
      ${record.offTopic ? `<span class="badge off-topic">off-topic · ${escapeHtml(record.source ?? '')}</span>` : ''}
      <span class="badge outcome">${escapeHtml(result?.error ? 'error' : result?.outcome ?? '')}</span>
      ${flags.filter((flag) => flag !== 'error').map((flag) => `<span class="badge flag">${escapeHtml(FLAG_LABELS[flag])}</span>`).join('')}
      <table class="ranks"><tr>${ranks}</tr></table></summary>
    <div class="body">
      <p><b>Gold:</b> ${escapeHtml(goldText(record))}</p>
      ${record.references.length > 0 ? `<p><b>Expected answer:</b> ${escapeHtml(record.references.join(' | '))}</p>` : ''}
      ${record.keyPhrases.length > 0 ? `<p><b>Key phrases:</b> ${escapeHtml(record.keyPhrases.join(', '))}</p>` : ''}
      ${record.hardNegativeOf === undefined ? '' : `<p><b>Must not be answered with FAQ:</b> ${escapeHtml(record.hardNegativeOf)}</p>`}
      ${result?.answer !== undefined ? `<p><b>Answer</b> (${escapeHtml(result.outcome ?? '')}${result.faqId === undefined ? '' : escapeHtml(` FAQ ${result.faqId}`)}, confidence ${escapeHtml((result.confidence ?? 0).toFixed(3))}):</p><div class="answer">${escapeHtml(result.answer)}</div>` : ''}
      ${result?.query !== undefined && result.query !== record.question ? `<p class="meta">searched as: ${escapeHtml(result.query)}</p>` : ''}
      ${result?.answerScores?.headingText ? `<p class="meta">heading in the answer: ${escapeHtml(result.answerScores.headingText)}</p>` : ''}
      ${result?.evidence ? `<p class="meta">evidence: ${escapeHtml(JSON.stringify(result.evidence))}</p>` : ''}
      ${result?.error ? `<p class="error">${escapeHtml(result.error)}</p>` : ''}
      ${scores ? `<p class="meta">${scores}</p>` : ''}
      ${result?.citations && result.citations.length > 0 ? `<p><b>Cited:</b> ${escapeHtml(result.citations.map((citation) => `${citation.docPath}${citation.page === undefined ? '' : ` p.${citation.page}`}`).join(', '))}</p>` : ''}
      <table class="small"><tr><th>configuration</th><th>rank</th><th>rank ±1</th><th>doc rank</th><th>first documents</th></tr>${perConfiguration}</table>
      ${passages ? `<p><b>Retrieved passages${main ? ` (${escapeHtml(main)})` : ''}:</b></p><ol class="passages">${passages}</ol>` : ''}
    </div>
  </details>`;
  });
  const header = configurations.map((name) => `<th title="${escapeHtml(name)}">${escapeHtml(name)}</th>`).join('');
  const counts = new Map<Flag, number>();
  for (const record of report.questions) for (const flag of main ? flagsOf(record, record.results[main]) : []) counts.set(flag, (counts.get(flag) ?? 0) + 1);
  const options = (Object.keys(FLAG_LABELS) as Flag[]).map((flag) => `<option value="${escapeHtml(flag)}">${escapeHtml(`${FLAG_LABELS[flag]} (${counts.get(flag) ?? 0})`)}</option>`).join('');
  return `<p class="meta">Each row: id, question, expected outcome, outcome of ${escapeHtml(main ?? '')}, then the rank of the first gold source per configuration (${header ? configurations.map(escapeHtml).join(', ') : ''}; – = not in the top 10). Click a row for the passages, the answer and what was expected. "Answered, wrong": answered with none of the key phrases, or without a short reference answer (a span of at most 20 words or characters) in it.</p>
  <p><label><input type="checkbox" id="misses-only"> show flagged only</label>
    <label>flag <select id="flag"><option value="">any</option>${options}</select></label>
    <label><input type="checkbox" id="hide-off-topic"> hide off-topic</label>
    <input type="search" id="filter" placeholder="filter by text or id"></p>
  <div id="questions">${rows.join('')}</div>`;
}

const STYLE = `
body { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }
table.metrics { border-collapse: collapse; font-size: 13px; }
table.metrics td, table.metrics th { border-bottom: 1px solid #eee; padding: 3px 10px; }
td.num, table.metrics td { text-align: right; font-variant-numeric: tabular-nums; }
table.metrics td:first-child { text-align: left; }
td.best { font-weight: bold; background: #eef6ee; }
.meta { color: #666; font-size: 12px; }
details.question { border-bottom: 1px solid #eee; padding: 4px 0; }
details.question.miss summary .id { color: #c0392b; }
summary { cursor: pointer; font-size: 13px; }
summary .id { font-family: monospace; margin-right: 6px; }
summary table.ranks { display: inline-table; margin-left: 8px; font-size: 11px; color: #555; }
summary table.ranks td { padding: 0 4px; border-left: 1px solid #ddd; }
.badge { font-size: 11px; border-radius: 3px; padding: 0 5px; margin-left: 4px; background: #eee; }
.badge.refuse, .badge.handoff { background: #fde2c8; }
.badge.flag { background: #f8d7da; color: #842029; } .badge.off-topic { background: #e2e3f5; }
.body { padding: 6px 16px 10px; font-size: 13px; }
.answer, .passage { white-space: pre-wrap; background: #f7f7f7; padding: 6px; border-radius: 4px; }
.passage { max-height: 160px; overflow: auto; font-size: 12px; }
table.small { font-size: 12px; border-collapse: collapse; } table.small td, table.small th { padding: 1px 8px; border-bottom: 1px solid #eee; text-align: left; }
.error { color: #c0392b; }
li.gold .passage { border-left: 4px solid #59a14f; } li.near .passage { border-left: 4px solid #edc948; }
`;

const SCRIPT = `
const missesOnly = document.getElementById('misses-only');
const flag = document.getElementById('flag');
const hideOffTopic = document.getElementById('hide-off-topic');
const filter = document.getElementById('filter');
function apply() {
  const text = filter.value.toLowerCase();
  for (const item of document.querySelectorAll('details.question')) {
    const flags = (item.dataset.flags || '').split(' ');
    const hidden = (missesOnly.checked && item.dataset.miss !== '1')
      || (flag.value && !flags.includes(flag.value))
      || (hideOffTopic.checked && item.dataset.offTopic === '1')
      || (text && !item.textContent.toLowerCase().includes(text));
    item.style.display = hidden ? 'none' : '';
  }
}
for (const control of [missesOnly, flag, hideOffTopic]) control.addEventListener('change', apply);
filter.addEventListener('input', apply);
`;

/** Renders a run as one HTML page. */
export function renderHtml(report: RunReport): string {
  const configurations = report.configurations.map((configuration) => configuration.name);
  const main = report.configurations.find((configuration) => configuration.main)?.name;
  const metricRows = metricNames(report).map((metric) => {
    const best = bestConfiguration(report, metric);
    return `<tr><td>${escapeHtml(metric)}</td>${configurations.map((name) => `<td${best === name ? ' class="best"' : ''}>${escapeHtml(formatMetric(metric, report.summary[name]?.[metric]))}</td>`).join('')}</tr>`;
  }).join('');
  const issues = report.issues.length === 0 ? '<p>None.</p>' : `<table class="small"><tr><th>where</th><th>question</th><th>problem</th></tr>${report.issues.map((issue) => `<tr><td>${escapeHtml(`${issue.file ?? ''}${issue.line === undefined ? '' : `:${issue.line}`}`)}</td><td>${escapeHtml(issue.questionId ?? '')}</td><td>${escapeHtml(issue.message)}</td></tr>`).join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`kefu eval: ${report.dataset}`)}</title><style>${STYLE}</style></head>
<body>
<h1>Evaluation: ${escapeHtml(report.dataset)}</h1>
<p class="meta">${escapeHtml(runLine(report))} · ${escapeHtml(report.createdAt)} · ${escapeHtml(report.issues.length)} dataset issue(s)</p>
<h2>Metrics per configuration</h2>
${barChart(report)}
<table class="metrics"><tr><th>metric</th>${configurations.map((name) => `<th>${escapeHtml(name)}${report.configurations.find((configuration) => configuration.name === name)?.main ? ' (full)' : ''}</th>`).join('')}</tr>${metricRows}</table>
<details><summary class="meta">What the metrics mean</summary><ul class="meta">${Object.entries(METRIC_HELP).map(([metric, meaning]) => `<li><code>${escapeHtml(metric)}</code>: ${escapeHtml(meaning)}</li>`).join('')}</ul></details>
<h2>Confidence: answerable vs unanswerable${main ? ` (${escapeHtml(main)})` : ''}</h2>
<p class="meta">Share of each group per confidence bin. A good gate threshold separates the two.</p>
${confidenceChart(report, main)}
<h2>Dataset issues</h2>
${issues}
<h2>Questions</h2>
${drillDown(report, main)}
<script>${SCRIPT}</script>
</body></html>
`;
}
