/**
 * What the corpus contains (files, PDF page counts, FAQ ids, headings and page furniture), read from
 * the corpus folder itself, so gold sources that do not exist are reported as dataset errors
 * instead of being scored as misses, and answers quoting a heading can be recognised without
 * trusting kefu's own ingestion. PDF text is slow to read, so per-file results are cached (by size
 * and modification time) in a JSON file beside the evaluation index.
 *
 * @example
 *   const catalog = await readCatalog(dataset.corpusDir, { cacheFile: path.join(cacheDir, 'catalog.json') });
 *   const { questions, issues } = checkGold(dataset.questions, catalog);
 */
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import mammoth from 'mammoth';
import { PDFParse } from 'pdf-parse';
import { formatOf } from '../src/formats/index.ts';
import { decodeText } from '../ingest/loaders/text-decoding.ts';
import { EMPTY_FURNITURE, FURNITURE_VERSION, htmlHeadings, markdownHeadings, mergeFurniture, pdfFurniture, textHeadings, type Furniture } from './headings.ts';
import { sameDocument } from './metrics.ts';
import type { DatasetIssue, EvalQuestion } from './types.ts';

export interface CorpusCatalog {
  /** Relative paths, '/' separators. */
  documents: string[];
  /** Relative path → number of pages (PDFs). */
  pageCounts: Map<string, number>;
  /** FAQ ids found in JSON FAQ files; undefined when the corpus has FAQ files we cannot read here. */
  faqIds?: Set<string>;
  /** Headings and running page lines of all documents (see eval/headings.ts). */
  furniture: Furniture;
}

/** What one file contributes; cached by size and modification time. */
interface FileFacts {
  size: number;
  mtimeMs: number;
  pages?: number;
  faqIds?: string[] | null;
  furniture?: Furniture;
}

const CACHE_VERSION = `catalog-1/furniture-${FURNITURE_VERSION}`;

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child)));
    else if (entry.isFile()) files.push(child);
  }
  return files.sort();
}

function outlineTitles(nodes: ReadonlyArray<{ title?: string; items?: unknown }> | null | undefined): string[] {
  return (nodes ?? []).flatMap((node) => [node.title ?? '', ...outlineTitles(node.items as typeof nodes)]);
}

async function readPdf(file: string): Promise<Pick<FileFacts, 'pages' | 'furniture'>> {
  const parser = new PDFParse({ data: await readFile(file) });
  try {
    const info = await parser.getInfo();
    const text = await parser.getText();
    return { pages: info.total, furniture: pdfFurniture({ pages: text.pages.map((page) => page.text), outline: outlineTitles(info.outline) }) };
  } catch {
    // An unreadable PDF is ingestion's problem to report; here it just has no known page count.
    return {};
  } finally {
    await parser.destroy();
  }
}

async function readTextFile(file: string): Promise<string | undefined> {
  try {
    return decodeText({ path: file, bytes: await readFile(file) }).text;
  } catch {
    return undefined;
  }
}

async function docxHeadings(file: string): Promise<string[]> {
  try {
    return htmlHeadings((await mammoth.convertToHtml({ buffer: await readFile(file) })).value);
  } catch {
    return [];
  }
}

async function readFacts(file: string): Promise<Omit<FileFacts, 'size' | 'mtimeMs'>> {
  switch (formatOf(file)?.id) {
    case 'pdf':
      return readPdf(file);
    case 'json':
      return { faqIds: (await jsonFaqIds(file)) ?? null };
    case 'csv':
    case 'xlsx':
      return { faqIds: null };
    case 'markdown': {
      const text = await readTextFile(file);
      return { furniture: { headings: text === undefined ? [] : markdownHeadings(text), runningLines: [] } };
    }
    case 'text': {
      const text = await readTextFile(file);
      return { furniture: { headings: text === undefined ? [] : textHeadings(text), runningLines: [] } };
    }
    case 'html': {
      const text = await readTextFile(file);
      return { furniture: { headings: text === undefined ? [] : htmlHeadings(text), runningLines: [] } };
    }
    case 'docx':
      return { furniture: { headings: await docxHeadings(file), runningLines: [] } };
    default:
      return {};
  }
}

