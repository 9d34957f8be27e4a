/**
 * Labeled training rows from an evaluation run (`kefu eval --json`, whose main configuration asks with
 * `evaluate: true` so every decision's evidence is recorded): one answerability row per question (answerable
 * or not), one FAQ-gate row per question whose closest FAQ entry can be judged right or wrong.
 * Kept apart from eval/ so the CLI can retrain from an owner's dataset without the eval harness's types.
 */
import type { Evidence } from './types.ts';
import type { LabeledRow } from './training.ts';

/** The parts of an eval run report the trainer reads. */
export interface EvalReportLike {
  dataset: string;
  questions: Array<{
    id: string;
    expected: 'answer' | 'refuse' | 'handoff';
    gold: Array<{ document?: string; faq?: string }>;
    offTopic?: boolean;
    /** LCQMC: the FAQ entry this question must not be answered with verbatim. */
    hardNegativeOf?: string;
    results: Record<string, { evidence?: Evidence; error?: string } | undefined>;
  }>;
}

/** The main configuration's name in reports. */
const MAIN = 'hybrid-adaptive';

export function rowsFromReport(report: EvalReportLike): { answerability: LabeledRow[]; faq: LabeledRow[] } {
  const answerability: LabeledRow[] = [];
  const faq: LabeledRow[] = [];
  for (const question of report.questions) {
    const result = question.results[MAIN];
    const evidence = result?.evidence;
    if (!evidence || result?.error) continue;
    const group = question.offTopic ? 'off-topic' : question.hardNegativeOf ? 'hard-negative' : undefined;
    // LCQMC's hard negatives train the FAQ gate only: whether some *other* entry of a 12,000-question bank
    // answers them is unknown, so as answerability labels they are noise (held out, they taught the model to
    // refuse half of CMRC's answerable questions).
    if (evidence.features && question.expected !== 'handoff' && !(group === 'hard-negative' && question.expected !== 'answer')) {
      // In-domain questions the documents do not answer are reported apart from off-topic ones (the harder kind).
      const answerabilityGroup = group ?? (question.expected === 'refuse' ? 'unanswerable' : undefined);
      answerability.push({ dataset: report.dataset, label: question.expected === 'answer' ? 1 : 0, features: { ...evidence.features }, ...(answerabilityGroup ? { group: answerabilityGroup } : {}) });
    }
    const faqEvidence = evidence.faq;
    if (faqEvidence?.features && faqEvidence.faqId !== undefined) {
      const goldFaq = new Set(question.gold.flatMap((gold) => (gold.faq === undefined ? [] : [gold.faq])));
      // Judge a match only where the dataset says which entry is right (or that none is).
      const judgeable = goldFaq.size > 0 || question.expected !== 'answer' || question.hardNegativeOf !== undefined;
      if (judgeable) faq.push({ dataset: report.dataset, label: goldFaq.has(faqEvidence.faqId) ? 1 : 0, features: { ...faqEvidence.features }, ...(group ? { group } : {}) });
    }
  }
  return { answerability, faq };
}
