/** The guide's KPIs from the conversation event log. See README.md for every formula. */
export { computeReport, conversationFacts, summarise, percentile, HANDOVER_REASONS, KPI_EVENT_TYPES, type EvalAccuracy, type Kpis, type Report, type ReportSettings, type Rate, type Durations } from './kpi.ts';
export { measures, reportCsv, reportHtml, reportText, chartSvg, type Measure } from './render.ts';
export { createReportService, type ReportService } from './service.ts';
export { dayKey, weekKey, daysBetween, parsePeriod, checkReportTimeZone, type ReportPeriod } from './time.ts';
