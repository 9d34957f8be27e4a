/**
 * The WeChat Official Account message protocol in plain-text mode (明文模式): the server signature, the XML messages
 * WeChat posts, and the passive reply. The encrypted (安全) mode is not supported.
 *
 * XML is read by a strict small parser rather than a general one: WeChat sends one flat `<xml>` element whose
 * children hold text or CDATA (a few events nest one level more). A DOCTYPE, an entity declaration, a processing
 * instruction other than the XML declaration, or any entity but the five predefined ones and character references is
 * refused, so there is no XXE and no entity expansion.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { KefuError } from '../errors/index.ts';

/**
 * True when `signature` is sha1 of the sorted, concatenated token, timestamp and nonce (WeChat's server signature).
 *
 * @example
 *   checkSignature({ token: 'kefu', timestamp: '1767600000', nonce: '42', signature }) // true or false
 */
export function checkSignature(options: { token: string; timestamp: unknown; nonce: unknown; signature: unknown }): boolean {
  const { token, timestamp, nonce, signature } = options;
  if (typeof timestamp !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string') return false;
  if (!/^[0-9a-f]{40}$/i.test(signature)) return false;
  const expected = Buffer.from(wechatSignature({ token, timestamp, nonce }), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature.toLowerCase(), 'hex'));
}

/** sha1 hex of the three values sorted and joined (what WeChat sends as `signature`). */
export function wechatSignature(options: { token: string; timestamp: string; nonce: string }): string {
  return createHash('sha1').update([options.token, options.timestamp, options.nonce].sort().join(''), 'utf8').digest('hex');
}

/** An element: its text (CDATA and text joined), or its children by name. */
export interface XmlElement {
  name: string;
  text: string;
  children: XmlElement[];
}

const MAX_DEPTH = 4;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (match, entity: string | undefined) => {
    if (!entity) throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: 'a bare "&" outside CDATA' });
    if (entity.startsWith('#x') || entity.startsWith('#')) {
      const code = entity.startsWith('#x') ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff) throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: `a bad character reference ${match}` });
      return String.fromCodePoint(code);
    }
    const value = PREDEFINED[entity];
    if (value === undefined) throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: `the entity "${match}" (only the five predefined XML entities are accepted)` });
    return value;
  });
}

/**
 * Parses WeChat's XML strictly (see the file comment). Throws WECHAT_MESSAGE_INVALID naming what is wrong.
 *
 * @example
 *   parseXml('<xml><MsgType><![CDATA[text]]></MsgType></xml>').children[0] // { name: 'MsgType', text: 'text', children: [] }
 */
export function parseXml(xml: string): XmlElement {
  let position = 0;
  const fail = (detail: string): never => {
    throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: `${detail} (at character ${position})` });
  };
  const skipSpace = () => {
    while (position < xml.length && /\s/.test(xml[position] ?? '')) position += 1;
  };
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) fail('a DOCTYPE or entity declaration is not accepted');
  if (xml.charCodeAt(0) === 0xfeff) position = 1;
  skipSpace();
  if (xml.startsWith('<?xml', position)) {
    const end = xml.indexOf('?>', position);
    if (end < 0) fail('an unfinished XML declaration');
    position = end + 2;
  }

  function element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) fail('elements nested too deeply');
    const open = /^<([A-Za-z_][\w.-]*)\s*(\/?)>/.exec(xml.slice(position, position + 200));
    if (!open) fail('an element was expected');
    const [whole, name = '', selfClosing] = open ?? [];
    position += whole?.length ?? 0;
    const node: XmlElement = { name, text: '', children: [] };
    if (selfClosing) return node;
    for (;;) {
      if (position >= xml.length) fail(`<${name}> is not closed`);
      if (xml.startsWith('<![CDATA[', position)) {
        const end = xml.indexOf(']]>', position);
        if (end < 0) fail('an unfinished CDATA section');
        node.text += xml.slice(position + 9, end);
        position = end + 3;
      } else if (xml.startsWith('</', position)) {
        const close = `</${name}>`;
        if (!xml.startsWith(close, position)) fail(`</${name}> was expected`);
        position += close.length;
        return node;
      } else if (xml.startsWith('<!--', position)) {
        const end = xml.indexOf('-->', position);
        if (end < 0) fail('an unfinished comment');
        position = end + 3;
      } else if (xml.startsWith('<!', position) || xml.startsWith('<?', position)) {
        fail('a declaration or processing instruction inside the message');
      } else if (xml[position] === '<') {
        node.children.push(element(depth + 1));
      } else {
        const next = xml.indexOf('<', position);
        const end = next < 0 ? xml.length : next;
        node.text += decodeText(xml.slice(position, end));
        position = end;
      }
    }
  }

  const root = element(1);
  skipSpace();
  if (position < xml.length) fail('text after the root element');
  if (root.name !== 'xml') fail(`the root element is <${root.name}>, not <xml>`);
  return root;
}

/** The fields of a message: each child's text by name (nested elements flattened one level, e.g. ScanCodeInfo). */
export function messageFields(root: XmlElement): Record<string, string> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const child of root.children) {
    fields[child.name] = child.text;
    for (const inner of child.children) fields[`${child.name}.${inner.name}`] = inner.text;
  }
  return fields;
}

/** Text as CDATA (a "]]>" inside is split across two sections, so no text can end the section early). */
function cdata(text: string): string {
  return `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/**
 * The passive reply to a message: a text message back to the sender.
 *
 * @example
 *   textReply({ to: 'oUser', from: 'gh_account', content: 'Hello', now: new Date() })
 */
export function textReply(options: { to: string; from: string; content: string; now?: Date }): string {
  const createTime = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return `<xml><ToUserName>${cdata(options.to)}</ToUserName><FromUserName>${cdata(options.from)}</FromUserName><CreateTime>${createTime}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata(options.content)}</Content></xml>`;
}

/** WeChat's limit on a text message (2048 bytes of UTF-8), with room for an ellipsis. */
const MAX_TEXT_BYTES = 2000;

/**
 * Cuts text to what WeChat accepts in one text message, at a character boundary, with an ellipsis when cut.
 *
 * @example
 *   fitWechatText('a'.repeat(5000)).length // 2001
 */
export function fitWechatText(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= MAX_TEXT_BYTES) return text;
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    bytes += Buffer.byteLength(character, 'utf8');
    if (bytes > MAX_TEXT_BYTES) break;
    end += character.length;
  }
  return `${text.slice(0, end).trimEnd()}…`;
}
