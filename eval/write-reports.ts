/**
 * Writes a run as JSON (what `--compare` reads), Markdown and HTML under `eval/reports/`
 * (git-ignored): `<dataset>-<timestamp>.*` plus `<dataset>-latest.*` copies.
 *
 * @example
 *   const files = await writeReports({ report });
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHtml } from './report-html.ts';
import { renderMarkdown } from './report-text.ts';
import type { RunReport } from './types.ts';

export const REPORTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reports');

export interface WrittenReports {
  json: string;
  markdown: string;
  html: string;
}

export async function writeReports(options: { report: RunReport; directory?: string }): Promise<WrittenReports> {
  const directory = options.directory ?? REPORTS_DIR;
  await mkdir(directory, { recursive: true });
  const { report } = options;
  const safeName = report.dataset.replace(/[^\w.-]/g, '_');
  const stamp = report.createdAt.replace(/[:.]/g, '-');
  const contents = {
    json: `${JSON.stringify(report, null, 1)}\n`,
    md: renderMarkdown(report),
    html: renderHtml(report),
  };
  for (const [extension, content] of Object.entries(contents)) {
    await writeFile(path.join(directory, `${safeName}-${stamp}.${extension}`), content);
    await writeFile(path.join(directory, `${safeName}-latest.${extension}`), content);
  }
  return {
    json: path.join(directory, `${safeName}-${stamp}.json`),
    markdown: path.join(directory, `${safeName}-${stamp}.md`),
    html: path.join(directory, `${safeName}-${stamp}.html`),
  };
}
