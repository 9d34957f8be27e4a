/**
 * Peak memory of `kefu ingest` on hostile input (`npm run bench:hostile`): a folder holding zip bombs (a .docx with
 * 100 MB of XML in ~400 KB, one with 20 MB of XML, an .xlsx with 100 MB of sheet XML, a PDF whose content stream
 * inflates to 1 GB) plus the Northwind PDFs
 * (../shared/eval-data/northwind/pdfs, or BENCH_PDF_DIR). Runs the real CLI in a child process and samples its
 * peak resident memory (VmHWM, Linux). Target: <= 700 MB, every bomb recorded as failed, the PDFs indexed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { makeDocxBomb, makePdfBomb, makeXlsx } from '../test/support/zip.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');
const pdfDir = path.resolve(process.env.BENCH_PDF_DIR ?? path.join(repositoryRoot, '..', 'shared', 'eval-data', 'northwind', 'pdfs'));
if (!existsSync(pdfDir)) {
  console.error(`No PDF folder at ${pdfDir}; set BENCH_PDF_DIR.`);
  process.exit(1);
}
const MB = 1024 * 1024;

const scratch = await mkdtemp(path.join(tmpdir(), 'kefu-bench-hostile-'));
const folder = path.join(scratch, 'documents');
await mkdir(folder);
for (const name of (await readdir(pdfDir)).filter((file) => file.toLowerCase().endsWith('.pdf'))) await copyFile(path.join(pdfDir, name), path.join(folder, name));
const bombs: Record<string, Buffer> = {
  'bomb-100mb-xml.docx': makeDocxBomb({ xmlBytes: 100 * MB }),
  'bomb-20mb-xml.docx': makeDocxBomb({ xmlBytes: 20 * MB }),
  'bomb-100mb-sheet.xlsx': makeXlsx({ xmlBytes: 100 * MB }),
  'bomb-1gb-content.pdf': makePdfBomb({ contentBytes: 1024 * MB }),
};
for (const [name, bytes] of Object.entries(bombs)) await writeFile(path.join(folder, name), bytes);
console.error(`bombs: ${Object.entries(bombs).map(([name, bytes]) => `${name} ${(bytes.length / 1024).toFixed(0)} KB`).join(', ')}`);

const env = { ...process.env, KEFU_DATA_DIR: path.join(scratch, 'data'), KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') };
const started = performance.now();
const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), 'ingest', folder, '--json'], { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
let stdout = '';
child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
let peakKb = 0;
const sample = async () => {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0));
};
const sampler = setInterval(() => void sample(), 25);
const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
clearInterval(sampler);
const seconds = (performance.now() - started) / 1000;
const summary = JSON.parse(stdout) as { indexed: Array<{ path: string; chunks: number }>; failed: Array<{ path: string; code: string; reason: string }> };

console.log(`kefu ingest on ${summary.indexed.length + summary.failed.length} files (zip bombs + Northwind PDFs): exit ${code} in ${seconds.toFixed(1)} s`);
console.log(`  peak RSS ${(peakKb / 1024).toFixed(0)} MB (target <= 700 MB)`);
console.log(`  indexed: ${summary.indexed.map((file) => `${file.path} (${file.chunks})`).join(', ')}`);
for (const failed of summary.failed) console.log(`  failed: ${failed.path} ${failed.code}: ${failed.reason}`);
console.log(`  load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}, ${cpus().length} cores`);
await rm(scratch, { recursive: true, force: true });
