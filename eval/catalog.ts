/**
 * What the corpus contains (files, PDF page counts, FAQ ids), read from the corpus folder itself,
 * so gold sources that do not exist are reported as dataset errors instead of being scored as misses.
 *
 * @example
 *   const catalog = await readCatalog(dataset.corpusDir);
 *   const { questions, issues } = checkGold(dataset.questions, catalog);
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFParse } from 'pdf-parse';
import { sameDocument } from './metrics.ts';
import type { DatasetIssue, EvalQuestion } from './types.ts';

export interface CorpusCatalog {
  /** Relative paths, '/' separators. */
  documents: string[];
  /** Relative path → number of pages (PDFs). */
  pageCounts: Map<string, number>;
  /** FAQ ids found in JSON FAQ files; undefined when the corpus has FAQ files we cannot read here. */
  faqIds?: Set<string>;
}

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

async function pdfPageCount(file: string): Promise<number | undefined> {
  const parser = new PDFParse({ data: await readFile(file) });
  try {
    return (await parser.getInfo()).total;
  } catch {
    // An unreadable PDF is ingestion's problem to report; here it just has no known page count.
    return undefined;
  } finally {
    await parser.destroy();
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

/** Lists the corpus folder: files, page counts of PDFs, ids of JSON FAQ entries. */
export async function readCatalog(corpusDir: string): Promise<CorpusCatalog> {
  const documents = await listFiles(corpusDir);
  const pageCounts = new Map<string, number>();
  let faqIds: Set<string> | undefined = new Set();
  for (const document of documents) {
    const file = path.join(corpusDir, document);
    const extension = path.extname(document).toLowerCase();
    if (extension === '.pdf') {
      const pages = await pdfPageCount(file);
      if (pages !== undefined) pageCounts.set(document, pages);
    } else if (extension === '.json') {
      const ids = await jsonFaqIds(file);
      if (ids && faqIds) for (const id of ids) faqIds.add(id);
      else faqIds = undefined;
    } else if (extension === '.csv' || extension === '.xlsx') {
      faqIds = undefined;
    }
  }
  return { documents, pageCounts, ...(faqIds ? { faqIds } : {}) };
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
