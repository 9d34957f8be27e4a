import { describe, expect, it } from 'vitest';
import { queryTerms } from './corpus-stats.ts';

describe('query terms', () => {
  it('are the keywords the index holds: folded, stemmed, without possessives', () => {
    expect(queryTerms("What was Apple's revenue?")).toEqual(['appl', 'revenu']);
    expect(queryTerms('退貨多久到帳')).toEqual(queryTerms('退货多久到帐'));
  });

  it('count a code once (its parts only make it findable in the index)', () => {
    expect(queryTerms('How did COVID-19 get its name?')).toEqual(['covid19', 'name']);
    expect(queryTerms('Where is order A-10023?')).toEqual(['order', 'a10023']);
  });
});
