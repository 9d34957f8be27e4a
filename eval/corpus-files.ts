/**
 * Small file helpers shared by the dataset adapters: corpus files are written only when their content
 * changed (so incremental ingestion sees nothing new), and a missing or unreadable source file is a
 * DATASET_INVALID error naming it.
 *
 * @example
 *   await writeIfChanged(path.join(corpusDir, 'faq.json'), JSON.stringify(entries));
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KefuError } from '../src/errors/index.ts';

/** Writes a file only when its content changed, so incremental ingestion sees nothing new. */
export async function writeIfChanged(file: string, content: string | Buffer): Promise<void> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  try {
    const existing = await readFile(file);
    if (existing.equals(bytes)) return;
  } catch {
    // missing: write it
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

export async function copyIfChanged(source: string, target: string): Promise<void> {
  const [from, to] = await Promise.all([stat(source), stat(target).catch(() => undefined)]);
  if (to && to.size === from.size && to.mtimeMs >= from.mtimeMs) return;
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(source, target);
}

export function requireFile(file: string, dataset: string): void {
  if (!existsSync(file)) {
    throw new KefuError('DATASET_INVALID', {
      detail: `${dataset}: ${file} not found`,
      hint: 'The real datasets are read from ../shared/eval-data (or the folder given with --eval-data).',
    });
  }
}

export async function readJson(file: string, dataset: string): Promise<unknown> {
  requireFile(file, dataset);
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new KefuError('DATASET_INVALID', { detail: `${dataset}: ${file} is not valid JSON`, cause: error });
  }
}
