/**
 * HTML loader (node-html-parser): the page's content as sections of the Markdown subset, h1–h6 as the
 * heading path, `<title>` as the first title candidate. Paragraphs stay paragraphs, `<ul>/<ol>` become
 * lists (nested, ordered lists numbered from their `start`), tables become pipe tables with a header row
 * (spans expanded; a table inside a list item ends the list and the list goes on after it), `<pre>` is
 * a code block. Inline, only bold and absolute http(s) links survive; images give their alt text;
 * scripts, styles, navigation and forms are dropped; `javascript:` and other links become plain text.
 * If the page marks its main content (<main>, role=main, a single <article>) only that is read.
 * The DOCX loader (mammoth's HTML) and HTML blocks inside Markdown use the same walk.
 */
import { parse, NodeType, type HTMLElement, type Node } from 'node-html-parser';
import type { DocumentType, ParsedDocument } from '../types.ts';
import { hasWords, requireBody, titleCandidates } from './shared.ts';
import { createSectionBuilder, escapeInline, escapeLineStart, headingCandidates, safeLinkTarget, tableBlock, type SectionBuilder, type TableCell } from './structure.ts';

const DROPPED = 'script, style, noscript, template, svg, iframe, object, embed, canvas, nav, [role=navigation], [aria-hidden=true], [hidden], form, button, select, textarea, input, dialog';
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'center', 'details', 'div', 'dl', 'dt', 'dd', 'fieldset', 'figcaption', 'figure',
  'footer', 'header', 'hr', 'html', 'li', 'main', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'tfoot', 'thead', 'tr', 'td', 'th', 'ul',
]);
const PARSE_OPTIONS = { comment: false, blockTextElements: { script: false, style: false, noscript: false, template: false } } as const;

/** Parses HTML text into a DOM whose script, style and template contents are already gone. */
export function parseHtmlDom(html: string): HTMLElement {
  const root = parse(html, PARSE_OPTIONS);
  for (const element of root.querySelectorAll(DROPPED)) element.remove();
  return root;
}

function tagOf(node: Node): string {
  return node.nodeType === NodeType.ELEMENT_NODE ? ((node as HTMLElement).rawTagName ?? '').toLowerCase() : '';
}

function isElement(node: Node): node is HTMLElement {
  return node.nodeType === NodeType.ELEMENT_NODE;
}

/** Picks the element holding the page's content, so site headers and footers stay out. */
function contentRoot(root: HTMLElement): HTMLElement {
  const main = root.querySelector('main') ?? root.querySelector('[role=main]');
  if (main) return main;
  const articles = root.querySelectorAll('article');
  if (articles.length === 1 && articles[0]) return articles[0];
  const body = root.querySelector('body');
  if (body) {
    // Without a marked main area, page-level header/footer are usually site furniture.
    for (const element of body.childNodes) {
      if (isElement(element) && ['header', 'footer'].includes(tagOf(element))) element.remove();
    }
    return body;
  }
  return root;
}

/** Inline text as it sits in a buffer: spaces collapsed, each line trimmed, no blank lines. */
function tidyInline(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0\u3000]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

function hasBlockChild(element: HTMLElement): boolean {
  return element.childNodes.some((child) => isElement(child) && (BLOCK.has(tagOf(child)) || /^h[1-6]$/.test(tagOf(child)) || hasBlockChild(child)));
}

interface ListContext {
  depth: number;
  ordered: boolean;
  counter: number;
}

/**
 * Walks HTML content into a section builder: headings, paragraphs, lists, tables and code.
 *
 * @example
 *   const builder = createSectionBuilder();
 *   emitHtml({ root: parseHtmlDom('<h2>Costs</h2><ol><li>Pay</li></ol>'), builder });
 *   builder.sections() // [{ text: '1. Pay', headingPath: ['Costs'] }]
 */
