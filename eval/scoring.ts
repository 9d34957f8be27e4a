/**
 * Scores one answer of one question: ranks of the gold sources at each level (strict, page ±1,
 * document) and, for the main configuration, the answer measures (overlap with the reference, key
 * phrases, citations, groundedness and the answer's shape). Pure: everything comes from the
 * question, the AnswerResult and the corpus headings.
 *
 * @example
 *   const scores = answerScores({ question, result, passages, headings: headingMatcher(catalog.furniture) });
 */
import type { AnswerResult } from '../src/answer/types.ts';
import type { HeadingMatcher } from './headings.ts';
import {
  goldAtLevel, goldMatches, granularityOf, groundedness, keyPhraseCoverage, overlapTokens, plainAnswer, rankSources, referenceContained,
  repeatedSentence, rougeL, tokenF1, usedRightPassage, type MatchablePassage,
} from './metrics.ts';
import type { AnswerScores, ConfigurationAnswer, EvalQuestion, LevelScores, PassageSummary, QuestionRecord } from './types.ts';

/** Strict, tolerant (page ±1, PDF gold) and document-level ranks of a question's gold sources. */
export function scoreLevels(question: EvalQuestion, passages: MatchablePassage[]): Record<string, LevelScores> {
  if (question.gold.length === 0) return {};
  const granularity = granularityOf(question.gold);
  const levels: Record<string, LevelScores> = { strict: rankSources({ passages, gold: question.gold }).scores };
  if (granularity === 'page') levels.tolerant = rankSources({ passages, gold: question.gold, tolerance: 1 }).scores;
  const documentGold = goldAtLevel(question.gold, 'document');
  if (granularity !== 'document' && documentGold.length > 0) {
    levels.document = rankSources({ passages, gold: documentGold, granularity: 'document' }).scores;
  }
  return levels;
}

/** True for outcomes that show the customer an answer (not a refusal or a hand-over). */
export function answered(outcome: string | undefined): boolean {
  return outcome === 'answered' || outcome === 'faq';
}

/** The FAQ entry behind a fast-path answer: its citation's passage, else the first FAQ passage. */
export function faqIdOfAnswer(result: Pick<AnswerResult, 'citations'>, passages: PassageSummary[]): string | undefined {
  const cited = result.citations[0];
  const passage = passages.find((candidate) => candidate.chunkId === cited?.chunkId) ?? passages.find((candidate) => candidate.kind === 'faq');
  return passage?.faqId;
}

/** Answer measures of an answered question; undefined for refusals and hand-overs. */
export function answerScores(options: {
  question: EvalQuestion;
  result: AnswerResult;
  /** The retrieved passages with FAQ ids resolved (text may be cut; the result's own text is used for quoting). */
  passages: PassageSummary[];
  headings?: HeadingMatcher;
}): AnswerScores | undefined {
  const { question, result, passages } = options;
  if (!answered(result.outcome)) return undefined;
  const plain = plainAnswer(result.answer);
  const scores: AnswerScores = { answerChars: plain.length };
  const coverage = keyPhraseCoverage(plain, question.keyPhrases);
  if (coverage !== undefined) scores.keyPhraseCoverage = coverage;
  if (question.references.length > 0) {
    scores.rougeL = rougeL(plain, question.references);
    scores.tokenF1 = tokenF1(plain, question.references);
    const contained = referenceContained(plain, question.references);
    if (contained !== undefined) scores.referenceContained = contained;
  }
  const byChunk = new Map(passages.map((passage) => [passage.chunkId, passage]));
  const citations: MatchablePassage[] = result.citations.map((citation) => {
    const faqId = byChunk.get(citation.chunkId)?.faqId;
    return { chunkId: citation.chunkId, docPath: citation.docPath, ...(citation.page === undefined ? {} : { page: citation.page }), ...(faqId === undefined ? {} : { faqId }) };
  });
  if (question.gold.length > 0 && citations.length > 0) {
    scores.citationPrecision = citations.filter((cited) => question.gold.some((gold) => goldMatches(gold, cited, 1))).length / citations.length;
  }
  const grounded = groundedness(plain, result.retrieved.map((passage) => passage.text));
  if (grounded !== undefined) scores.groundedness = grounded;
  if (options.headings) {
    const heading = options.headings.find(plain);
    scores.heading = heading === undefined ? 0 : 1;
    if (heading !== undefined) scores.headingText = heading;
  }
  scores.repeatedSentence = repeatedSentence(plain) === undefined ? 0 : 1;
  const used = usedRightPassage({
    answer: plain,
    gold: question.gold,
    retrieved: result.retrieved.map((passage, index) => ({ ...passage, ...(passages[index]?.faqId === undefined ? {} : { faqId: passages[index]?.faqId }) })),
    citations,
  });
  if (used !== undefined) scores.usedRightPassage = used;
  return scores;
}

/**
 * A reference this short is a span the answer should contain (CMRC's answers, "$20", "30 days");
 * a longer one is a whole answer written in other words (Northwind's), which no extract contains.
 */
export const SPAN_TOKENS = 20;

/**
 * Answered, but evidently wrong: no key phrase of the question in the answer, or a span-like
 * reference (at most SPAN_TOKENS tokens) not in it. Flagged in the HTML report beside retrieval misses.
 */
export function answeredButWrong(record: Pick<QuestionRecord, 'references'>, scores: AnswerScores | undefined): boolean {
  if (!scores) return false;
  const spanLike = record.references.some((reference) => overlapTokens(reference).length <= SPAN_TOKENS);
  return scores.keyPhraseCoverage === 0 || (spanLike && scores.referenceContained === 0);
}

/** Why a question is worth a look: the kinds the filter offers, in the order badges show them. */
export type Flag = 'error' | 'retrieval-miss' | 'answered-wrong' | 'false-refusal' | 'clarified' | 'not-refused' | 'hard-negative' | 'heading' | 'repeated';

export const FLAG_LABELS: Record<Flag, string> = {
  error: 'error',
  'retrieval-miss': 'retrieval miss',
  'answered-wrong': 'answered, wrong',
  'false-refusal': 'refused, answerable',
  clarified: '"did you mean…?", answerable',
  'not-refused': 'answered, should refuse',
  'hard-negative': 'hard negative answered verbatim',
  heading: 'heading in answer',
  repeated: 'repeated sentence',
};

/** The flags of one question under the main configuration. */
export function flagsOf(record: QuestionRecord, result: ConfigurationAnswer | undefined): Flag[] {
  if (!result || result.error) return ['error'];
  const flags: Flag[] = [];
  if (record.gold.length > 0 && result.levels.strict?.firstRank === null) flags.push('retrieval-miss');
  if (record.expected === 'answer') {
    if (result.outcome === 'clarify') flags.push('clarified');
    else if (!answered(result.outcome)) flags.push('false-refusal');
    else if (answeredButWrong(record, result.answerScores)) flags.push('answered-wrong');
  } else if (answered(result.outcome)) flags.push('not-refused');
  if (result.outcome === 'faq' && result.faqId !== undefined && result.faqId === record.hardNegativeOf) flags.push('hard-negative');
  if (result.answerScores?.heading === 1) flags.push('heading');
  if (result.answerScores?.repeatedSentence === 1) flags.push('repeated');
  return flags;
}
