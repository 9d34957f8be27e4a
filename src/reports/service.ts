/**
 * The KPI report over the records: reads the conversations of a period with all their events, the arms of a
 * release when one is asked for, and the latest evaluation accuracy, then computes (kpi.ts).
 *
 * @example
 *   const reports = createReportService({ records, settings, timeZone: 'Asia/Shanghai' });
 *   const report = await reports.report({ since: '30d' });
 */
import type { RecordsStore } from '../records/types.ts';
import { computeReport, KPI_EVENT_TYPES, type EvalAccuracy, type Report, type ReportSettings } from './kpi.ts';
import { parsePeriod } from './time.ts';

export interface ReportService {
  /** `since`/`until`: durations (30d) or dates (2026-03-01); `releaseId`: add that release's arms side by side. */
  report(options?: { since?: string; until?: string; timeZone?: string; releaseId?: string }): Promise<Report>;
}

export function createReportService(options: {
  records: RecordsStore;
  settings: ReportSettings;
  /** The default time zone of days and weeks (KEFU_TIME_ZONE). */
  timeZone: string;
  /** The latest evaluation of the knowledge base's dataset, when there is one. */
  accuracy?: () => Promise<EvalAccuracy | null>;
  now?: () => Date;
}): ReportService {
  const now = options.now ?? (() => new Date());
  return {
    async report(request = {}) {
      const moment = now();
      const period = parsePeriod({ ...(request.since ? { since: request.since } : {}), ...(request.until ? { until: request.until } : {}), timeZone: request.timeZone || options.timeZone, now: moment });
      const [data, accuracy, assignments] = await Promise.all([
        options.records.reportData({ since: period.since.toISOString(), until: period.until.toISOString(), types: KPI_EVENT_TYPES }),
        options.accuracy ? options.accuracy().catch(() => null) : Promise.resolve(null),
        request.releaseId ? options.records.releaseArms(request.releaseId) : Promise.resolve(undefined),
      ]);
      return computeReport({
        data,
        period,
        now: moment,
        settings: options.settings,
        accuracy,
        ...(request.releaseId && assignments ? { arms: { releaseId: request.releaseId, assignments } } : {}),
      });
    },
  };
}
