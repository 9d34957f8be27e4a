import { describe, expect, it } from 'vitest';
import { looksLikeNewTopic } from './routing.ts';

describe('a message after kefu asked for a slot', () => {
  it('is an attempt at the slot when short and not a question of its own', () => {
    for (const text of ['KF20260001', 'hmm one sec', 'the one from Monday', '等一下', '好的']) expect(looksLikeNewTopic(text), text).toBe(false);
  });
  it('is a new topic when it asks something or says more', () => {
    for (const text of ['How long do I have to return an item?', 'what about refunds', 'I don\'t know my order number at all sorry', '退货政策是什么', '你们的退款一般需要多长时间才能到账']) expect(looksLikeNewTopic(text), text).toBe(true);
  });
});
