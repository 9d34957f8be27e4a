/**
 * `kefu report`: the guide's KPIs from the conversation event log (README "KPI report" has every formula), as text,
 * JSON, CSV (with a byte-order mark, for Excel) or a self-contained HTML page with charts.
 */
import { Option, type Command } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import { openRecords } from '../../src/records/index.ts';
import { reportCsv, reportHtml, reportText } from '../../src/reports/index.ts';
import { createOwnerReports } from '../owner-console.ts';

interface ReportOptions {
  since: string;
  until?: string;
  tz?: string;
  release?: string;
  format: 'text' | 'json' | 'csv' | 'html';
}

export function register(program: Command): void {
  program
    .command('report')
    .description('KPI report: conversations, bot resolution, first-contact resolution, hand-overs, refusals, response times, CSAT, accuracy, cost saved')
    .option('--since <when>', 'start: a duration back from now (30d, 12w, 6h) or a date (2026-03-01)', '30d')
    .option('--until <when>', 'end: a date or a duration back from now (default: now)')
    .option('--tz <zone>', 'time zone of days and weeks, e.g. Asia/Shanghai (default KEFU_TIME_ZONE)')
    .option('--release <id>', 'a release id: the KPIs of its two arms side by side')
    .addOption(new Option('--json', 'print JSON').implies({ format: 'json' }))
    .addOption(new Option('--csv', 'print CSV with a byte-order mark (Excel opens Chinese correctly)').implies({ format: 'csv' }))
    .addOption(new Option('--html', 'print a self-contained HTML page with charts').implies({ format: 'html' }))
    .addOption(new Option('--format <format>').choices(['text', 'json', 'csv', 'html']).default('text').hideHelp())
    .addHelpText(
      'after',
      '\nA conversation counts as resolved by kefu once KEFU_RESOLUTION_WINDOW_HOURS (24) pass with no further question,\n' +
        'hand-over or thumbs-down; cost saved uses KEFU_COST_HUMAN_CONVERSATION and KEFU_COST_BOT_CONVERSATION.\n\n' +
        'Examples:\n  npx kefu report\n  npx kefu report --since 12w --tz Asia/Shanghai\n  npx kefu report --since 2026-03-01 --csv > march.csv\n  npx kefu report --html > report.html',
    )
    .action(async (options: ReportOptions) => {
      const config = loadConfig();
      const records = openRecords({ url: config.databaseUrl, path: config.databasePath, startupRetryMs: config.databaseStartupRetryMs });
      try {
        const report = await createOwnerReports({ config, records }).report({
          since: options.since,
          ...(options.until ? { until: options.until } : {}),
          ...(options.tz ? { timeZone: options.tz } : {}),
          ...(options.release ? { releaseId: options.release } : {}),
        });
        const text = options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : options.format === 'csv' ? reportCsv(report) : options.format === 'html' ? reportHtml(report) : reportText(report);
        process.stdout.write(text);
      } finally {
        await records.close();
      }
    });
}
