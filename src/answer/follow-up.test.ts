import { describe, expect, it } from 'vitest';
import { analyzeFollowUp, isFollowUp } from './follow-up.ts';

describe('follow-up questions', () => {
  it('treats fragments that lean on the previous turn as follow-ups', () => {
    for (const question of ['and for sale items?', 'And for newborns?', 'What about Canada?', 'so what about refurbished ones?', 'Is it free?', 'How long does it take?', '那特价商品呢？', '特价商品呢？', '它多少钱？']) {
      expect(isFollowUp(question), question).toBe(true);
    }
  });

  it('searches complete questions as asked, whatever word they start with', () => {
    for (const question of ['Can I pay with PayPal?', 'Is return shipping free for damaged items?', 'So how long does express shipping take?', 'How long does shipping take?', 'Shipping to Canada?', '你们接受比特币吗？', '退款多久到账？']) {
      expect(isFollowUp(question), question).toBe(false);
    }
  });

  it('keeps the follow-up’s own words as the focus and carries the topic', () => {
    const analysis = analyzeFollowUp('and for sale items?', [{ role: 'user', text: 'How long do I have to return an item?' }]);
    expect(analysis.followUp).toBe(true);
    expect(analysis.focusTerms).toEqual(['sale', 'item']);
    expect(analysis.carriedTerms).toContain('return');
    expect(analysis.query).toContain('return');
    expect(analyzeFollowUp('Can I pay with PayPal?', [{ role: 'user', text: 'How long does express shipping take?' }]).query).toBe('Can I pay with PayPal?');
  });
});
