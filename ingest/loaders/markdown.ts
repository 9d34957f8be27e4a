/**
 * Markdown loader: a new section at every ATX (#, ##, …) or setext heading, with the heading path
 * from the outermost heading in. Front matter `title:` wins as the title, then the first level-1
 * heading, then the file name. Code fences are kept as text (their headings-looking lines are not
 * headings); light inline syntax (emphasis, links, images) is reduced to its words.
 */
import type { ParsedDocument, Section } from '../types.ts';
import { hasWords, tidyLines, titleFromPath } from './shared.ts';

/** Removes inline Markdown syntax so cited text reads as prose. */
export function stripInlineMarkdown(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\((?:[^)]*)\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<(https?:\/\/[^>]+)>/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(^|[^\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?!\w)/g, '$1$2')
    .replace(/(^|[^\w_])_(?=\S)([^_]+?)(?<=\S)_(?!\w)/g, '$1$2')
    .replace(/~~(.+?)~~/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '');
}

function parseFrontMatter(text: string): { title?: string; body: string } {
  const match = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text);
  if (!match) return { body: text };
  const titleLine = /^title:[ \t]*(.+)$/m.exec(match[1] ?? '');
  const title = titleLine?.[1]?.trim().replace(/^(["'])(.*)\1$/, '$2').trim();
  return { body: text.slice(match[0].length), ...(title ? { title } : {}) };
}

function tableRowText(line: string): string | undefined {
  if (/^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/.test(line)) return undefined; // the |---|---| separator
  return line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim())
    .join(' | ');
}

/**
 * Parses Markdown text into sections.
 *
 * @example
 *   parseMarkdown({ text: '# Returns\n## Refunds\nWithin 5 days.', fallbackTitle: 'x' }).sections[0]
 *   // { text: 'Within 5 days.', headingPath: ['Returns', 'Refunds'] }
 */
export function parseMarkdown({ text, fallbackTitle }: { text: string; fallbackTitle: string }): ParsedDocument {
  const { title: frontMatterTitle, body } = parseFrontMatter(text.replace(/\r\n?/g, '\n'));
  const lines = body.replace(/<!--[\s\S]*?-->/g, '').split('\n');
  const sections: Section[] = [];
  const headings: { level: number; text: string }[] = [];
  let buffer: string[] = [];
  let firstHeading: string | undefined;
  let fence: string | undefined;

  const flush = (): void => {
    const sectionText = tidyLines(buffer.join('\n'));
    buffer = [];
    if (hasWords(sectionText)) sections.push({ text: sectionText, headingPath: headings.map((heading) => heading.text) });
  };
  const openHeading = (level: number, headingText: string): void => {
    flush();
    while (headings.length > 0 && (headings.at(-1)?.level ?? 0) >= level) headings.pop();
    const clean = stripInlineMarkdown(headingText).trim();
    if (!clean) return;
    headings.push({ level, text: clean });
    if (level === 1 && firstHeading === undefined) firstHeading = clean;
  };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1]?.[0] === fence[0] && (fenceMatch[1]?.length ?? 0) >= fence.length) fence = undefined;
      else buffer.push(line);
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    const atx = /^\s{0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) {
      openHeading(atx[1]?.length ?? 1, atx[2] ?? '');
      continue;
    }
    const next = lines[index + 1] ?? '';
    if (line.trim() && !/^\s*([-*+]|\d+[.)])\s/.test(line) && /^\s{0,3}(=+|-+)\s*$/.test(next) && (buffer.at(-1)?.trim() ?? '') === '') {
      openHeading(next.trim().startsWith('=') ? 1 : 2, line.trim());
      index++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      buffer.push('');
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line)) {
      const row = tableRowText(line.trim());
      // A blank line after each row: rows are separate statements, not a wrapped sentence.
      if (row !== undefined) buffer.push(stripInlineMarkdown(row), '');
      continue;
    }
    buffer.push(stripInlineMarkdown(line.replace(/^\s{0,3}>\s?/, '')));
  }
  flush();
  return { type: 'markdown', title: frontMatterTitle ?? firstHeading ?? fallbackTitle, sections };
}

export function loadMarkdownText({ path, text }: { path: string; text: string }): ParsedDocument {
  return parseMarkdown({ text, fallbackTitle: titleFromPath(path) });
}
