/**
 * The out-of-scope threshold: below it, the best intent is not trusted and the message gets no intent.
 * Learned on held-out examples only, never on the examples the weights were fitted to (those are
 * recognised with a confidence no new message will have).
 *
 * - With out-of-scope examples held out: the threshold that maximises the mean of in-scope accuracy
 *   and out-of-scope recall (each kind of mistake counts as much, whatever the two groups' sizes).
 * - Without them (most owners write none): the threshold that keeps `inScopeKeep` of the held-out
 *   in-scope examples the classifier got right, a quantile of their confidences.
 *
 * @example
 *   tuneThreshold({ scored: [{ confidence: 0.9, correct: true, outOfScope: false, rejectedByClass: false }], inScopeKeep: 0.95 })
 */

/** One held-out example as the classifier saw it. */
export interface ScoredExample {
  /** Probability of the best in-scope intent. */
  confidence: number;
  /** The best in-scope intent is the gold one (always false for out-of-scope examples). */
  correct: boolean;
  /** The gold label is out of scope. */
  outOfScope: boolean;
  /** The out-of-scope class won the ranking (the message is rejected whatever the threshold). */
  rejectedByClass: boolean;
}

export interface ThresholdChoice {
  threshold: number;
  /** How it was chosen, for the training report. */
  method: 'balanced-out-of-scope' | 'in-scope-quantile' | 'default';
  /** In-scope accuracy and out-of-scope recall on the held-out examples at this threshold. */
  inScopeAccuracy: number;
  outOfScopeRecall?: number;
}

/** In-scope accuracy and out-of-scope recall of held-out examples at one threshold. */
export function scoreThreshold(scored: readonly ScoredExample[], threshold: number): { inScopeAccuracy: number; outOfScopeRecall: number | undefined } {
  let inScope = 0;
  let inScopeRight = 0;
  let outOfScope = 0;
  let outOfScopeCaught = 0;
  for (const example of scored) {
    const accepted = !example.rejectedByClass && example.confidence >= threshold;
    if (example.outOfScope) {
      outOfScope++;
      if (!accepted) outOfScopeCaught++;
    } else {
      inScope++;
      if (accepted && example.correct) inScopeRight++;
    }
  }
  return { inScopeAccuracy: inScope > 0 ? inScopeRight / inScope : 0, outOfScopeRecall: outOfScope > 0 ? outOfScopeCaught / outOfScope : undefined };
}

/**
 * Chooses the threshold from held-out examples (see the module comment). `fallback` is used when
 * nothing was held out.
 *
 * @example
 *   const { threshold } = tuneThreshold({ scored, inScopeKeep: 0.95, fallback: 0.3 });
 */
export function tuneThreshold({ scored, inScopeKeep, fallback = 0 }: { scored: readonly ScoredExample[]; inScopeKeep: number; fallback?: number }): ThresholdChoice {
  const inScope = scored.filter((example) => !example.outOfScope);
  if (inScope.length === 0) return { threshold: fallback, method: 'default', inScopeAccuracy: 0 };
  if (scored.some((example) => example.outOfScope)) {
    // Every distinct confidence is a candidate (plus 0); the best mean wins, the lower threshold on ties.
    const candidates = [0, ...new Set(scored.map((example) => example.confidence))].sort((left, right) => left - right);
    let best: ThresholdChoice = { threshold: 0, method: 'balanced-out-of-scope', inScopeAccuracy: 0 };
    let bestScore = -1;
    for (const threshold of candidates) {
      const { inScopeAccuracy, outOfScopeRecall = 0 } = scoreThreshold(scored, threshold);
      const score = (inScopeAccuracy + outOfScopeRecall) / 2;
      if (score > bestScore + 1e-12) {
        bestScore = score;
        best = { threshold, method: 'balanced-out-of-scope', inScopeAccuracy, outOfScopeRecall };
      }
    }
    return best;
  }
  const right = inScope.filter((example) => example.correct && !example.rejectedByClass).map((example) => example.confidence).sort((left, right) => left - right);
  if (right.length === 0) return { threshold: fallback, method: 'default', inScopeAccuracy: 0 };
  const threshold = right[Math.min(right.length - 1, Math.floor((1 - inScopeKeep) * right.length + 1e-9))] ?? fallback;
  return { threshold, method: 'in-scope-quantile', inScopeAccuracy: scoreThreshold(scored, threshold).inScopeAccuracy };
}
