import { describe, expect, it } from 'vitest';
import { KefuError } from '../errors/index.ts';
import { assertIntentsFileValid, isIntentsFileName, parseIntentsFile, routesByIntent } from './intents-file.ts';
import { formatRoute, parseRoute } from './routes.ts';

const messages = (issues: { line?: number; message: string }[]) => issues.map((issue) => `${issue.line ?? '-'}: ${issue.message}`);

describe('routes', () => {
  it('reads every route form and writes it back', () => {
    for (const text of ['faq:refund-window', 'action:order-status', 'person', 'person:high', 'retrieval']) {
      const parsed = parseRoute(text);
      expect(parsed.error).toBeUndefined();
      expect(parsed.route && formatRoute(parsed.route)).toBe(text);
    }
    expect(parseRoute('').route).toEqual({ kind: 'retrieval' });
    expect(parseRoute('Person: URGENT').route).toEqual({ kind: 'person', priority: 'urgent' });
    expect(parseRoute('faq：退款-1').route).toEqual({ kind: 'faq', faqId: '退款-1' });
  });

  it('explains what is wrong with a bad route', () => {
    expect(parseRoute('phone').error).toMatch(/unknown route "phone".*faq:<id>/);
    expect(parseRoute('faq:').error).toMatch(/needs the FAQ entry's id/);
    expect(parseRoute('person:asap').error).toMatch(/unknown priority "asap".*low, normal, high, urgent/);
    expect(parseRoute('action:order status').error).toMatch(/only letters, digits/);
    expect(parseRoute('retrieval:docs').error).toMatch(/takes nothing after it/);
  });
});

describe('isIntentsFileName', () => {
  it('recognises intents files by name and leaves FAQ sheets alone', () => {
    expect(['intents.csv', 'intents.yaml', 'shop.intents.yml', 'support-intents.csv', '意图.csv', 'INTENTS.CSV'].every(isIntentsFileName)).toBe(true);
    expect(['faq.csv', 'intents.xlsx', 'my-intentsfile.csv', 'notes.yaml'].some(isIntentsFileName)).toBe(false);
  });
});

describe('parseIntentsFile: CSV', () => {
  it('reads intents, examples, languages and routes, one example per row', () => {
    const text = [
      'intent,example,language,route',
      'order_status,Where is my order?,en,action:order-status',
      'order_status,我的订单到哪了,zh,',
      'order_status,has my parcel shipped yet,,',
      'complaint,I want to make a complaint,en,person:high',
      'complaint,我要投诉,,person:high',
      '',
      'out_of_scope,what is the weather like,,',
      'out_of_scope,tell me a joke,,',
    ].join('\n');
    const parsed = parseIntentsFile({ path: 'intents.csv', text });
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.intents.map((intent) => [intent.name, formatRoute(intent.route), intent.examples.length, intent.line])).toEqual([
      ['order_status', 'action:order-status', 3, 2],
      ['complaint', 'person:high', 2, 5],
    ]);
    expect(parsed.intents[0]?.examples.map((example) => example.language)).toEqual(['en', 'zh', 'en']);
    expect(parsed.outOfScopeExamples.map((example) => example.text)).toEqual(['what is the weather like', 'tell me a joke']);
    expect(parsed.trainingExamples).toHaveLength(7);
    expect(routesByIntent(parsed.intents).get('complaint')).toEqual({ kind: 'person', priority: 'high' });
  });

  it('accepts Chinese headers, a semicolon delimiter, a title row and several examples in one cell', () => {
    const text = '客服意图表\n意图;例句;路由\n退款;"怎么退款\n钱什么时候退回来";faq:refund\n退款;退款要多久;\n';
    const parsed = parseIntentsFile({ path: '意图.csv', text });
    expect(parsed.errors).toEqual([]);
    expect(parsed.intents[0]?.name).toBe('退款');
    expect(parsed.intents[0]?.route).toEqual({ kind: 'faq', faqId: 'refund' });
    expect(parsed.intents[0]?.examples.map((example) => example.text)).toEqual(['怎么退款', '钱什么时候退回来', '退款要多久']);
  });

  it('names the line of a bad route, a missing intent name and a conflicting route', () => {
    const text = [
      'intent,example,route',
      'order_status,where is my order,action:order-status',
      'order_status,track my parcel,faq:tracking',
      ',an orphan example,',
      'refund,how do I get my money back,phone',
      'refund,refund please,',
    ].join('\n');
    const parsed = parseIntentsFile({ path: 'intents.csv', text });
    expect(messages(parsed.errors)).toEqual([
      '4: the example "an orphan example" has no intent name',
      '3: intent "order_status" has route "faq:tracking" here but "action:order-status" on line 2; give one route per intent',
      expect.stringMatching(/^5: intent "refund": unknown route "phone"/),
    ]);
    expect(() => assertIntentsFileValid(parsed, '/inbox/intents.csv')).toThrow(KefuError);
    expect(() => assertIntentsFileValid(parsed, '/inbox/intents.csv')).toThrow(/intents\.csv: line 4: the example "an orphan example" has no intent name; line 3/);
  });

  it('warns about an intent with one example and leaves out an example given to two intents', () => {
    const text = [
      'intent,example',
      'card_arrival,When will my card arrive?',
      'card_arrival,my card has not come yet',
      'card_delivery,when will my card arrive',
      'card_delivery,how is the card delivered',
      'card_delivery,can I choose the delivery date',
      'lost_card,I lost my card',
      'lost_card,I lost my card!',
    ].join('\n');
    const parsed = parseIntentsFile({ path: 'intents.csv', text });
    expect(parsed.errors).toEqual([]);
    expect(messages(parsed.warnings)).toEqual([
      '4: "When will my card arrive?" is an example of "card_arrival" and "card_delivery" (lines 2, 4); it was left out of all of them: keep it in one',
      '2: intent "card_arrival" has only one example; give it at least 5 (10 or more works best) or it will rarely be recognised',
      '7: intent "lost_card" has only one example; give it at least 5 (10 or more works best) or it will rarely be recognised',
    ]);
    expect(parsed.counts).toEqual({ examplesRead: 7, duplicatesMerged: 1, ambiguousLeftOut: 2, overLimitLeftOut: 0 });
    expect(parsed.trainingExamples.map((example) => example.text)).not.toContain('when will my card arrive');
  });

  it('reports a file without the needed columns, and an empty one', () => {
    const wrong = parseIntentsFile({ path: 'intents.csv', text: 'question,answer\nhi,hello\n' });
    expect(messages(wrong.errors)).toEqual(['1: no header row with "intent" and "example" columns (or 意图 and 例句); columns found: "question", "answer"']);
    const empty = parseIntentsFile({ path: 'intents.csv', text: 'intent,example\n\n\n' });
    expect(messages(empty.errors)).toEqual(['-: the file declares no intents']);
    const unclosed = parseIntentsFile({ path: 'intents.csv', text: 'intent,example\na,"unclosed\n' });
    expect(unclosed.errors[0]?.message).toMatch(/unclosed quote/);
  });

  it('reads 100,000 lines in bounded time, keeping a fair share of each intent', () => {
    const lines = ['intent,example'];
    for (let index = 0; index < 100_000; index++) lines.push(`intent_${index % 40},customer message number ${index} about topic ${index % 40}`);
    lines.push('tiny,a rare request', 'tiny,another rare request');
    const started = performance.now();
    const parsed = parseIntentsFile({ path: 'intents.csv', text: lines.join('\n'), maxExamples: 20_000 });
    const seconds = (performance.now() - started) / 1000;
    expect(parsed.errors).toEqual([]);
    expect(parsed.trainingExamples.length).toBeLessThanOrEqual(20_000);
    expect(parsed.intents.find((intent) => intent.name === 'tiny')?.examples).toHaveLength(2);
    expect(parsed.intents.find((intent) => intent.name === 'intent_0')?.examples).toHaveLength(499);
    expect(parsed.counts.overLimitLeftOut).toBe(100_002 - parsed.trainingExamples.length);
    expect(parsed.warnings.at(-1)?.message).toMatch(/the file has 100002 examples; kefu trains on at most 20000/);
    // Generous bound for a loaded 2-core machine; typically well under a second.
    expect(seconds).toBeLessThan(15);
  });

  it('refuses a file too large to read, unread', () => {
    const parsed = parseIntentsFile({ path: 'intents.csv', text: `intent,example\n${'order,where is my order\n'.repeat(100)}`, maxCharacters: 1000 });
    expect(messages(parsed.errors)).toEqual(['-: the file has 2,415 characters; intents files are read up to 1,000 (about 25 examples): keep the best examples of each intent']);
    expect(parsed.intents).toEqual([]);
  });

  it('caps long lists of problems with a summary line', () => {
    const lines = ['intent,example,route'];
    for (let index = 0; index < 50; index++) lines.push(`intent_${index},example ${index},teleport`);
    const parsed = parseIntentsFile({ path: 'intents.csv', text: lines.join('\n') });
    expect(parsed.errors).toHaveLength(21);
    expect(parsed.errors.at(-1)?.message).toBe('… and 30 more route problems');
  });
});

