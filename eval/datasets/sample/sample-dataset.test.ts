import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../../ingest/loaders/index.ts';
import { checkGold, readCatalog } from '../../catalog.ts';
import { loadDataset } from '../../datasets.ts';

// The sample dataset is labeled by hand against data/sample. These checks catch the drift that
// would otherwise show up as mysterious misses: a fact edited in the sample, a renamed file or FAQ id.

/** Case, spacing and punctuation ignored, as keyPhraseCoverage does. */
function squash(text: string): string {
  return text.toLowerCase().replace(/[\s\p{P}]+/gu, '');
}

describe('eval/datasets/sample', () => {
  it('points at data/sample, and every gold file, FAQ id and key phrase is really there', async () => {
    const dataset = await loadDataset({ dataset: import.meta.dirname, evalDir: os.tmpdir() });
    expect(dataset.corpusDir).toBe(path.resolve(import.meta.dirname, '..', '..', '..', 'data', 'sample'));
    expect(dataset.issues).toEqual([]);
    expect(checkGold(dataset.questions, await readCatalog(dataset.corpusDir)).issues).toEqual([]);

    const texts = new Map<string, string>();
    const faqIds = new Map<string, Set<string>>();
    for (const document of new Set(dataset.questions.flatMap((question) => question.gold.flatMap((source) => source.document ?? [])))) {
      const file = path.join(dataset.corpusDir, document);
      const parsed = await loadFile({ path: file, bytes: await readFile(file) });
      if (parsed.faq) faqIds.set(document, new Set(parsed.faq.map((entry) => entry.id)));
      texts.set(document, squash(parsed.faq ? parsed.faq.map((entry) => entry.answer).join('\n') : parsed.sections.map((section) => section.text).join('\n')));
    }

    const problems: string[] = [];
    for (const question of dataset.questions) {
      if (question.expected === 'answer' && question.gold.length === 0) problems.push(`${question.id}: answerable but no gold`);
      for (const source of question.gold) {
        if (source.faq !== undefined && !faqIds.get(source.document ?? '')?.has(source.faq)) problems.push(`${question.id}: no FAQ ${source.faq} in ${source.document}`);
      }
      const documents = question.gold.flatMap((source) => (source.document === undefined ? [] : [texts.get(source.document) ?? '']));
      for (const phrase of question.keyPhrases) {
        if (!documents.some((text) => text.includes(squash(phrase)))) problems.push(`${question.id}: key phrase "${phrase}" in none of its gold sources`);
      }
    }
    expect(problems).toEqual([]);

    const count = (expected: string, language: string) => dataset.questions.filter((question) => question.expected === expected && question.language === language).length;
    expect(count('answer', 'en')).toBeGreaterThanOrEqual(15);
    expect(count('answer', 'zh')).toBeGreaterThanOrEqual(15);
    expect(count('refuse', 'en') + count('refuse', 'zh')).toBeGreaterThanOrEqual(15);
    expect(dataset.questions.filter((question) => question.history).length).toBeGreaterThanOrEqual(4);
  });
});
