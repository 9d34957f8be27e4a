import { describe, expect, it } from 'vitest';
import { lookup, MissingFieldError, parseTemplate, renderBody, renderHeader, renderReply, renderUrl } from './template.ts';

const parse = (text: string, allow: Parameters<typeof parseTemplate>[0]['allow']) => {
  const parsed = parseTemplate({ text, allow });
  if (!parsed.template) throw new Error(parsed.error);
  return parsed.template;
};

describe('action templates', () => {
  it('reads slots, secrets, response paths and literal braces', () => {
    expect(parse('a {order} {env.TOKEN} {response.items[0].name} {{x}}', { slots: ['order'], env: true, response: true })).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'slot', name: 'order' },
      { kind: 'text', text: ' ' },
      { kind: 'env', name: 'TOKEN' },
      { kind: 'text', text: ' ' },
      { kind: 'response', path: ['items', 0, 'name'] },
      { kind: 'text', text: ' {x}' },
    ]);
    expect(parseTemplate({ text: '{order', allow: {} }).error).toMatch(/without its "}"/);
    expect(parseTemplate({ text: '{response.a}', allow: { slots: [] } }).error).toMatch(/only in the reply/);
  });

  it('encodes each value for where it lands', () => {
    const secret = (name: string) => (name === 'TOKEN' ? 's3cr3t' : undefined);
    const url = renderUrl({ template: parse('https://api.example.com/orders/{order}?key={env.TOKEN}', { slots: ['order'], env: true }), slots: { order: '../x?y=1#z' }, secret });
    expect(url.host).toBe('api.example.com');
    expect(url.pathname).toBe('/orders/..%2Fx%3Fy%3D1%23z');
    expect(url.searchParams.get('key')).toBe('s3cr3t');
    expect(() => renderHeader({ template: parse('Bearer {env.TOKEN}', { env: true }), slots: {}, secret: () => 'a\r\nX-Injected: 1' })).toThrow(/control character/);
    expect(JSON.stringify(renderBody({ template: { id: parse('{order}', { slots: ['order'] }), list: [1, parse('x{order}', { slots: ['order'] })], flag: true }, slots: { order: '"}' } }))).toBe('{"id":"\\"}","list":[1,"x\\"}"],"flag":true}');
  });

  it('writes response values into replies as plain text, and names a missing field', () => {
    const template = parse('Status: {response.status}', { response: true });
    expect(renderReply({ template, slots: {}, response: { status: '[click](https://evil.example) **now**' } })).toBe('Status: \\[click\\](https://evil.example) \\*\\*now\\*\\*');
    expect(() => renderReply({ template, slots: {}, response: { other: 1 } })).toThrow(MissingFieldError);
    expect(() => renderReply({ template, slots: {}, response: { status: { nested: true } } })).toThrow(/no usable field "status"/);
    expect(lookup({ a: [{ b: 2 }] }, ['a', 0, 'b'])).toBe(2);
    expect(lookup({ a: 1 }, ['__proto__'])).toBeUndefined();
  });
});
