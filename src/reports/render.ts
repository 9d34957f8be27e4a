/**
 * The report as people read it: a flat list of named measures (shared by the CSV, the text table and the HTML page),
 * CSV with a byte-order mark (Excel then opens Chinese correctly), a text table for the terminal, and a
 * self-contained HTML page with inline SVG charts (no script, no network).
 *
 * @example
 *   process.stdout.write(reportCsv(report));
 */
import { HANDOVER_REASONS, type Kpis, type Report } from './kpi.ts';

export interface Measure {
  name: string;
  label: string;
  value: number | null;
  kind: 'count' | 'rate' | 'ms' | 'money' | 'score';
}

/**
 * The measures of one KPI set, in a fixed order, named as the README's formulas name them.
 *
 * @example
 *   measures(report.totals).find((measure) => measure.name === 'bot_resolution_rate')?.value
 */
export function measures(kpis: Kpis): Measure[] {
  const list: Measure[] = [
    { name: 'conversations', label: 'Conversations', value: kpis.conversations, kind: 'count' },
    { name: 'bot_conversations', label: 'Conversations kefu answered', value: kpis.botConversations, kind: 'count' },
    { name: 'pending', label: 'Waiting for the resolution window', value: kpis.pending, kind: 'count' },
    { name: 'bot_resolution_rate', label: 'Bot resolution rate', value: kpis.botResolution.resolved.rate, kind: 'rate' },
    { name: 'bot_resolution_confirmed_rate', label: 'Bot resolution, confirmed', value: kpis.botResolution.confirmed.rate, kind: 'rate' },
    { name: 'bot_resolution_assumed_rate', label: 'Bot resolution, assumed', value: kpis.botResolution.assumed.rate, kind: 'rate' },
    { name: 'reopened_reversed', label: 'Reopened and reversed', value: kpis.botResolution.reversed, kind: 'count' },
    { name: 'automation_rate', label: 'Automation rate', value: kpis.automationRate.rate, kind: 'rate' },
    { name: 'first_contact_resolution_rate', label: 'First-contact resolution', value: kpis.firstContactResolution.rate, kind: 'rate' },
    { name: 'handover_rate', label: 'Hand-over (transfer-to-human) rate', value: kpis.handover.rate, kind: 'rate' },
  ];
  for (const reason of HANDOVER_REASONS) {
    list.push({ name: `handover_rate_${reason.replaceAll('-', '_')}`, label: `Hand-over rate: ${reason}`, value: kpis.handover.byReason[reason].rate, kind: 'rate' });
  }
  list.push(
    { name: 'refusal_rate', label: 'Refusal rate', value: kpis.refusal.rate, kind: 'rate' },
    { name: 'bot_response_mean_ms', label: 'Bot response time, mean', value: kpis.botResponse.meanMs, kind: 'ms' },
    { name: 'bot_response_p95_ms', label: 'Bot response time, p95', value: kpis.botResponse.p95Ms, kind: 'ms' },
    { name: 'agent_first_response_mean_ms', label: 'Agent first response, mean', value: kpis.agentFirstResponse.meanMs, kind: 'ms' },
    { name: 'agent_first_response_p95_ms', label: 'Agent first response, p95', value: kpis.agentFirstResponse.p95Ms, kind: 'ms' },
    { name: 'agent_resolution_mean_ms', label: 'Agent resolution time, mean', value: kpis.agentResolution.meanMs, kind: 'ms' },
    { name: 'agent_resolution_p95_ms', label: 'Agent resolution time, p95', value: kpis.agentResolution.p95Ms, kind: 'ms' },
    { name: 'csat_thumbs_up_share', label: 'CSAT: thumbs-up share', value: kpis.csat.thumbsUpShare.rate, kind: 'rate' },
    { name: 'csat_rating_mean', label: 'CSAT: rating (1–5), mean', value: kpis.csat.ratingMean, kind: 'score' },
    { name: 'csat_rating_satisfied_share', label: 'CSAT: ratings of 4 or 5', value: kpis.csat.ratingSatisfied.rate, kind: 'rate' },
    { name: 'answer_accuracy_eval', label: 'Answer accuracy (latest evaluation)', value: kpis.accuracy.eval?.accuracy ?? null, kind: 'rate' },
    { name: 'answer_accuracy_thumbs', label: 'Answer accuracy (thumbs)', value: kpis.accuracy.thumbs.rate, kind: 'rate' },
    { name: 'cost_saved', label: 'Cost saved', value: kpis.costSaved.total, kind: 'money' },
  );
  return list;
}

