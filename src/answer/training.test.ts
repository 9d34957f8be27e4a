import { describe, expect, it } from 'vitest';
import { trainAnswerability, trainFaqGate, type LabeledRow } from './training.ts';
import { predictAnswerability } from './answerability.ts';

/** Rows where answerable questions have high cosine and coverage, unanswerable ones low; three datasets. */
function answerabilityRows(): LabeledRow[] {
  const rows: LabeledRow[] = [];
  for (const dataset of ['a', 'b', 'c']) {
    const size = dataset === 'a' ? 300 : 60;
    for (let index = 0; index < size; index++) {
      const answerable = index % 3 !== 0;
      const noise = ((index * 37) % 17) / 100;
      rows.push({
        dataset,
        label: answerable ? 1 : 0,
        group: answerable ? undefined : 'off-topic',
        features: { topCosine: answerable ? 0.6 + noise : 0.25 + noise, focusCoverage: answerable ? 0.8 - noise : 0.2 + noise, vectorUsable: 1 },
      });
    }
  }
  return rows;
}

describe('training the calibrated models', () => {
  it('learns answerability, keeps false refusals within the budget, and reports each dataset held out', () => {
    const { model, heldOut } = trainAnswerability({ rows: answerabilityRows(), maxFalseRefusal: 0.03 });
    expect(heldOut.map((entry) => entry.dataset)).toEqual(['a', 'b', 'c']);
    for (const entry of heldOut) {
      expect(entry.falseRefusal).toBeLessThanOrEqual(0.05);
      expect(entry.refusalRecall).toBeGreaterThan(0.9);
    }
    const features = { vectorUsable: 1, topCosine: 0.7, cosineMargin: 0, focusCoverage: 0.8, bestPassageCoverage: 0, unknownShare: 0, focusUnknown: 0, agreement: 0, faqSimilarity: 0, faqMargin: 0, answerTypeMatched: 0, chinese: 0, termCount: 0, mainCoverage: 0.8 };
    expect(predictAnswerability(model, features)).toBeGreaterThan(model.threshold);
    expect(predictAnswerability(model, { ...features, topCosine: 0.2, focusCoverage: 0.1 })).toBeLessThan(model.threshold);
  });

  it('reports two held-out folds when an owner trains on their single dataset', () => {
    const { heldOut } = trainAnswerability({ rows: answerabilityRows().filter((row) => row.dataset === 'a'), maxFalseRefusal: 0.03 });
    expect(heldOut.map((entry) => entry.dataset)).toEqual(['a (fold 1 of 2)', 'a (fold 2 of 2)']);
    for (const entry of heldOut) {
      expect(entry.rows).toBe(150);
      expect(entry.refusalRecall).toBeGreaterThan(0.9);
    }
  });

  it('sets the FAQ gate for the precision target, hard negatives included', () => {
    const rows: LabeledRow[] = [];
    for (const dataset of ['x', 'y']) {
      for (let index = 0; index < 200; index++) {
        const right = index % 4 !== 0;
        const similarity = right ? 0.75 + (index % 20) / 100 : 0.7 + (index % 10) / 100;
        rows.push({ dataset, label: right ? 1 : 0, group: right ? undefined : 'hard-negative', features: { similarity, keyTermMismatch: right ? 0 : 1 } });
      }
    }
    const { model, heldOut } = trainFaqGate({ rows, precision: 0.97 });
    for (const entry of heldOut) expect(entry.precision).toBeGreaterThanOrEqual(0.97);
    expect(model.clarifyAt).toBeLessThanOrEqual(model.verbatimAt);
  });
});