export function emitHtml({ root, builder }: { root: Node; builder: SectionBuilder }): void {
  let buffer = '';
  const lists: ListContext[] = [];
  /** The list item whose text is being collected, if any. */
  let item: { depth: number; ordered: boolean; number?: number } | undefined;

  const flush = (): void => {
    const text = tidyInline(buffer);
    buffer = '';
    if (!hasWords(text)) return;
    if (item) {
      builder.listItem({ text: text.replace(/\n/g, ' '), ...item });
      // Text after a nested block inside the same <li> becomes a further item at the same depth.
      item = { depth: item.depth, ordered: item.ordered };
    } else {
      builder.paragraph(text.split('\n').map(escapeLineStart).join('\n'));
    }
  };

  /** Collects an element's inline content alone (for bold, links, headings, cells). */
  const inlineOf = (element: HTMLElement): string => {
    const saved = buffer;
    buffer = '';
    for (const child of element.childNodes) walk(child);
    const inner = buffer;
    buffer = saved;
    return inner;
  };

  const wrap = (inner: string, open: string, close: string): string => {
    const core = inner.trim();
    if (!hasWords(core) || core.includes('\n')) return inner;
    const lead = /^\s/.test(inner) ? ' ' : '';
    const trail = /\s$/.test(inner) ? ' ' : '';
    return `${lead}${open}${core}${close}${trail}`;
  };

  const table = (element: HTMLElement): void => {
    flush();
    const rows: TableCell[][] = [];
    const visitRows = (parent: HTMLElement, inHead: boolean): void => {
      for (const child of parent.childNodes) {
        if (!isElement(child)) continue;
        const tag = tagOf(child);
        if (tag === 'thead' || tag === 'tbody' || tag === 'tfoot') visitRows(child, tag === 'thead');
        else if (tag === 'tr') {
          const cells: TableCell[] = [];
          for (const cell of child.childNodes) {
            if (!isElement(cell) || !['td', 'th'].includes(tagOf(cell))) continue;
            const text = tidyInline(cellText(cell)).replace(/\n/g, ' ');
            cells.push({
              text,
              colspan: Number.parseInt(cell.getAttribute('colspan') ?? '1', 10) || 1,
              rowspan: Number.parseInt(cell.getAttribute('rowspan') ?? '1', 10) || 1,
              header: inHead || tagOf(cell) === 'th',
            });
          }
          rows.push(cells);
        }
      }
    };
    const caption = element.childNodes.find((child) => tagOf(child) === 'caption');
    if (caption && isElement(caption)) {
      buffer = inlineOf(caption);
      const saved = item;
      item = undefined;
      flush();
      item = saved;
    }
    visitRows(element, false);
    const block = tableBlock(rows);
    if (block) builder.block(block);
  };

  /** A cell's content as one line of inline Markdown; blocks inside a cell (p, lists, tables) are joined by spaces. */
  const cellText = (cell: HTMLElement): string => {
    const saved = buffer;
    const savedItem = item;
    buffer = '';
    item = undefined;
    const collect = (node: Node): void => {
      if (isElement(node)) {
        const tag = tagOf(node);
        if (BLOCK.has(tag) || /^h[1-6]$/.test(tag) || tag === 'br') {
          buffer += ' ';
          if (tag !== 'br') for (const child of node.childNodes) collect(child);
          buffer += ' ';
          return;
        }
      }
      if (isElement(node) && ['strong', 'b', 'a', 'img'].includes(tagOf(node)) && !hasBlockChild(node)) {
        walk(node);
        return;
      }
      if (isElement(node)) {
        for (const child of node.childNodes) collect(child);
        return;
      }
      walk(node);
    };
    for (const child of cell.childNodes) collect(child);
    const text = buffer;
    buffer = saved;
    item = savedItem;
    return text;
  };

  const list = (element: HTMLElement, ordered: boolean): void => {
    flush();
    const depth = lists.length;
    const start = Number.parseInt(element.getAttribute('start') ?? '1', 10);
    lists.push({ depth, ordered, counter: Number.isFinite(start) ? start : 1 });
    const context = lists.at(-1) as ListContext;
    const savedItem = item;
    for (const child of element.childNodes) {
      if (!isElement(child)) {
        if (hasWords(child.text)) {
          item = { depth, ordered: false };
          buffer += escapeInline(child.text.replace(/\s+/g, ' '));
          flush();
        }
        continue;
      }
      if (tagOf(child) === 'li') {
        const value = Number.parseInt(child.getAttribute('value') ?? '', 10);
        if (Number.isFinite(value)) context.counter = value;
        item = ordered ? { depth, ordered, number: context.counter } : { depth, ordered };
        for (const grandchild of child.childNodes) walk(grandchild);
        flush();
        context.counter++;
      } else {
        item = { depth, ordered };
        walk(child);
        flush();
      }
    }
    lists.pop();
    item = savedItem;
  };

  const walk = (node: Node): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      buffer += escapeInline(node.text.replace(/\s+/g, ' '));
      return;
    }
    if (!isElement(node)) return;
    const tag = tagOf(node);
    const headingLevel = /^h([1-6])$/.exec(tag)?.[1];
    if (headingLevel) {
      flush();
      const savedItem = item;
      builder.heading({ level: Number(headingLevel), text: node.text.replace(/\s+/g, ' ').trim() });
      item = savedItem;
      return;
    }
    switch (tag) {
      case 'br':
        buffer += '\n';
        return;
      case 'hr':
        flush();
        return;
      case 'img': {
        const alt = node.getAttribute('alt')?.replace(/\s+/g, ' ').trim();
        if (alt) buffer += ` ${escapeInline(alt)} `;
        return;
      }
      case 'pre': {
        flush();
        const code = node.text.replace(/\r\n?/g, '\n').replace(/^\n+|\s+$/g, '');
        // A line that starts like a fence would end the code block early.
        if (hasWords(code)) builder.block({ kind: 'code', text: code.replace(/^(\s*)(`{3,}|~{3,})/gm, '$1 $2') });
        return;
      }
      case 'table':
        table(node);
        return;
      case 'ul':
      case 'ol':
      case 'menu':
        list(node, tag === 'ol');
        return;
      case 'dt':
        flush();
        buffer = wrap(inlineOf(node), '**', '**');
        flush();
        return;
      case 'strong':
      case 'b': {
        if (hasBlockChild(node)) break;
        buffer += wrap(inlineOf(node), '**', '**');
        return;
      }
      case 'a': {
        if (hasBlockChild(node)) break;
        const inner = inlineOf(node);
        const target = safeLinkTarget(node.getAttribute('href'));
        const text = inner.trim();
        if (target && hasWords(text) && !text.includes('\n') && !/\[|\]/.test(text.replace(/\\[[\]]/g, ''))) buffer += `${/^\s/.test(inner) ? ' ' : ''}[${text}](${target})${/\s$/.test(inner) ? ' ' : ''}`;
        else buffer += inner;
        return;
      }
      default:
        break;
    }
    const block = BLOCK.has(tag);
    if (block) flush();
    for (const child of node.childNodes) walk(child);
    if (block) flush();
  };

  walk(root);
  flush();
}

/**
 * Parses HTML into sections.
 *
 * @example
 *   parseHtml({ html: '<h1>Returns</h1><p>30 days.</p>', path: 'returns.html', type: 'html' }).sections
 *   // [{ text: '30 days.', headingPath: ['Returns'] }]
 */
export function parseHtml({ html, path, type }: { html: string; path: string; type: DocumentType }): ParsedDocument {
  const root = parseHtmlDom(html);
  const pageTitle = root.querySelector('title')?.text.replace(/\s+/g, ' ').trim();
  root.querySelector('head')?.remove();
  const builder = createSectionBuilder();
  emitHtml({ root: contentRoot(root), builder });
  const candidates = titleCandidates({ path, candidates: [pageTitle ? { text: pageTitle, source: 'metadata' } : undefined, ...headingCandidates(builder.headings())] });
  const document: ParsedDocument = { type, title: candidates[0]?.text ?? '', titleCandidates: candidates, sections: builder.sections() };
  return requireBody(document, { path, headings: builder.headings().length });
}

export function loadHtmlText({ path, text }: { path: string; text: string }): ParsedDocument {
  return parseHtml({ html: text, path, type: 'html' });
}
