/**
 * Markdown loader (marked's lexer, CommonMark + GFM; nothing is ever rendered as HTML): a new section at
 * every ATX (#, ##, …) or setext heading, with the heading path from the outermost heading in. The
 * content is rewritten in the Markdown subset of `src/text/markdown.ts`: tables keep their header row,
 * lists stay lists (nested by two spaces, ordered lists numbered), code stays fenced, blockquotes become
 * paragraphs. Inline, bold and absolute http(s) links stay; emphasis, code spans, images (their alt
 * text) and other links are reduced to text. Raw HTML blocks go through the HTML loader's walk (so
 * `<script>` disappears and `<img>` leaves its alt text). Title candidates: front matter `title:`, the
 * headings that open the file, the file name.
 */
import { Lexer, type Token, type Tokens } from 'marked';
import type { ParsedDocument } from '../types.ts';
import { emitHtml, parseHtmlDom } from './html.ts';
import { decodeEntities, hasWords, requireBody, titleCandidates } from './shared.ts';
import { createSectionBuilder, escapeInline, escapeLineStart, headingCandidates, safeLinkTarget, tableBlock, type SectionBuilder, type TableCell } from './structure.ts';

function parseFrontMatter(text: string): { title?: string; body: string } {
  const match = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text);
  if (!match) return { body: text };
  const titleLine = /^title:[ \t]*(.+)$/m.exec(match[1] ?? '');
  const title = titleLine?.[1]?.trim().replace(/^(["'])(.*)\1$/, '$2').trim();
  return { body: text.slice(match[0].length), ...(title ? { title } : {}) };
}

/** Tags whose content is never text a customer should read. */
const SKIPPED_INLINE_TAGS = /^<(script|style|noscript|template|textarea|iframe|svg)\b/i;

/**
 * Inline tokens → inline Markdown of the subset. Literal text is escaped once per run, so `\*\*` in the
 * source (two escape tokens) stays literal.
 */
function inlineMarkdown(tokens: readonly Token[] | undefined): string {
  let out = '';
  let literal = '';
  let skipping: string | undefined;
  const take = (): string => {
    const escaped = escapeInline(literal);
    literal = '';
    return escaped;
  };
  for (const token of tokens ?? []) {
    if (skipping) {
      if (token.type === 'html' && new RegExp(`^</${skipping}\\s*>`, 'i').test(String(token.text))) skipping = undefined;
      continue;
    }
    switch (token.type) {
      case 'text':
        if (token.tokens && token.tokens.length > 0) {
          out += take() + inlineMarkdown(token.tokens);
        } else literal += decodeEntities(String(token.text));
        break;
      case 'escape':
        literal += String(token.text);
        break;
      case 'codespan':
        literal += decodeEntities(String(token.text));
        break;
      case 'image':
        literal += decodeEntities(String(token.text));
        break;
      case 'br':
        literal += '\n';
        break;
      case 'strong': {
        const inner = inlineMarkdown(token.tokens).trim();
        out += take() + (hasWords(inner) && !inner.includes('\n') && !inner.includes('**') ? `**${inner}**` : inner);
        break;
      }
      case 'link': {
        const link = token as Tokens.Link;
        const inner = (link.autolink ? escapeInline(link.text) : inlineMarkdown(link.tokens)).trim();
        const target = safeLinkTarget(link.href);
        const plainLabel = inner.replace(/\\[[\]]/g, '');
        out += take() + (target && hasWords(inner) && !/[[\]\n]/.test(plainLabel) ? `[${inner}](${target})` : inner);
        break;
      }
      case 'html': {
        const tag = String(token.text);
        const skipped = SKIPPED_INLINE_TAGS.exec(tag);
        if (skipped && !/\/>\s*$/.test(tag) && !new RegExp(`</${skipped[1]}\\s*>`, 'i').test(tag)) skipping = skipped[1];
        else if (/^<br\b/i.test(tag)) literal += '\n';
        else if (/^<img\b/i.test(tag)) {
          const alt = parseHtmlDom(tag).querySelector('img')?.getAttribute('alt')?.trim();
          if (alt) literal += ` ${alt} `;
        }
        break;
      }
      case 'checkbox':
        break;
      default:
        // em, del and anything unknown: their words only.
        if ('tokens' in token && Array.isArray(token.tokens)) out += take() + inlineMarkdown(token.tokens);
        else if ('text' in token && typeof token.text === 'string') literal += decodeEntities(token.text);
    }
  }
  return (out + take()).replace(/[ \t]+/g, ' ');
}

/** Heading text: inline Markdown without its markup. */
function headingText(tokens: readonly Token[] | undefined): string {
  return inlineMarkdown(tokens)
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\\([\\`*_[\]()|#+\-.!])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

function paragraphText(tokens: readonly Token[] | undefined): string {
  return inlineMarkdown(tokens)
    .split('\n')
    .map((line) => escapeLineStart(line.trim()))
    .filter(Boolean)
    .join('\n');
}

function tableCells(cells: readonly Tokens.TableCell[], header: boolean): TableCell[] {
  return cells.map((cell) => ({ text: inlineMarkdown(cell.tokens).replace(/\n/g, ' ').trim(), header }));
}

/** Walks block tokens into the builder. `depth` is the list nesting level of list items met here. */
function emitTokens(tokens: readonly Token[], builder: SectionBuilder, depth = 0): void {
  for (const token of tokens) {
    switch (token.type) {
      case 'heading':
        builder.heading({ level: (token as Tokens.Heading).depth, text: headingText(token.tokens) });
        break;
      case 'paragraph':
      case 'text':
        builder.paragraph(paragraphText(token.tokens ?? [{ type: 'text', raw: String(token.text), text: String(token.text) }]));
        break;
      case 'blockquote':
        emitTokens(token.tokens ?? [], builder, depth);
        break;
      case 'code': {
        const code = String(token.text).replace(/^(\s*)(`{3,}|~{3,})/gm, '$1 $2');
        if (hasWords(code)) builder.block({ kind: 'code', text: code });
        break;
      }
      case 'table': {
        const table = token as Tokens.Table;
        const block = tableBlock([tableCells(table.header, true), ...table.rows.map((row) => tableCells(row, false))]);
        if (block) builder.block(block);
        break;
      }
      case 'list':
        emitList(token as Tokens.List, builder, depth);
        break;
      case 'html':
        emitHtml({ root: parseHtmlDom(String(token.text)), builder });
        break;
      default:
        // space, hr, def (link definitions are already applied to the links): nothing to show.
        break;
    }
  }
}

