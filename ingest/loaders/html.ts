/**
 * HTML loader (node-html-parser): text in reading order with h1–h6 as the heading path, <title> as
 * the title. Scripts, styles, navigation and other page furniture are dropped; if the page marks its
 * main content (<main>, role=main, a single <article>) only that is read. Entities are decoded.
 * The DOCX loader reuses `parseHtml` on mammoth's output.
 */
import { parse, NodeType, type HTMLElement, type Node } from 'node-html-parser';
import type { ParsedDocument, Section, DocumentType } from '../types.ts';
import { hasWords, tidyLines, titleFromPath } from './shared.ts';

const DROPPED = 'script, style, noscript, template, svg, iframe, object, canvas, nav, [role=navigation], [aria-hidden=true], [hidden], form, button, select, dialog';
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'dd', 'details', 'div', 'dl', 'dt', 'fieldset',
  'figcaption', 'figure', 'footer', 'header', 'hr', 'li', 'main', 'ol', 'p', 'pre', 'section', 'summary', 'table',
  'tbody', 'tfoot', 'thead', 'tr', 'ul',
]);

function decodeEntities(text: string): string {
  // node-html-parser decodes entities in `.text`; this covers text taken from attributes or <pre>.
  return parse(`<p>${text.replace(/</g, '&lt;')}</p>`).text;
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
      if (element.nodeType === NodeType.ELEMENT_NODE && ['header', 'footer'].includes(((element as HTMLElement).rawTagName ?? '').toLowerCase())) {
        element.remove();
      }
    }
    return body;
  }
  return root;
}

/**
 * Parses HTML into sections.
 *
 * @example
 *   parseHtml({ html: '<h1>Returns</h1><p>30 days.</p>', fallbackTitle: 'x', type: 'html' }).sections
 *   // [{ text: '30 days.', headingPath: ['Returns'] }]
 */
export function parseHtml({ html, fallbackTitle, type }: { html: string; fallbackTitle: string; type: DocumentType }): ParsedDocument {
  const root = parse(html, { comment: false, blockTextElements: { script: false, style: false, noscript: false, pre: true } });
  const pageTitle = root.querySelector('title')?.text.replace(/\s+/g, ' ').trim();
  for (const element of root.querySelectorAll(DROPPED)) element.remove();
  root.querySelector('head')?.remove();

  const sections: Section[] = [];
  const headings: { level: number; text: string }[] = [];
  let buffer = '';
  let firstHeading: string | undefined;

  const flush = (): void => {
    const text = tidyLines(buffer);
    buffer = '';
    if (hasWords(text)) sections.push({ text, headingPath: headings.map((heading) => heading.text) });
  };

  const walk = (node: Node): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      buffer += node.text.replace(/\s+/g, ' ');
      return;
    }
    if (node.nodeType !== NodeType.ELEMENT_NODE) return;
    const element = node as HTMLElement;
    const tag = (element.rawTagName ?? '').toLowerCase();
    const headingLevel = /^h([1-6])$/.exec(tag)?.[1];
    if (headingLevel) {
      flush();
      const level = Number(headingLevel);
      const text = element.text.replace(/\s+/g, ' ').trim();
      while (headings.length > 0 && (headings.at(-1)?.level ?? 0) >= level) headings.pop();
      if (text) {
        headings.push({ level, text });
        if (firstHeading === undefined) firstHeading = text;
      }
      return;
    }
    if (tag === 'br') {
      buffer += '\n';
      return;
    }
    if (tag === 'pre') {
      buffer += `\n${decodeEntities(element.rawText)}\n`;
      return;
    }
    if (tag === 'img') {
      const alt = element.getAttribute('alt')?.trim();
      if (alt) buffer += ` ${alt} `;
      return;
    }
    const block = BLOCK.has(tag);
    if (block) buffer += tag === 'li' ? '\n- ' : '\n';
    if (tag === 'td' || tag === 'th') buffer += ' | ';
    for (const child of element.childNodes) walk(child);
    if (block) buffer += tag === 'p' || tag === 'table' ? '\n\n' : '\n';
  };

  walk(contentRoot(root));
  flush();
  // Table cells were written as "| a | b" per row: drop the leading separator.
  for (const section of sections) section.text = section.text.replace(/^\| /gm, '');
  return { type, title: pageTitle || firstHeading || fallbackTitle, sections };
}

export function loadHtmlText({ path, text }: { path: string; text: string }): ParsedDocument {
  return parseHtml({ html: text, fallbackTitle: titleFromPath(path), type: 'html' });
}
