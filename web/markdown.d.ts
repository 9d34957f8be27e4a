// Types of web/markdown.js for the tests that import it (the page loads the plain JavaScript).
export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; ordered: boolean; items: Array<{ text: string; depth: number; number?: number }> }
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'code'; text: string };

export type InlineToken =
  | { kind: 'text'; text: string }
  | { kind: 'bold'; children: InlineToken[] }
  | { kind: 'code'; text: string }
  | { kind: 'link'; text: string; url: string }
  | { kind: 'citation'; n: number };

export interface RenderOptions {
  citationHref?: (n: number) => string | undefined;
  allowLink?: (url: string) => boolean;
}

export function splitTableRow(line: string): string[];
export function parseBlocks(markdown: string): Block[];
export function parseInline(text: string): InlineToken[];
export function isWebUrl(url: string): boolean;
export function renderMarkdown(markdown: string, options?: RenderOptions): DocumentFragment;
export function plainText(markdown: string): string;