async function readCache(file: string | undefined): Promise<Map<string, FileFacts>> {
  if (!file) return new Map();
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as { version?: string; files?: Record<string, FileFacts> };
    return data.version === CACHE_VERSION && data.files ? new Map(Object.entries(data.files)) : new Map();
  } catch {
    return new Map();
  }
}

async function jsonFaqIds(file: string): Promise<string[] | undefined> {
  try {
    const data: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!Array.isArray(data)) return undefined;
    return data.flatMap((entry: unknown) => {
      const id = (entry as { id?: unknown } | null)?.id;
      return typeof id === 'string' || typeof id === 'number' ? [String(id)] : [];
    });
  } catch {
    return undefined;
  }
}

/**
 * Lists the corpus folder: files, page counts of PDFs, ids of JSON FAQ entries, headings and page
 * furniture. With `cacheFile`, files unchanged since the last call are not read again.
 */
export async function readCatalog(corpusDir: string, options: { cacheFile?: string } = {}): Promise<CorpusCatalog> {
  const documents = await listFiles(corpusDir);
  const cached = await readCache(options.cacheFile);
  const facts = new Map<string, FileFacts>();
  let changed = false;
  for (const document of documents) {
    const file = path.join(corpusDir, document);
    const { size, mtimeMs } = await stat(file);
    const known = cached.get(document);
    if (known && known.size === size && known.mtimeMs === mtimeMs) {
      facts.set(document, known);
      continue;
    }
    facts.set(document, { size, mtimeMs, ...(await readFacts(file)) });
    changed = true;
  }
  if (options.cacheFile && (changed || cached.size !== facts.size)) {
    await mkdir(path.dirname(options.cacheFile), { recursive: true });
    await writeFile(options.cacheFile, JSON.stringify({ version: CACHE_VERSION, files: Object.fromEntries(facts) }));
  }
  const pageCounts = new Map<string, number>();
  let faqIds: Set<string> | undefined = new Set();
  for (const [document, fact] of facts) {
    if (fact.pages !== undefined) pageCounts.set(document, fact.pages);
    if (fact.faqIds === null) faqIds = undefined;
    else if (fact.faqIds && faqIds) for (const id of fact.faqIds) faqIds.add(id);
  }
  const furniture = mergeFurniture([EMPTY_FURNITURE, ...[...facts.values()].flatMap((fact) => (fact.furniture ? [fact.furniture] : []))]);
  return { documents, pageCounts, ...(faqIds ? { faqIds } : {}), furniture };
}

/**
 * Splits questions into those whose gold sources all exist in the corpus and dataset issues for
 * the rest (a missing file, a page beyond the document's last page, an unknown FAQ id).
 */
export function checkGold(questions: EvalQuestion[], catalog: CorpusCatalog): { questions: EvalQuestion[]; issues: DatasetIssue[] } {
  const kept: EvalQuestion[] = [];
  const issues: DatasetIssue[] = [];
  for (const question of questions) {
    const problems: string[] = [];
    for (const source of question.gold) {
      if (source.document !== undefined) {
        const document = catalog.documents.find((candidate) => sameDocument(source.document ?? '', candidate));
        if (!document) {
          problems.push(`gold document ${source.document} is not in the corpus`);
          continue;
        }
        const pages = catalog.pageCounts.get(document);
        if (source.page !== undefined && pages !== undefined && source.page > pages) {
          problems.push(`gold page ${source.page} of ${source.document} does not exist (it has ${pages} pages)`);
        }
      }
      if (source.faq !== undefined && catalog.faqIds && !catalog.faqIds.has(source.faq)) {
        problems.push(`gold FAQ id ${source.faq} is not in the corpus`);
      }
    }
    if (problems.length === 0) {
      kept.push(question);
      continue;
    }
    for (const message of problems) {
      issues.push({ kind: 'gold', questionId: question.id, ...(question.line === undefined ? {} : { line: question.line }), message });
    }
  }
  return { questions: kept, issues };
}
