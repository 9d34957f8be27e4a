import { describe, expect, it } from 'vitest';
import { checkSignature, fitWechatText, messageFields, parseXml, textReply, wechatSignature } from './wechat-protocol.ts';
import { wechatText } from './wechat.ts';

describe('WeChat signature', () => {
  it('accepts sha1 of the sorted token, timestamp and nonce, and nothing else', () => {
    // Worked by hand: sorted ["1409659813", "1372623149", "kefu"] → "13726231491409659813kefu".
    const signature = wechatSignature({ token: 'kefu', timestamp: '1409659813', nonce: '1372623149' });
    expect(signature).toMatch(/^[0-9a-f]{40}$/);
    expect(checkSignature({ token: 'kefu', timestamp: '1409659813', nonce: '1372623149', signature })).toBe(true);
    expect(checkSignature({ token: 'kefu', timestamp: '1409659813', nonce: '1372623149', signature: signature.toUpperCase() })).toBe(true);
    expect(checkSignature({ token: 'other', timestamp: '1409659813', nonce: '1372623149', signature })).toBe(false);
    expect(checkSignature({ token: 'kefu', timestamp: '1409659814', nonce: '1372623149', signature })).toBe(false);
    expect(checkSignature({ token: 'kefu', timestamp: '1409659813', nonce: '1372623149', signature: 'abc' })).toBe(false);
    expect(checkSignature({ token: 'kefu', timestamp: undefined, nonce: '1', signature })).toBe(false);
  });
});

describe('WeChat XML', () => {
  const message = `<xml>
  <ToUserName><![CDATA[gh_account]]></ToUserName>
  <FromUserName><![CDATA[oUser123]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[退货要多久？ <b>&amp;</b>]]></Content>
  <MsgId>1234567890123456</MsgId>
</xml>`;

  it('reads a text message: CDATA kept as written, text decoded', () => {
    const fields = messageFields(parseXml(message));
    expect(fields).toMatchObject({ ToUserName: 'gh_account', FromUserName: 'oUser123', CreateTime: '1348831860', MsgType: 'text', Content: '退货要多久？ <b>&amp;</b>', MsgId: '1234567890123456' });
    expect(messageFields(parseXml('<?xml version="1.0"?><xml><A>x &lt; y &#x4E2D;&#25991;</A><B/></xml>'))).toMatchObject({ A: 'x < y 中文', B: '' });
  });

  it('flattens one nested level (event details)', () => {
    const fields = messageFields(parseXml('<xml><Event>scancode_push</Event><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>'));
    expect(fields['ScanCodeInfo.ScanType']).toBe('qrcode');
  });

  it.each([
    ['a DOCTYPE (XXE)', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>'],
    ['an unknown entity', '<xml><Content>&xxe;</Content></xml>'],
    ['a bare ampersand', '<xml><Content>a & b</Content></xml>'],
    ['an unclosed element', '<xml><Content>hello</xml>'],
    ['an unfinished CDATA section', '<xml><Content><![CDATA[hello</Content></xml>'],
    ['a processing instruction inside', '<xml><?php echo 1 ?></xml>'],
    ['another root element', '<message><Content>x</Content></message>'],
    ['text after the root', '<xml></xml>trailing'],
    ['not XML at all', '{"MsgType":"text"}'],
    ['elements nested too deeply', '<xml><a><b><c><d><e>x</e></d></c></b></a></xml>'],
  ])('refuses %s with WECHAT_MESSAGE_INVALID', (_name, xml) => {
    expect(() => parseXml(xml)).toThrow(expect.objectContaining({ code: 'WECHAT_MESSAGE_INVALID' }) as Error);
  });

  it('writes a passive reply whose text can never end its CDATA section', () => {
    const xml = textReply({ to: 'oUser123', from: 'gh_account', content: 'a ]]> b <script>', now: new Date(1_700_000_000_000) });
    const fields = messageFields(parseXml(xml));
    expect(fields).toMatchObject({ ToUserName: 'oUser123', FromUserName: 'gh_account', CreateTime: '1700000000', MsgType: 'text', Content: 'a ]]> b <script>' });
  });
});

describe('WeChat text', () => {
  it('turns an answer into plain text without citation markers, within 2,000 bytes', () => {
    expect(wechatText('Refunds take **5 business days** [1].\n\n- Keep the receipt [2]')).toBe('Refunds take 5 business days.\n\n- Keep the receipt');
    const long = fitWechatText('退'.repeat(2000));
    expect(Buffer.byteLength(long, 'utf8')).toBeLessThanOrEqual(2003);
    expect(long.endsWith('…')).toBe(true);
  });
});
