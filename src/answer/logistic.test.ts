import { describe, expect, it } from 'vitest';
import { fitLogistic, predictLogistic } from './logistic.ts';

describe('logistic regression', () => {
  it('learns a separable rule and gives calibrated-looking probabilities', () => {
    const rows = Array.from({ length: 200 }, (_, index) => {
      const a = (index % 20) / 20;
      const b = ((index * 7) % 13) / 13;
      return { x: [a, b], y: (a > 0.5 ? 1 : 0) as 0 | 1 };
    });
    const model = fitLogistic({ names: ['a', 'b'], rows });
    expect(predictLogistic(model, { a: 0.95, b: 0.5 })).toBeGreaterThan(0.8);
    expect(predictLogistic(model, { a: 0.05, b: 0.5 })).toBeLessThan(0.2);
    expect(Math.abs(model.weights[1] ?? 1)).toBeLessThan(Math.abs(model.weights[0] ?? 0));
  });

  it('weights rows, so a small dataset counts as much as a large one', () => {
    const rows = [
      ...Array.from({ length: 90 }, () => ({ x: [1], y: 1 as const, weight: 1 / 90 })),
      ...Array.from({ length: 10 }, () => ({ x: [1], y: 0 as const, weight: 1 / 10 })),
    ];
    expect(predictLogistic(fitLogistic({ names: ['a'], rows }), { a: 1 })).toBeCloseTo(0.5, 1);
  });
});
