/**
 * Plain-text loader. Paragraphs stay separated by blank lines; there are no headings. A short first
 * line standing alone (no sentence punctuation, a blank line after it) is taken as the title;
 * otherwise the file name is.
 */
import type { ParsedDocument } from '../types.ts';
import { hasWords, tidyLines, titleFromPath } from './shared.ts';

export function loadPlainText({ path, text }: { path: string; text: string }): ParsedDocument {
  const tidy = tidyLines(text);
  const titleLine = /^([^\n]{1,80})\n\n([\s\S]+)$/.exec(tidy);
  const candidate = titleLine?.[1] ?? '';
  const body = titleLine?.[2] ?? '';
  if (titleLine && !/[.。!！?？;；:：,，]$/u.test(candidate) && hasWords(body)) {
    return { type: 'text', title: candidate, sections: [{ text: body, headingPath: [] }] };
  }
  return { type: 'text', title: titleFromPath(path), sections: [{ text: tidy, headingPath: [] }] };
}
