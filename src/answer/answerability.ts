/**
 * Answerability: how likely it is that the documents answer the question, as a calibrated
 * probability from evidence features (a logistic regression, see logistic.ts). It replaces a hand-set
 * confidence formula: the model is trained on public labeled sets plus off-topic questions taken from
 * *other* public datasets (a question about another domain is unanswerable here), evaluated leave-one-
 * dataset-out, and shipped as `answerability-model.json` with the script that retrains it
 * (`scripts/train-answerability.ts`). A knowledge owner can retrain it on their own labeled set
 * (`kefu eval --dataset <theirs> --train-answerability`), which writes a model file KEFU_ANSWERABILITY_MODEL
 * points at.
 *
 * @example
 *   const features = answerabilityFeatures({ retrieval, composition, languages: embedder.languages });
 *   const probability = predictAnswerability(model, features);
 */
import { readFileSync } from 'node:fs';
import type { EmbedderLanguages } from '../embeddings/types.ts';
import { KefuError } from '../errors/index.ts';
import type { RetrievalResult } from '../retrieval/index.ts';
import type { CompositionEvidence } from './compose.ts';
import { predictLogistic, type LogisticModel } from './logistic.ts';

/** The evidence a decision is made from; every value is a number so it can be learned and logged. */
export interface AnswerabilityFeatures {
  /** 1 when the embedding model understands the question's language and a query vector exists. */
  vectorUsable: number;
  /** Best cosine similarity among the top passages (0 when vectors are not usable). */
  topCosine: number;
  /** How far the best cosine stands above the typical retrieved passage (0 when not usable). */
  cosineMargin: number;
  /** IDF-weighted share of the question's own words found in the composed answer's units. */
  focusCoverage: number;
  /** The same share found in the answer's main unit alone (no supporting sentence from another passage). */
  mainCoverage: number;
  /** The best passage's IDF-weighted share of the query terms. */
  bestPassageCoverage: number;
  /** IDF-weighted share of the query terms that occur nowhere in the documents. */
  unknownShare: number;
  /** 1 when a word the question is about (a focus term) occurs nowhere in the documents. */
  focusUnknown: number;
  /** Share of the top 3 passages found by both the keyword and the vector search. */
  agreement: number;
  /** Similarity of the closest FAQ question, and its lead over the runner-up. */
  faqSimilarity: number;
  faqMargin: number;
  /** Whether the answer carries the asked-for kind (a duration for "how long"…). */
  answerTypeMatched: number;
  /** 1 for a question in Chinese. */
  chinese: number;
  /** log(1 + number of query terms): short questions carry less evidence. */
  termCount: number;
}

export const ANSWERABILITY_FEATURES: ReadonlyArray<keyof AnswerabilityFeatures> = [
  // mainCoverage (the main unit alone) is logged but not learned from: the model with it answered a gift-card question
  // with a gift-wrapping entry (eval/README.md, "Answerability and the FAQ gate").
  'vectorUsable', 'topCosine', 'cosineMargin', 'focusCoverage', 'bestPassageCoverage', 'unknownShare', 'focusUnknown',
  'agreement', 'faqSimilarity', 'faqMargin', 'answerTypeMatched', 'chinese', 'termCount',
];

export interface AnswerabilityModel extends LogisticModel {
  /** Probability below which kefu refuses (chosen at training time for a target false-refusal rate). */
  threshold: number;
  /** What the model was trained on and how it did (leave-one-dataset-out), for people reading the file. */
  trainedOn?: string[];
  metrics?: Record<string, unknown>;
}

/** Computes the features from a retrieval and the composed answer. */
export function answerabilityFeatures(options: {
  retrieval: RetrievalResult;
  composition: CompositionEvidence;
  focusTerms: readonly string[];
  /** Topic words a follow-up carries from the previous question: they were judged with that question. */
  carriedTerms?: readonly string[];
  languages: EmbedderLanguages;
}): AnswerabilityFeatures {
  const { retrieval, composition, languages } = options;
  const { corpus, passages, language } = retrieval;
  const understood = languages === 'all' || languages.includes(language);
  const cosines = passages.flatMap((passage) => (passage.vectorScore === undefined ? [] : [passage.vectorScore])).sort((a, b) => b - a);
  const vectorUsable = understood && retrieval.queryVector !== undefined && cosines.length > 0 ? 1 : 0;
  const topCosine = vectorUsable ? (cosines[0] ?? 0) : 0;
  const typical = cosines.length > 1 ? cosines[Math.floor(cosines.length / 2)] ?? topCosine : topCosine;
  let total = 0;
  let unknown = 0;
  const carried = new Set(options.carriedTerms ?? []);
  for (const term of retrieval.terms) {
    if (carried.has(term)) continue;
    const weight = corpus.idf(term);
    total += weight;
    if (retrieval.unknownTerms.includes(term)) unknown += weight;
  }
  const top = passages.slice(0, 3);
  const agreement = top.length > 0 ? top.filter((passage) => passage.keywordRank !== undefined && passage.vectorRank !== undefined).length / top.length : 0;
  const [firstFaq, secondFaq] = retrieval.faqMatches;
  return {
    vectorUsable,
    topCosine,
    cosineMargin: vectorUsable ? Math.max(0, topCosine - typical) : 0,
    focusCoverage: composition.focusCoverage,
    mainCoverage: composition.mainCoverage,
    bestPassageCoverage: composition.bestPassageCoverage,
    unknownShare: total > 0 ? unknown / total : 0,
    focusUnknown: options.focusTerms.some((term) => !corpus.knows(term)) ? 1 : 0,
    agreement,
    faqSimilarity: firstFaq?.similarity ?? 0,
    faqMargin: firstFaq ? firstFaq.similarity - (secondFaq?.similarity ?? 0) : 0,
    answerTypeMatched: composition.answerTypeMatched,
    chinese: language === 'zh' ? 1 : 0,
    termCount: Math.log1p(retrieval.terms.length),
  };
}

export function predictAnswerability(model: AnswerabilityModel, features: AnswerabilityFeatures): number {
  return predictLogistic(model, features as unknown as Record<string, number>);
}

const SHIPPED_MODEL_URL = new URL('./answerability-model.json', import.meta.url);

/** Reads a model file (the shipped one by default); a broken owner file is a clear configuration error. */
export function loadAnswerabilityModel(file?: string): AnswerabilityModel {
  const location = file || SHIPPED_MODEL_URL;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(location, 'utf8'));
  } catch (error) {
    throw new KefuError('CONFIG_INVALID', { detail: `the answerability model ${String(location)} could not be read`, cause: error, hint: 'Point KEFU_ANSWERABILITY_MODEL at a file written by `kefu eval --train-answerability`, or unset it to use the shipped model.' });
  }
  const model = parsed as Partial<AnswerabilityModel>;
  const valid = Array.isArray(model.names) && Array.isArray(model.weights) && Array.isArray(model.mean) && Array.isArray(model.scale) &&
    typeof model.bias === 'number' && typeof model.threshold === 'number' && model.names.length === model.weights.length;
  if (!valid) throw new KefuError('CONFIG_INVALID', { detail: `the answerability model ${String(location)} is not a model file`, hint: 'Retrain it with `kefu eval --train-answerability`, or unset KEFU_ANSWERABILITY_MODEL.' });
  return model as AnswerabilityModel;
}
