// The Markdown subset kefu writes in answers and keeps in document text (see src/text/markdown.ts, whose
// parseBlocks this mirrors; test/markdown-parity.test.ts checks they agree), rendered as DOM nodes.
// Nothing is ever parsed as HTML: every piece of text becomes a text node, so `<script>` or
// `<img onerror>` in an answer or a document is shown as the characters it is. Links are kept only for
// http(s) URLs and for links the caller allows (to cited documents); anything else is shown as its text.
//
//   import { renderMarkdown } from '/markdown.js';
//   bubble.replaceChildren(renderMarkdown('| Plan | Price |\n| --- | --- |\n| Basic | $5 |', { citationHref: (n) => `#source-${n}` }));

const LIST_ITEM = /^(\s*)([-*+•]|\d{1,3}[.)])\s+(.*)$/u;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

/** Splits a table row into cells, honouring `\|` escapes. */
export function splitTableRow(line) {
  const trimmed = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  const cells = [];
  let current = '';
  for (let index = 0; index < trimmed.length; index++) {
    const char = trimmed[index];
    if (char === '\\' && trimmed[index + 1] === '|') {
      current += '|';
      index++;
    } else if (char === '|') {
      cells.push(current.trim());
      current = '';
    } else current += char;
  }
  cells.push(current.trim());
  return cells;
}

/** Parses the subset into blocks: paragraph, list (items with depth), table (header, rows), code. */
export function parseBlocks(markdown) {
  const lines = String(markdown).replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let paragraph = [];
  let list;
  let indentUnit = 2;
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', text: paragraph.join('\n') });
    paragraph = [];
  };
  const endList = () => {
    if (list) blocks.push(list);
    list = undefined;
  };
  // Index of the next non-blank line after each line, found once (a blank-line run must not cost n² look-aheads).
  const nextNonBlank = new Array(lines.length);
  for (let index = lines.length - 1, next = -1; index >= 0; index--) {
    nextNonBlank[index] = next;
    if ((lines[index] ?? '').trim()) next = index;
  }
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      endList();
      const marker = fence[1];
      const code = [];
      index++;
      while (index < lines.length && !(lines[index] ?? '').trim().startsWith(marker)) code.push(lines[index++] ?? '');
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    if (!line.trim()) {
      endParagraph();
      const next = nextNonBlank[index] >= 0 ? lines[nextNonBlank[index]] : undefined;
      if (list && !(next && LIST_ITEM.test(next))) endList();
      continue;
    }
    if (TABLE_ROW.test(line)) {
      endParagraph();
      endList();
      const rows = [];
      let header = [];
      const first = splitTableRow(line);
      if (TABLE_SEPARATOR.test(lines[index + 1] ?? '')) {
        header = first;
        index += 2;
      } else {
        rows.push(first);
        index++;
      }
      while (index < lines.length && TABLE_ROW.test(lines[index] ?? '')) rows.push(splitTableRow(lines[index++] ?? ''));
      index--;
      blocks.push({ kind: 'table', header, rows });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      endParagraph();
      const indent = (item[1] ?? '').replace(/\t/g, '  ').length;
      const marker = item[2] ?? '-';
      const ordered = /\d/.test(marker);
      if (!list) {
        list = { kind: 'list', ordered, items: [] };
        indentUnit = 2;
      }
      if (indent > 0 && list.items.length > 0 && indent < indentUnit) indentUnit = Math.max(1, indent);
      const previousDepth = list.items.length > 0 ? list.items[list.items.length - 1].depth : -1;
      const depth = Math.min(Math.floor(indent / indentUnit), previousDepth + 1);
      const entry = { text: item[3] ?? '', depth };
      if (ordered) entry.number = Number.parseInt(marker, 10);
      list.items.push(entry);
      continue;
    }
    if (list && /^\s+\S/.test(line)) {
      const last = list.items[list.items.length - 1];
      if (last) last.text += ` ${line.trim()}`;
      continue;
    }
    endList();
    paragraph.push(line.trim());
  }
  endParagraph();
  endList();
  return blocks;
}

