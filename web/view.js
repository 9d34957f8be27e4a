// The readable view of a cited document: /view.html?doc=<docPath>&chunk=<chunkId>&q=<quoted passage>.
// The server sends the document as sections (headings + Markdown-subset text); they are built here as DOM
// nodes by markdown.js, never from the document's own markup, and the quoted passage is highlighted.
import { plainText, renderMarkdown } from '/markdown.js';

const params = new URLSearchParams(location.search);
const language = params.get('lang') === 'zh' || (!params.get('lang') && (navigator.language || '').toLowerCase().startsWith('zh')) ? 'zh' : 'en';
const strings = {
  en: { source: 'Source', original: 'Original file', notFound: 'This document is not available.', page: 'Page' },
  zh: { source: '来源', original: '原始文件', notFound: '无法打开此文档。', page: '第 {n} 页' },
};
const t = (key) => strings[language][key];

const title = document.getElementById('view-title');
const body = document.getElementById('view-body');
const original = document.getElementById('view-original');
document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
for (const element of document.querySelectorAll('[data-text]')) element.textContent = t(element.dataset.text);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Text for matching a quote against what is on the page: lower-cased, without any whitespace (table cells and
 * list items are separate text nodes on the page but spaced in the quote).
 */
const squash = (text) => text.replace(/\s+/g, '').toLowerCase();

/** Pieces of the quote worth finding: its sentences, list items or table rows, without Markdown syntax. */
function quotePieces(quote) {
  return plainText(quote)
    .split(/\n+|(?<=[.!?。！？；;])\s+/u)
    .map((piece) => piece.replace(/^[-*•\d.)\s]+/u, '').replace(/…$/u, '').trim())
    .filter((piece) => piece.length >= 6);
}

/**
 * Wraps every occurrence of `piece` inside `root` in <mark>, even when it spans several text nodes (bold,
 * links). Returns how many were marked.
 */
function markText(root, piece) {
  const target = squash(piece);
  if (!target) return 0;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  // The collapsed text of the block with, for each of its characters, the text node and offset it came from.
  const positions = [];
  let text = '';
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const value = node.nodeValue ?? '';
    for (let offset = 0; offset < value.length; offset++) {
      if (/\s/.test(value[offset])) continue;
      text += value[offset].toLowerCase();
      positions.push({ node, offset });
    }
  }
  const found = text.indexOf(target);
  if (found < 0) return 0;
  const start = positions[found];
  const end = positions[found + target.length - 1];
  // Split per text node between start and end and wrap each piece.
  const nodes = [];
  let inRange = false;
  const all = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = all.nextNode(); node; node = all.nextNode()) {
    if (node === start.node) inRange = true;
    if (inRange) nodes.push(node);
    if (node === end.node) break;
  }
  for (const node of nodes) {
    const from = node === start.node ? start.offset : 0;
    const to = node === end.node ? end.offset + 1 : (node.nodeValue ?? '').length;
    if (to <= from) continue;
    const middle = node.splitText(from);
    middle.splitText(to - from);
    const mark = element('mark', 'passage');
    middle.replaceWith(mark);
    mark.append(middle);
  }
  return 1;
}

function renderSections(view) {
  body.replaceChildren();
  let previous = [];
  let previousPage;
  const focusIndex = view.focus ? view.focus.section : -1;
  let focusElement;
  view.sections.forEach((section, index) => {
    if (section.page && section.page !== previousPage) {
      body.append(element('p', 'view-page', language === 'zh' ? t('page').replace('{n}', String(section.page)) : `${t('page')} ${section.page}`));
      previousPage = section.page;
    }
    // Headings that changed since the previous section open here (h2 for the outermost level).
    const path = section.headingPath ?? [];
    let same = 0;
    while (same < path.length && same < previous.length && path[same] === previous[same]) same++;
    for (let level = same; level < path.length; level++) {
      // The document's own top heading is already the page title.
      if (level === 0 && path[0] === view.title) continue;
      body.append(element(`h${Math.min(6, level + 2)}`, 'view-heading', path[level]));
    }
    previous = path;
    const block = element('section', 'view-section');
    block.dataset.section = String(index);
    block.append(renderMarkdown(section.text, {}));
    body.append(block);
    if (index === focusIndex) focusElement = block;
  });
  return focusElement;
}

function highlight(focusElement, view) {
  if (!focusElement) return;
  focusElement.classList.add('view-section-focus');
  focusElement.id = 'passage';
  const quote = params.get('q') ?? '';
  let marked = 0;
  for (const piece of quotePieces(quote)) marked += markText(focusElement, piece);
  // Without the quote (or when the answer reworded it), the passage the citation points to is marked instead.
  if (marked === 0 && view.focus?.text) for (const piece of quotePieces(view.focus.text)) marked += markText(focusElement, piece);
  if (marked === 0) focusElement.classList.add('view-whole');
  const first = focusElement.querySelector('mark.passage') ?? focusElement;
  first.scrollIntoView({ block: 'center' });
}

async function main() {
  const doc = params.get('doc') ?? '';
  const query = new URLSearchParams({ path: doc });
  if (params.get('chunk')) query.set('chunk', params.get('chunk'));
  try {
    const response = await fetch(`/api/document-view?${query}`);
    const view = await response.json();
    if (!response.ok) throw new Error(view.error?.message ?? response.statusText);
    document.title = `${view.title} · ${t('source')}`;
    title.textContent = view.title;
    original.href = view.original;
    original.hidden = false;
    highlight(renderSections(view), view);
  } catch (error) {
    title.textContent = t('notFound');
    body.replaceChildren(element('p', 'view-error', error instanceof Error ? error.message : String(error)));
  } finally {
    body.setAttribute('aria-busy', 'false');
  }
}

main();
