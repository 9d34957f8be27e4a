import { describe, expect, it } from 'vitest';
import { answerTypeMatch, answerTypeOf } from './answer-type.ts';

describe('answer types', () => {
  it('reads what a question asks for, in English and Chinese', () => {
    const cases: Array<[string, string]> = [
      ['How long is an access token valid?', 'duration'],
      ['How much does express shipping cost?', 'money'],
      ['When will I get my refund?', 'date'],
      ['How many vacation days do I get?', 'duration'],
      ['How many dependents can I add?', 'number'],
      ['How do I file a claim?', 'steps'],
      ['What are the covered services?', 'list'],
      ['Is acupuncture covered?', 'yesno'],
      ['退款多久到账？', 'duration'],
      ['运费是多少？', 'money'],
      ['怎么开发票？', 'steps'],
      ['支持哪些支付方式？', 'list'],
      ['可以退货吗？', 'yesno'],
      ['What is the Northwind Standard plan?', 'other'],
      ['广三铁路在哪年建成？', 'date'],
      ['if i paid with paypal, how fast is the refund?', 'duration'],
      ['秧鸡什么时期从关岛南部消失了？', 'date'],
      ['颈阔肌在老年人身上有着怎样的体现？', 'other'],
      ['在家人在佛教道教有什么称谓？', 'other'],
      ['如何申请发票？', 'steps'],
    ];
    for (const [question, type] of cases) expect(answerTypeOf(question), question).toBe(type);
  });

  it('recognises the asked-for content in a sentence', () => {
    expect(answerTypeMatch('duration', 'Access tokens expire after 3600 seconds.')).toBe(1);
    expect(answerTypeMatch('duration', 'Access tokens are signed with RS256.')).toBe(0);
    expect(answerTypeMatch('money', 'Express shipping costs $12.')).toBe(1);
    expect(answerTypeMatch('money', '运费为10元。')).toBe(1);
    expect(answerTypeMatch('duration', '退款将在5个工作日内到账。')).toBe(1);
    expect(answerTypeMatch('date', '广三铁路于1903年建成。')).toBe(1);
    expect(answerTypeMatch('date', '秧鸡在1970年代初期消失。')).toBe(1);
  });
});