const CITATION = /\[(\d{1,3})\]/y;
const LINK = /\[([^\]\n]{1,500})\]\(\s*([^()\s]{1,2000})\s*\)/y;
const ESCAPABLE = '\\`*_[]()|#+-.!';

/**
 * Parses inline syntax into tokens: text, bold (children), code, link (text, url), citation (n).
 * One pass, no backtracking: a `**` without its pair is text.
 */
export function parseInline(text) {
  const tokens = [];
  let buffer = '';
  const flush = () => {
    if (buffer) tokens.push({ kind: 'text', text: buffer });
    buffer = '';
  };
  let noMoreBold = false;
  let noMoreCode = false;
  for (let index = 0; index < text.length; ) {
    const char = text[index];
    if (char === '\\' && ESCAPABLE.includes(text[index + 1] ?? '')) {
      buffer += text[index + 1];
      index += 2;
      continue;
    }
    // Bold is `**text**` only: `__` appears in identifiers (__init__, window.__x) far more than as emphasis.
    if (char === '*' && text[index + 1] === '*' && !noMoreBold) {
      const marker = '**';
      const close = text.indexOf(marker, index + 2);
      if (close < 0) noMoreBold = true;
      else if (close > index + 2 && !/\s/.test(text[index + 2]) && !/\s/.test(text[close - 1])) {
        flush();
        tokens.push({ kind: 'bold', children: parseInline(text.slice(index + 2, close)) });
        index = close + 2;
        continue;
      }
    }
    if (char === '`' && !noMoreCode) {
      const close = text.indexOf('`', index + 1);
      if (close < 0) noMoreCode = true;
      else if (close > index + 1) {
        flush();
        tokens.push({ kind: 'code', text: text.slice(index + 1, close) });
        index = close + 1;
        continue;
      }
    }
    if (char === '[') {
      CITATION.lastIndex = index;
      const citation = CITATION.exec(text);
      if (citation) {
        flush();
        tokens.push({ kind: 'citation', n: Number(citation[1]) });
        index = CITATION.lastIndex;
        continue;
      }
      LINK.lastIndex = index;
      const link = LINK.exec(text);
      if (link) {
        flush();
        tokens.push({ kind: 'link', text: link[1], url: link[2] });
        index = LINK.lastIndex;
        continue;
      }
    }
    buffer += char;
    index++;
  }
  flush();
  return tokens;
}

