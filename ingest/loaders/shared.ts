/** Small helpers shared by the loaders: file names for messages, error construction, title candidates. */
import path from 'node:path';
import { parse } from 'node-html-parser';
import { KefuError, type ErrorCode } from '../../src/errors/index.ts';
import type { ParsedDocument, TitleCandidate } from '../types.ts';

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
export function loaderError(code: ErrorCode, filePath: string, problem: string, cause?: unknown, hint?: string): KefuError {
  const detail = problem ? `${displayName(filePath)} (${problem})` : displayName(filePath);
  return new KefuError(code, { detail, ...(cause === undefined ? {} : { cause }), ...(hint === undefined ? {} : { hint }) });
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

/** Decodes HTML character references (`&amp;`, `&#39;`, `&nbsp;`) in text taken from Markdown or attributes. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return parse(`<p>${text.replace(/</g, '&lt;')}</p>`).text;
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

/**
 * Titles that name no document: authoring-tool leftovers ("Untitled", "Document1", "Microsoft Word - x.docx",
 * "Slide 1"), file names, and text without letters.
 *
 * @example
 *   isGenericTitle('Microsoft Word - policy.docx') // true
 *   isGenericTitle('Returns Policy')               // false
 */
export function isGenericTitle(title: string): boolean {
  const text = title.trim();
  if (!/\p{L}/u.test(text)) return true;
  if (/^microsoft (word|powerpoint|excel) - /i.test(text)) return true;
  if (/^(untitled|document|title|new document|slide|presentation|draft|无标题|未命名|文档)\s*\d*$/iu.test(text)) return true;
  return /\.(docx?|pptx?|xlsx?|pdf|indd|html?|md|txt|rtf|odt)$/i.test(text);
}

/**
 * Title candidates in order (duplicates and generic ones dropped), always ending with the file name.
 *
 * @example
 *   titleCandidates({ path: 'a/returns_policy.pdf', candidates: [{ text: 'Untitled', source: 'metadata' }] })
 *   // [{ text: 'returns policy', source: 'file-name' }]
 */
export function titleCandidates({ path: filePath, candidates }: { path: string; candidates: readonly (TitleCandidate | undefined)[] }): TitleCandidate[] {
  const result: TitleCandidate[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const text = candidate?.text.replace(/\s+/g, ' ').trim() ?? '';
    if (!candidate || !text || text.length > 200 || isGenericTitle(text) || seen.has(text.toLowerCase())) continue;
    seen.add(text.toLowerCase());
    result.push({ text, source: candidate.source });
  }
  result.push({ text: titleFromPath(filePath), source: 'file-name' });
  return result;
}

/**
 * Refuses a document whose headings have nothing under them (an outline, a table of contents): there is
 * no passage to answer from. A document with no text at all is the caller's INGEST_EMPTY / INGEST_NO_TEXT.
 */
export function requireBody(document: ParsedDocument, { path: filePath, headings }: { path: string; headings: number }): ParsedDocument {
  if (document.sections.length > 0 || headings === 0) return document;
  throw loaderError('INGEST_NO_TEXT', filePath, `only headings (${headings}), no text under them`, undefined, 'Add the text that belongs under the headings, or remove the file from the folder.');
}