function formatValue(measure: Measure, currency = ''): string {
  const { value } = measure;
  if (value === null) return '—';
  switch (measure.kind) {
    case 'rate':
      return `${(value * 100).toFixed(1)}%`;
    case 'ms':
      return value >= 60_000 ? `${(value / 60_000).toFixed(1)} min` : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
    case 'money':
      return `${value.toFixed(2)}${currency ? ` ${currency}` : ''}`;
    case 'score':
      return value.toFixed(2);
    default:
      return String(value);
  }
}

/** A CSV cell: quoted when it holds a comma, quote or line break; a leading = + - @ is defused for spreadsheets. */
function csvCell(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * The report as CSV: one row per group (total, each day, each week, each language, each channel, each arm), one
 * column per measure; rates as fractions, times in milliseconds. Starts with a UTF-8 byte-order mark.
 */
export function reportCsv(report: Report): string {
  const header = ['group', 'key', ...measures(report.totals).map((measure) => measure.name)];
  const rows: string[][] = [header];
  const add = (group: string, key: string, kpis: Kpis) => rows.push([group, key, ...measures(kpis).map((measure) => (measure.value === null ? '' : String(Number(measure.value.toFixed(6)))))]);
  add('total', `${report.period.since}/${report.period.until}`, report.totals);
  for (const row of report.byDay) add('day', row.key, row);
  for (const row of report.byWeek) add('week', row.key, row);
  for (const row of report.byLanguage) add('language', row.key, row);
  for (const row of report.byChannel) add('channel', row.key, row);
  if (report.arms) {
    add('arm', `${report.arms.releaseId}:control`, report.arms.control);
    add('arm', `${report.arms.releaseId}:candidate`, report.arms.candidate);
  }
  return `\ufeff${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** The report for a terminal: the totals, then conversations and resolution by week. */
export function reportText(report: Report): string {
  const lines = [`kefu report ${report.period.since} → ${report.period.until} (${report.period.timeZone}; resolution window ${report.period.resolutionWindowHours} h)`, ''];
  const all = measures(report.totals);
  const width = Math.max(...all.map((measure) => measure.label.length));
  for (const measure of all) lines.push(`  ${measure.label.padEnd(width)}  ${formatValue(measure, report.totals.costSaved.currency)}`);
  if (report.totals.accuracy.eval) lines.push('', `  answer accuracy from ${report.totals.accuracy.eval.dataset} (${report.totals.accuracy.eval.questions} questions, ${report.totals.accuracy.eval.at})`);
  if (report.totals.conversations === 0) lines.push('', '  No conversations in this period.');
  lines.push('', '  week       conversations  bot resolution  hand-over  refusal');
  for (const row of report.byWeek) {
    const rateText = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
    lines.push(`  ${row.key.padEnd(9)}  ${String(row.conversations).padStart(13)}  ${rateText(row.botResolution.resolved.rate).padStart(14)}  ${rateText(row.handover.rate).padStart(9)}  ${rateText(row.refusal.rate).padStart(7)}`);
  }
  if (report.arms) {
    lines.push('', `  release ${report.arms.releaseId}: control | candidate`);
    const control = measures(report.arms.control);
    const candidate = measures(report.arms.candidate);
    control.forEach((measure, index) => {
      const other = candidate[index] as Measure;
      lines.push(`  ${measure.label.padEnd(width)}  ${formatValue(measure).padStart(10)} | ${formatValue(other)}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** Bars for a count and a line for a rate, as SVG markup (numbers only: nothing a person typed). */
export function chartSvg(options: { title: string; keys: string[]; bars: number[]; line?: Array<number | null>; lineLabel?: string }): string {
  const width = 720;
  const height = 220;
  const left = 40;
  const bottom = 30;
  const top = 24;
  const plotWidth = width - left - 10;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...options.bars);
  const step = plotWidth / Math.max(1, options.keys.length);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}" class="chart">`];
  parts.push(`<text x="${left}" y="16" class="chart-title">${escapeHtml(options.title)}</text>`);
  parts.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${width - 10}" y2="${top + plotHeight}" class="axis"/>`);
  parts.push(`<text x="${left - 6}" y="${top + 4}" text-anchor="end" class="tick">${max}</text><text x="${left - 6}" y="${top + plotHeight}" text-anchor="end" class="tick">0</text>`);
  options.bars.forEach((value, index) => {
    const barHeight = (value / max) * plotHeight;
    const x = left + index * step + step * 0.15;
    parts.push(`<rect x="${x.toFixed(1)}" y="${(top + plotHeight - barHeight).toFixed(1)}" width="${Math.max(1, step * 0.7).toFixed(1)}" height="${barHeight.toFixed(1)}" class="bar"><title>${escapeHtml(options.keys[index] ?? '')}: ${value}</title></rect>`);
  });
  const labelEvery = Math.max(1, Math.ceil(options.keys.length / 8));
  options.keys.forEach((key, index) => {
    if (index % labelEvery === 0) parts.push(`<text x="${(left + index * step + step / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle" class="tick">${escapeHtml(key.length > 7 ? key.slice(5) : key)}</text>`);
  });
  if (options.line) {
    const points = options.line
      .map((value, index) => (value === null ? undefined : `${(left + index * step + step / 2).toFixed(1)},${(top + plotHeight - value * plotHeight).toFixed(1)}`))
      .filter((point): point is string => point !== undefined);
    if (points.length > 0) parts.push(`<polyline points="${points.join(' ')}" class="line"/>`);
    if (options.lineLabel) parts.push(`<text x="${width - 10}" y="16" text-anchor="end" class="line-label">— ${escapeHtml(options.lineLabel)} (0–100%)</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A self-contained HTML page of the report (inline SVG and CSS; no script, nothing fetched). */
export function reportHtml(report: Report): string {
  const rows = (kpis: Kpis) =>
    measures(kpis)
      .map((measure) => `<tr><th scope="row">${escapeHtml(measure.label)}</th><td>${escapeHtml(formatValue(measure, report.totals.costSaved.currency))}</td><td><code>${measure.name}</code></td></tr>`)
      .join('');
  const groupTable = (title: string, list: Report['byLanguage']) =>
    `<h2>${escapeHtml(title)}</h2><table><thead><tr><th>${escapeHtml(title)}</th><th>Conversations</th><th>Bot resolution</th><th>Hand-over</th><th>Refusal</th><th>Thumbs-up</th></tr></thead><tbody>${list
      .map((row) => {
        const cells = measures(row).filter((measure) => ['conversations', 'bot_resolution_rate', 'handover_rate', 'refusal_rate', 'csat_thumbs_up_share'].includes(measure.name));
        return `<tr><th scope="row">${escapeHtml(row.key)}</th>${cells.map((measure) => `<td>${escapeHtml(formatValue(measure))}</td>`).join('')}</tr>`;
      })
      .join('')}</tbody></table>`;
  const armsTable = report.arms
    ? `<h2>Release ${escapeHtml(report.arms.releaseId)}</h2><table><thead><tr><th>Measure</th><th>Control</th><th>Candidate</th></tr></thead><tbody>${measures(report.arms.control)
        .map((measure, index) => `<tr><th scope="row">${escapeHtml(measure.label)}</th><td>${escapeHtml(formatValue(measure))}</td><td>${escapeHtml(formatValue(measures(report.arms?.candidate as Kpis)[index] as Measure))}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const days = report.byDay;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kefu report</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:16px;color:#1d2430}
table{border-collapse:collapse;width:100%;margin:8px 0 24px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #dde2ea}
td{font-variant-numeric:tabular-nums}code{color:#5a6472;font-size:12px}
.chart{width:100%;height:auto;margin:8px 0 16px}.bar{fill:#3d6fd8}.line{fill:none;stroke:#d9822b;stroke-width:2}.axis{stroke:#8893a2}
.tick,.chart-title,.line-label{font-size:11px;fill:#5a6472}.chart-title{font-size:13px;fill:#1d2430}
</style></head><body>
<h1>kefu report</h1>
<p>${escapeHtml(report.period.since)} → ${escapeHtml(report.period.until)} · ${escapeHtml(report.period.timeZone)} · resolution window ${report.period.resolutionWindowHours} h · generated ${escapeHtml(report.period.generatedAt)}</p>
${report.totals.conversations === 0 ? '<p><strong>No conversations in this period.</strong></p>' : ''}
${chartSvg({ title: 'Conversations per day', keys: days.map((row) => row.key), bars: days.map((row) => row.conversations), line: days.map((row) => row.botResolution.resolved.rate), lineLabel: 'bot resolution' })}
${chartSvg({ title: 'Hand-overs per day', keys: days.map((row) => row.key), bars: days.map((row) => row.handover.count), line: days.map((row) => row.refusal.rate), lineLabel: 'refusal rate' })}
<h2>Totals</h2><table><tbody>${rows(report.totals)}</tbody></table>
${armsTable}
${groupTable('Week', report.byWeek)}
${groupTable('Language', report.byLanguage)}
${groupTable('Channel', report.byChannel)}
</body></html>
`;
}
