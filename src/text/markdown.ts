/**
 * The Markdown subset kefu keeps inside chunk text and writes in answers, and the one parser and
 * renderer of it. Loaders write structure this way (tables with their header row, lists, steps);
 * the chunker cuts between blocks (a long table by rows, its header repeated); the composer picks a
 * paragraph's sentences, a list or table rows; the web chat renders the same subset as DOM nodes.
 *
 * The subset (a strict part of CommonMark + GFM tables):
 * - paragraphs, separated by a blank line (a single newline inside is a soft break);
 * - lists: `- item` / `* item` or `1. step`, nested by two spaces per level;
 * - tables: `| a | b |` rows, the second line `| --- | --- |`; a `|` inside a cell is written `\|`;
 * - code blocks fenced by three backticks;
 * - inline: `**bold**`, `[text](https://…)`, backslash escapes. Headings are never inside chunk text
 *   (they are the chunk's heading path).
 *
 * @example
 *   parseBlocks('| Plan | Price |\n| --- | --- |\n| Basic | $5 |')
 *   // [{ kind: 'table', header: ['Plan', 'Price'], rows: [['Basic', '$5']] }]
 *   toPlainText('- **Fast** shipping\n- [Track](https://x.y)') // "- Fast shipping\n- Track"
 */

export interface ListItem {
  text: string;
  /** 0 for top-level items, 1 for items nested once, … */
  depth: number;
  /** The number written for ordered items (1. 2. 3.), undefined for bullets. */
  number?: number;
}

export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; ordered: boolean; items: ListItem[] }
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'code'; text: string };

const LIST_ITEM = /^(\s*)([-*+•]|\d{1,3}[.)])\s+(.*)$/u;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

/** Splits a table row into cells, honouring `\|` escapes. */
export function splitTableRow(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  const cells: string[] = [];
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

/** A cell's text made safe for a table row: pipes escaped, line breaks folded. */
export function escapeCell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
}

/** Parses the subset into blocks. Anything unrecognised is paragraph text. */
export function parseBlocks(markdown: string): Block[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: Extract<Block, { kind: 'list' }> | undefined;
  let indentUnit = 2;

  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', text: paragraph.join('\n') });
    paragraph = [];
  };
  const endList = () => {
    if (list) blocks.push(list);
    list = undefined;
  };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      endList();
      const marker = fence[1] ?? '```';
      const code: string[] = [];
      index++;
      while (index < lines.length && !(lines[index] ?? '').trim().startsWith(marker)) code.push(lines[index++] ?? '');
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    if (!line.trim()) {
      endParagraph();
      // A blank line between items keeps the list going; anything else after it ends the list.
      const next = lines.slice(index + 1).find((candidate) => candidate.trim());
      if (list && !(next && LIST_ITEM.test(next))) endList();
      continue;
    }
    if (TABLE_ROW.test(line)) {
      endParagraph();
      endList();
      const rows: string[][] = [];
      let header: string[] = [];
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
      const depth = Math.min(Math.floor(indent / indentUnit), (list.items.at(-1)?.depth ?? -1) + 1);
      list.items.push({ text: item[3] ?? '', depth, ...(ordered ? { number: Number.parseInt(marker, 10) } : {}) });
      continue;
    }
    if (list && /^\s+\S/.test(line)) {
      // A continuation line of the last item.
      const last = list.items.at(-1);
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

/** An item's marker: its own number (steps nested under a bullet keep theirs), a top-level count in an ordered list, else '-'. */
function listMarker(block: Extract<Block, { kind: 'list' }>, item: ListItem, counter: number): string {
  if (item.number !== undefined && (block.ordered || item.depth > 0)) return `${item.number}.`;
  return block.ordered && item.depth === 0 ? `${counter}.` : '-';
}

/** Writes blocks back as Markdown of the subset. */
export function renderBlocks(blocks: readonly Block[]): string {
  return blocks.map(renderBlock).join('\n\n');
}

export function renderBlock(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return block.text;
    case 'code':
      return `\`\`\`\n${block.text}\n\`\`\``;
    case 'list': {
      let counter = 0;
      return block.items
        .map((item) => {
          if (item.depth === 0) counter++;
          return `${'  '.repeat(item.depth)}${listMarker(block, item, counter)} ${item.text}`;
        })
        .join('\n');
    }
    case 'table': {
      const width = Math.max(block.header.length, ...block.rows.map((row) => row.length), 1);
      const pad = (cells: readonly string[]) => Array.from({ length: width }, (_, index) => escapeCell(cells[index] ?? ''));
      const row = (cells: readonly string[]) => `| ${pad(cells).join(' | ')} |`;
      const header = block.header.length > 0 ? block.header : Array.from({ length: width }, () => '');
      return [row(header), `| ${Array.from({ length: width }, () => '---').join(' | ')} |`, ...block.rows.map(row)].join('\n');
    }
  }
}

/** Removes inline syntax: `**bold**` → bold, `[text](url)` → text, escapes → the character. */
export function stripInline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)\s]*\)/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\\([\\`*_[\]()|#+\-.!])/g, '$1');
}

export interface PlainTextOptions {
  /**
   * 'rows': a table row per line as "a | b | c" (header first), for people reading a terminal;
   * 'records': each row as "Header: cell; Header: cell", for search and embeddings (a row read alone
   * keeps the meaning of its cells).
   */
  tables?: 'rows' | 'records';
}

/** The text without Markdown syntax, structure kept as lines (CLI, channels, keyword and embedding text). */
export function blocksToPlainText(blocks: readonly Block[], options: PlainTextOptions = {}): string {
  const tables = options.tables ?? 'rows';
  return blocks
    .map((block) => {
      switch (block.kind) {
        case 'paragraph':
          return stripInline(block.text).replace(/\s*\n\s*/g, (match, offset: number, whole: string) => (/\p{Script=Han}/u.test(whole[offset - 1] ?? '') ? '' : ' '));
        case 'code':
          return block.text;
        case 'list': {
          let counter = 0;
          return block.items
            .map((item) => {
              if (item.depth === 0) counter++;
              return `${'  '.repeat(item.depth)}${listMarker(block, item, counter)} ${stripInline(item.text)}`;
            })
            .join('\n');
        }
        case 'table': {
          if (tables === 'records' && block.header.some(Boolean)) {
            return block.rows
              .map((row) => row.map((cell, index) => (block.header[index] ? `${stripInline(block.header[index] ?? '')}: ${stripInline(cell)}` : stripInline(cell))).filter((part) => part.trim() && !/:\s*$/.test(part)).join('; '))
              .join('\n');
          }
          return [block.header, ...block.rows].filter((row) => row.some(Boolean)).map((row) => row.map(stripInline).join(' | ')).join('\n');
        }
      }
    })
    .filter(Boolean)
    .join('\n\n');
}

export function toPlainText(markdown: string, options: PlainTextOptions = {}): string {
  return blocksToPlainText(parseBlocks(markdown), options);
}