/** True for absolute http(s) URLs: the only outside links an answer or a document may carry. */
export function isWebUrl(url) {
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

function appendTokens(parent, tokens, options) {
  for (const token of tokens) {
    if (token.kind === 'text') parent.append(document.createTextNode(token.text));
    else if (token.kind === 'bold') {
      const strong = document.createElement('strong');
      appendTokens(strong, token.children, options);
      parent.append(strong);
    } else if (token.kind === 'code') {
      const code = document.createElement('code');
      code.textContent = token.text;
      parent.append(code);
    } else if (token.kind === 'citation') {
      const href = options.citationHref ? options.citationHref(token.n) : undefined;
      if (href) {
        const link = document.createElement('a');
        link.className = 'citation-ref';
        link.href = href;
        link.textContent = `[${token.n}]`;
        link.dataset.citation = String(token.n);
        parent.append(link);
      } else parent.append(document.createTextNode(`[${token.n}]`));
    } else if (token.kind === 'link') {
      const internal = options.allowLink ? options.allowLink(token.url) : false;
      if (isWebUrl(token.url) || internal) {
        const link = document.createElement('a');
        link.href = token.url;
        link.textContent = token.text;
        if (!internal) {
          link.target = '_blank';
          link.rel = 'noopener noreferrer nofollow';
        }
        parent.append(link);
      } else {
        // A javascript:, data: or other link is shown as its text only.
        parent.append(document.createTextNode(token.text));
      }
    }
  }
}

function appendList(parent, block, options) {
  const tag = block.ordered ? 'ol' : 'ul';
  const root = document.createElement(tag);
  if (block.ordered && block.items[0]?.number && block.items[0].number !== 1) root.start = block.items[0].number;
  // stack[d] is the list element at depth d; an item deeper than the last opens a nested list inside it.
  const stack = [root];
  let lastItem;
  for (const item of block.items) {
    while (stack.length - 1 > item.depth) stack.pop();
    if (item.depth > stack.length - 1 && lastItem) {
      const nested = document.createElement(block.ordered ? 'ol' : 'ul');
      lastItem.append(nested);
      stack.push(nested);
    }
    const li = document.createElement('li');
    appendTokens(li, parseInline(item.text), options);
    stack[stack.length - 1].append(li);
    lastItem = li;
  }
  parent.append(root);
}

function appendTable(parent, block, options) {
  const width = Math.max(block.header.length, ...block.rows.map((row) => row.length), 1);
  // Wide tables scroll sideways inside their own box instead of stretching the message.
  const scroller = document.createElement('div');
  scroller.className = 'table-scroll';
  scroller.tabIndex = 0;
  const table = document.createElement('table');
  if (block.header.some(Boolean)) {
    const head = document.createElement('thead');
    const row = document.createElement('tr');
    for (let index = 0; index < width; index++) {
      const cell = document.createElement('th');
      cell.scope = 'col';
      appendTokens(cell, parseInline(block.header[index] ?? ''), options);
      row.append(cell);
    }
    head.append(row);
    table.append(head);
  }
  const body = document.createElement('tbody');
  for (const cells of block.rows) {
    const row = document.createElement('tr');
    for (let index = 0; index < width; index++) {
      const cell = document.createElement('td');
      appendTokens(cell, parseInline(cells[index] ?? ''), options);
      row.append(cell);
    }
    body.append(row);
  }
  table.append(body);
  scroller.append(table);
  parent.append(scroller);
}

/** A paragraph's soft line breaks become spaces, or nothing between Chinese characters. */
function joinSoftBreaks(text) {
  return text.replace(/\s*\n\s*/g, (match, offset, whole) => (/\p{Script=Han}/u.test(whole[offset - 1] ?? '') && /\p{Script=Han}/u.test(whole[offset + match.length] ?? '') ? '' : ' '));
}

/**
 * Renders Markdown of the subset as a DocumentFragment of DOM nodes.
 * options.citationHref(n) → href for an `[n]` marker (or undefined: shown as text);
 * options.allowLink(url) → true for a relative link that may stay a link (a cited document).
 */
export function renderMarkdown(markdown, options = {}) {
  const fragment = document.createDocumentFragment();
  for (const block of parseBlocks(markdown)) {
    if (block.kind === 'paragraph') {
      const paragraph = document.createElement('p');
      appendTokens(paragraph, parseInline(joinSoftBreaks(block.text)), options);
      fragment.append(paragraph);
    } else if (block.kind === 'list') appendList(fragment, block, options);
    else if (block.kind === 'table') appendTable(fragment, block, options);
    else {
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = block.text;
      pre.append(code);
      fragment.append(pre);
    }
  }
  return fragment;
}

/** The text without Markdown syntax (for matching a quote against rendered text). */
export function plainText(markdown) {
  return parseBlocks(markdown)
    .map((block) => {
      const inline = (text) => parseInline(text).map(tokenText).join('');
      if (block.kind === 'paragraph') return inline(joinSoftBreaks(block.text));
      if (block.kind === 'list') return block.items.map((item) => inline(item.text)).join('\n');
      if (block.kind === 'table') return [block.header, ...block.rows].map((row) => row.map(inline).join(' ')).join('\n');
      return block.text;
    })
    .join('\n');
}

function tokenText(token) {
  if (token.kind === 'bold') return token.children.map(tokenText).join('');
  if (token.kind === 'citation') return '';
  return token.text ?? '';
}