function emitList(list: Tokens.List, builder: SectionBuilder, depth: number): void {
  let number = typeof list.start === 'number' ? list.start : 1;
  for (const item of list.items) {
    let text = '';
    const emitItem = (): void => {
      if (!hasWords(text)) return;
      builder.listItem({ text: text.replace(/\n/g, ' '), depth, ordered: list.ordered, ...(list.ordered ? { number } : {}) });
      text = '';
    };
    for (const child of item.tokens) {
      if (child.type === 'text' || child.type === 'paragraph') {
        const part = inlineMarkdown(child.tokens ?? [{ type: 'text', raw: String(child.text), text: String(child.text) }]).trim();
        text = text ? `${text} ${part}` : part;
      } else if (child.type === 'space') {
        continue;
      } else {
        // A nested list, table or code block: the item's own text first, then the block.
        emitItem();
        emitTokens([child], builder, depth + 1);
      }
    }
    emitItem();
    number++;
  }
}

/**
 * Parses Markdown text into sections.
 *
 * @example
 *   parseMarkdown({ text: '# Returns\n## Refunds\nWithin **5 days**.', path: 'returns.md' }).sections[0]
 *   // { text: 'Within **5 days**.', headingPath: ['Returns', 'Refunds'] }
 */
export function parseMarkdown({ text, path }: { text: string; path: string }): ParsedDocument {
  const { title: frontMatterTitle, body } = parseFrontMatter(text.replace(/\r\n?/g, '\n'));
  const builder = createSectionBuilder();
  emitTokens(new Lexer({ gfm: true }).lex(body), builder);
  const candidates = titleCandidates({ path, candidates: [frontMatterTitle ? { text: frontMatterTitle, source: 'metadata' } : undefined, ...headingCandidates(builder.headings())] });
  const document: ParsedDocument = { type: 'markdown', title: candidates[0]?.text ?? '', titleCandidates: candidates, sections: builder.sections() };
  return requireBody(document, { path, headings: builder.headings().length });
}

export function loadMarkdownText({ path, text }: { path: string; text: string }): ParsedDocument {
  return parseMarkdown({ text, path });
}
