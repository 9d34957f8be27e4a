/**
 * Plain-text loader. Paragraphs stay separated by blank lines; there are no headings, so a text
 * file is one section titled by its file name.
 */
import type { ParsedDocument } from '../types.ts';
import { tidyLines, titleFromPath } from './shared.ts';

export function loadPlainText({ path, text }: { path: string; text: string }): ParsedDocument {
  return { type: 'text', title: titleFromPath(path), sections: [{ text: tidyLines(text), headingPath: [] }] };
}
