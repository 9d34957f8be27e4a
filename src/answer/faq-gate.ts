/**
 * The FAQ fast path decides between three things for the closest curated question:
 * - `verbatim`: return its curated answer as is — only when the match is unambiguous: the key terms
 *   (products, named things, numbers) agree on both sides, the lead over the runner-up is clear, and
 *   the calibrated probability of being the right entry is at the precision the model was trained for;
 * - `clarify`: in the uncertain band, ask "Did you mean …?" (您是不是想问…) with the closest questions as
 *   choices instead of answering;
 * - `none`: answer through retrieval and composition as usual.
 *
 * Hard negatives — similar wording, different meaning (花呗 vs 借呗, "How did COVID-19 get its name?" vs
 * "What is COVID-19?") — are caught by the key-term features, not by any list of words.
 *
 * @example
 *   const decision = decideFaq({ model, question, matches, corpus });
 *   if (decision.kind === 'verbatim') return decision.match.chunk.answer;
 */
import { readFileSync } from 'node:fs';
import { KefuError } from '../errors/index.ts';
import type { CorpusStats } from '../retrieval/corpus-stats.ts';
import { queryTerms } from '../retrieval/corpus-stats.ts';
import type { FaqMatch } from '../retrieval/index.ts';
import { predictLogistic, type LogisticModel } from './logistic.ts';

export interface FaqFeatures {
  /** The matcher's similarity (the larger of semantic and lexical), its semantic and lexical parts. */
  similarity: number;
  semantic: number;
  lexical: number;
  /** Lead of the best entry over the runner-up. */
  margin: number;
  /** IDF-weighted share of the question's terms missing from the matched FAQ question (and vice versa). */
  questionTermsMissing: number;
  faqTermsMissing: number;
  /** 1 when the heaviest term of either side is missing from the other (a product or a named thing). */
  keyTermMismatch: number;
  /** 1 when both sides carry numbers or codes and they differ. */
  numberMismatch: number;
}

export const FAQ_FEATURES: ReadonlyArray<keyof FaqFeatures> = ['similarity', 'semantic', 'lexical', 'margin', 'questionTermsMissing', 'faqTermsMissing', 'keyTermMismatch', 'numberMismatch'];

export interface FaqGateModel extends LogisticModel {
  /** At or above: answer verbatim (chosen for the trained precision, e.g. >= .97 on dev halves). */
  verbatimAt: number;
  /** At or above (and below verbatimAt): ask "did you mean". */
  clarifyAt: number;
  trainedOn?: string[];
  metrics?: Record<string, unknown>;
}

export type FaqDecision =
  | { kind: 'verbatim'; match: FaqMatch; probability: number; features: FaqFeatures }
  | { kind: 'clarify'; choices: FaqMatch[]; probability: number; features: FaqFeatures }
  | { kind: 'none'; probability: number; features?: FaqFeatures };

const NUMBER_OR_CODE = /\d[\w.-]*/g;

function missingShare(from: readonly string[], other: ReadonlySet<string>, otherText: string, corpus: CorpusStats): { share: number; heaviestMissing: boolean } {
  let total = 0;
  let missing = 0;
  let heaviest = '';
  let heaviestWeight = -1;
  for (const term of from) {
    const weight = corpus.idf(term);
    total += weight;
    // A Chinese term cut differently on the other side still counts when its characters are there in order.
    const present = other.has(term) || (/\p{Script=Han}/u.test(term) && otherText.includes(term));
    if (!present) missing += weight;
    if (weight > heaviestWeight) {
      heaviestWeight = weight;
      heaviest = present ? '' : term;
    }
  }
  return { share: total > 0 ? missing / total : 0, heaviestMissing: heaviest !== '' };
}

/** The features of one candidate match. */
export function faqFeatures(options: { question: string; match: FaqMatch; runnerUp?: FaqMatch; corpus: CorpusStats }): FaqFeatures {
  const { question, match, runnerUp, corpus } = options;
  const questionTerms = queryTerms(question);
  const faqTerms = queryTerms(match.matchedQuestion);
  const forward = missingShare(questionTerms, new Set(faqTerms), match.matchedQuestion, corpus);
  const backward = missingShare(faqTerms, new Set(questionTerms), question, corpus);
  const numbers = (text: string) => new Set((text.toLowerCase().match(NUMBER_OR_CODE) ?? []).map((value) => value.replace(/[.-]+$/, '')));
  const questionNumbers = numbers(question);
  const faqNumbers = numbers(match.matchedQuestion);
  const numberMismatch = questionNumbers.size > 0 && faqNumbers.size > 0 && ![...questionNumbers].every((value) => faqNumbers.has(value)) ? 1 : 0;
  return {
    similarity: match.similarity,
    semantic: match.semantic,
    lexical: match.lexical,
    margin: match.similarity - (runnerUp?.similarity ?? 0),
    questionTermsMissing: forward.share,
    faqTermsMissing: backward.share,
    keyTermMismatch: forward.heaviestMissing || backward.heaviestMissing ? 1 : 0,
    numberMismatch,
  };
}

/**
 * A rule, not a learned weight: a curated answer is given verbatim only when the heaviest words and the
 * numbers of both questions agree ("redeem a gift card" is not "check my gift card balance", 花呗 is not
 * 借呗, however similar the rest). Paraphrase banks such as StackFAQ reward ignoring this, so a model alone
 * learns to; a mismatch leaves the question to retrieval and composition
 * (which answer from the passage that names the asked-about thing, or refuse) rather than offering the other entry.
 */
export function keyTermsAgree(features: Pick<FaqFeatures, 'keyTermMismatch' | 'numberMismatch'>): boolean {
  return features.keyTermMismatch === 0 && features.numberMismatch === 0;
}

/** Decides what to do with the closest FAQ entries (best first). */
export function decideFaq(options: { model: FaqGateModel; question: string; matches: readonly FaqMatch[]; corpus: CorpusStats }): FaqDecision {
  const { model, question, matches, corpus } = options;
  const [best, runnerUp] = matches;
  if (!best) return { kind: 'none', probability: 0 };
  const features = faqFeatures({ question, match: best, ...(runnerUp ? { runnerUp } : {}), corpus });
  const probability = predictLogistic(model, features as unknown as Record<string, number>);
  // Key terms that disagree: the entry is about something else; the documents answer (or kefu refuses).
  if (!keyTermsAgree(features)) return { kind: 'none', probability, features };
  if (probability >= model.verbatimAt) return { kind: 'verbatim', match: best, probability, features };
  if (probability >= model.clarifyAt) {
    const choices = matches.filter((match) => match.similarity >= best.similarity - 0.1).slice(0, 3);
    return { kind: 'clarify', choices, probability, features };
  }
  return { kind: 'none', probability, features };
}

const SHIPPED_MODEL_URL = new URL('./faq-gate-model.json', import.meta.url);

export function loadFaqGateModel(file?: string): FaqGateModel {
  const location = file || SHIPPED_MODEL_URL;
  try {
    const model = JSON.parse(readFileSync(location, 'utf8')) as FaqGateModel;
    if (!Array.isArray(model.names) || model.names.length !== model.weights.length || typeof model.verbatimAt !== 'number') throw new Error('not a model file');
    return model;
  } catch (error) {
    throw new KefuError('CONFIG_INVALID', { detail: `the FAQ gate model ${String(location)} could not be read`, cause: error, hint: 'Unset KEFU_FAQ_GATE_MODEL to use the shipped model, or retrain it with scripts/train-answerability.ts.' });
  }
}