describe('parseIntentsFile: YAML', () => {
  it('reads intents with routes, languages and examples', () => {
    const text = [
      'intents:',
      '  - name: order_status',
      '    route: action:order-status',
      '    examples:',
      '      - where is my order',
      '      - has my parcel shipped',
      '      - text: 我的订单到哪了',
      '        language: zh',
      '  - name: complaint',
      '    route: person:urgent',
      '    language: en',
      '    examples: [I want to complain, this is unacceptable]',
      '  - name: out_of_scope',
      '    examples: [tell me a joke]',
    ].join('\n');
    const parsed = parseIntentsFile({ path: 'intents.yaml', text });
    expect(parsed.errors).toEqual([]);
    expect(parsed.format).toBe('yaml');
    expect(parsed.intents.map((intent) => [intent.name, formatRoute(intent.route), intent.line])).toEqual([
      ['order_status', 'action:order-status', 2],
      ['complaint', 'person:urgent', 9],
    ]);
    expect(parsed.intents[0]?.examples.map((example) => [example.text, example.language])).toEqual([
      ['where is my order', 'en'],
      ['has my parcel shipped', 'en'],
      ['我的订单到哪了', 'zh'],
    ]);
    expect(parsed.outOfScopeExamples).toHaveLength(1);
  });

  it('names the line of invalid YAML and of a wrongly shaped intent', () => {
    const broken = parseIntentsFile({ path: 'intents.yml', text: 'intents:\n  - name: a\n    examples: [unclosed\n' });
    expect(broken.errors[0]?.message).toMatch(/^not valid YAML/);
    expect(broken.errors[0]?.line).toBeGreaterThanOrEqual(3);
    const shapes = parseIntentsFile({
      path: 'intents.yaml',
      text: ['intents:', '  - examples: [hello]', '  - name: refund', '    exemples: [money back]', '    examples: refund please', '  - name: out_of_scope', '    route: person', '    examples: [a joke]'].join('\n'),
    });
    expect(messages(shapes.errors)).toEqual([
      '2: this intent has no "name:" (a word, such as order_status)',
      '5: "examples:" of "refund" must be a list, one phrase per "- " line',
      '6: "out_of_scope" holds examples of messages that belong to no intent; it cannot have a route (found "person")',
    ]);
    expect(messages(shapes.warnings)[0]).toBe('4: unknown key "exemples" ignored; an intent has name, route, language and examples');
    const notAList = parseIntentsFile({ path: 'intents.yaml', text: 'order_status:\n  - where is my order\n' });
    expect(notAList.errors[0]?.message).toMatch(/expected a list under "intents:"/);
  });
});
