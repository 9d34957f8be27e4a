/**
 * Plain-text loader. Paragraphs are separated by blank lines; a line underlined with `=====` (level 1) or
 * `-----` (level 2) is a heading (setext style), and the underline goes; other decoration lines (`*****`,
 * `____`, `-=-=-`, `+----+`) are dropped. Lines starting with `- `, `* `, `• ` or `1. ` form lists, nested
 * by indentation; a block of `| a | b |` lines is a table. Everything else is literal text, escaped so
 * it never becomes markup. A short first line standing alone (no sentence punctuation, a blank line
 * after it) is a title candidate and leaves the body.
 */
import { splitTableRow } from '../../src/text/markdown.ts';
import type { CleanupCounts, ParsedDocument, TitleCandidate } from '../types.ts';
import { hasWords, requireBody, titleCandidates } from './shared.ts';
import { createSectionBuilder, escapeInline, escapeParagraph, headingCandidates, tableBlock, type SectionBuilder } from './structure.ts';

/** A rule or underline: one decoration character (or a short repeating pattern) three or more times. */
const DECORATION = /^\s*(?:([=\-*_~#+.·•─━═])\s?\1(?:\s?\1)+|[-=+*_~]{3,}|(?:[-=+*~]{1,2}\s?){3,})\s*$/u;
const UNDERLINE = /^\s*(=+|-+)\s*$/;
const LIST_ITEM = /^(\s*)(?:[-*+•·▪◦]|(\d{1,3})[.)])\s+(.*)$/u;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

/** True for a decoration line: a rule that carries no words. */
export function isDecorationLine(line: string): boolean {
  return line.trim().length >= 3 && DECORATION.test(line) && !hasWords(line);
}

function emitParagraph(lines: readonly string[], builder: SectionBuilder): void {
  if (lines.length >= 2 && lines.every((line) => TABLE_ROW.test(line) || TABLE_SEPARATOR.test(line))) {
    const rows = lines.filter((line) => !TABLE_SEPARATOR.test(line)).map((line) => splitTableRow(line).map((cell) => ({ text: escapeInline(cell) })));
    const marked = TABLE_SEPARATOR.test(lines[1] ?? '');
    const block = tableBlock(marked ? [rows[0]?.map((cell) => ({ ...cell, header: true })) ?? [], ...rows.slice(1)] : rows);
    if (block) {
      builder.block(block);
      return;
    }
  }
  let text: string[] = [];
  const indents: number[] = [];
  let item: { depth: number; ordered: boolean; number?: number; text: string } | undefined;
  const endItem = (): void => {
    if (item) builder.listItem(item);
    item = undefined;
  };
  const endText = (): void => {
    if (text.length > 0) builder.paragraph(escapeParagraph(text.join('\n')));
    text = [];
  };
  for (const line of lines) {
    const match = LIST_ITEM.exec(line);
    if (match) {
      endText();
      endItem();
      const indent = (match[1] ?? '').replace(/\t/g, '    ').length;
      while (indents.length > 0 && (indents.at(-1) ?? 0) > indent) indents.pop();
      if (indents.length === 0 || (indents.at(-1) ?? 0) < indent) indents.push(indent);
      const number = match[2] === undefined ? undefined : Number.parseInt(match[2], 10);
      item = { depth: indents.length - 1, ordered: number !== undefined, text: escapeInline(match[3] ?? ''), ...(number === undefined ? {} : { number }) };
    } else if (item) {
      item.text += ` ${escapeInline(line.trim())}`;
    } else {
      text.push(line.trim());
    }
  }
  endItem();
  endText();
}

/**
 * Reads a text file into sections.
 *
 * @example
 *   loadPlainText({ path: 'ship.txt', text: 'Shipping\n========\n\nWe ship worldwide.' }).sections
 *   // [{ text: 'We ship worldwide.', headingPath: ['Shipping'] }]
 */
export function loadPlainText({ path, text }: { path: string; text: string }): ParsedDocument {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((line) => line.replace(/[ \t\u00a0\u3000]+$/g, '').replace(/\u00a0|\u3000/g, ' '));
  const cleanup: CleanupCounts = { repeatedLines: 0, pageNumbers: 0, decorationLines: 0, headingEchoes: 0 };
  const builder = createSectionBuilder();
  let firstLine: TitleCandidate | undefined;
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length > 0) emitParagraph(paragraph, builder);
    paragraph = [];
  };

  // A short standalone first line (no sentence punctuation, a blank line after it) names the document.
  let start = 0;
  while (start < lines.length && !lines[start]?.trim()) start++;
  const first = lines[start]?.trim() ?? '';
  const afterFirst = lines[start + 1] ?? '';
  if (first && first.length <= 80 && !afterFirst.trim() && !/[.。!！?？;；:：,，]$/u.test(first) && hasWords(first) && !LIST_ITEM.test(first) && !isDecorationLine(first)) {
    const rest = lines.slice(start + 1).some((line) => hasWords(line));
    if (rest) {
      firstLine = { text: first, source: 'first-line' };
      start++;
    }
  }

  for (let index = start; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const next = lines[index + 1] ?? '';
    if (!line.trim()) {
      flush();
      continue;
    }
    if (hasWords(line) && !LIST_ITEM.test(line) && UNDERLINE.test(next) && next.trim().length >= 3 && paragraph.length === 0) {
      flush();
      builder.heading({ level: next.trim().startsWith('=') ? 1 : 2, text: line.trim() });
      cleanup.decorationLines++;
      index++;
      continue;
    }
    if (isDecorationLine(line)) {
      // Borders between the rows of a text table (`+----+----+`) go without ending the table.
      if (!TABLE_ROW.test(paragraph.at(-1) ?? '')) flush();
      cleanup.decorationLines++;
      continue;
    }
    paragraph.push(line);
  }
  flush();

  const candidates = titleCandidates({ path, candidates: [...headingCandidates(builder.headings()), firstLine] });
  // A first line standing alone comes before any heading in preference only when no heading opens the text.
  const ordered = firstLine && !builder.headings().some((heading) => heading.opening) ? [firstLine, ...candidates.filter((candidate) => candidate.text !== firstLine.text)] : candidates;
  const document: ParsedDocument = {
    type: 'text',
    title: ordered[0]?.text ?? '',
    titleCandidates: ordered,
    sections: builder.sections(),
    ...(cleanup.decorationLines > 0 ? { cleanup } : {}),
  };
  return requireBody(document, { path, headings: builder.headings().length });
}
