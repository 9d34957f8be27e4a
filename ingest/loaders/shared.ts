/** Small helpers shared by the loaders: file names for messages and error construction. */
import path from 'node:path';
import { KefuError, type ErrorCode } from '../../src/errors/index.ts';

/** The file name shown in messages: short enough to read, the caller reports the full path alongside. */
export function displayName(filePath: string): string {
  return path.basename(filePath) || filePath;
}

/** The file name without its extension, used as a title when the document has none. */
export function titleFromPath(filePath: string): string {
  const base = displayName(filePath);
  const extension = path.extname(base);
  const stem = extension ? base.slice(0, -extension.length) : base;
  return stem.replace(/[_]+/g, ' ').trim() || base;
}

/** Builds a loader error whose detail names the file and, after it, what is wrong with it. */
export function loaderError(code: ErrorCode, filePath: string, problem: string, cause?: unknown): KefuError {
  const detail = problem ? `${displayName(filePath)} (${problem})` : displayName(filePath);
  return new KefuError(code, cause === undefined ? { detail } : { detail, cause });
}

/** Collapses runs of spaces and tabs (not newlines) and trims each line. */
export function tidyLines(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0\u3000]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** True if a string holds at least one letter or digit (so whitespace and punctuation-only text counts as empty). */
export function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** Lists numbers compactly for messages: "3, 5, 9 and 4 more". */
export function listNumbers(numbers: readonly number[], limit = 10): string {
  const shown = numbers.slice(0, limit).join(', ');
  return numbers.length > limit ? `${shown} and ${numbers.length - limit} more` : shown;
}
