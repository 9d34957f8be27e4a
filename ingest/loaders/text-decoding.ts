/**
 * Turns the bytes of a text file into a string. UTF-8 (with or without BOM) and UTF-16 with a BOM are
 * read directly; otherwise GB18030 (a superset of GBK/GB2312, what Chinese Windows saves by default)
 * is tried. Binary data and bytes that are neither are refused with a message naming the problem.
 */
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { loaderError } from './shared.ts';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const SAMPLE_BYTES = 64 * 1024;

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((value, index) => bytes[index] === value);
}

/**
 * Binary if the sample has NUL bytes or more than 10% control characters other than tab, line
 * feed, carriage return, form feed and escape. Text files never contain NUL; most binary formats do.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const length = Math.min(bytes.length, SAMPLE_BYTES);
  if (length === 0) return false;
  let control = 0;
  for (let index = 0; index < length; index++) {
    const byte = bytes[index] ?? 0;
    if (byte === 0) return true;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) control++;
    else if (byte === 0x7f) control++;
  }
  return control / length > 0.1;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * GB18030 decodes almost any byte sequence somehow, so accept it only if nothing was replaced and the
 * non-ASCII characters are overwhelmingly Chinese characters and CJK punctuation (as real Chinese text is).
 */
function decodeGb18030(bytes: Uint8Array): string | undefined {
  const text = iconv.decode(bytes, 'gb18030');
  if (text.includes('\ufffd')) return undefined;
  let nonAscii = 0;
  let chinese = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) continue;
    nonAscii++;
    if (/[\p{Script=Han}\u3000-\u303f\uff00-\uffef\u2010-\u2027\u00b7]/u.test(char)) chinese++;
  }
  return nonAscii === 0 || chinese / nonAscii >= 0.9 ? text : undefined;
}

/** What chardet guesses, for the error message ("looks like ISO-8859-1"). */
function guessEncoding(bytes: Uint8Array): string | undefined {
  const guess = chardet.detect(bytes.subarray(0, SAMPLE_BYTES));
  return guess && guess !== 'UTF-8' && guess !== 'GB18030' ? guess : undefined;
}

/** The byte offset of the first invalid UTF-8 sequence, for the error message. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const lenient = new TextDecoder('utf-8').decode(bytes);
  const index = lenient.indexOf('\ufffd');
  return index < 0 ? 0 : Buffer.byteLength(lenient.slice(0, index), 'utf8');
}

/**
 * The encoding a byte-order mark declares, or undefined without one. Read before any binary check: UTF-16
 * text is full of NUL bytes (every ASCII character has one), so only its BOM tells it from binary data.
 *
 * @example
 *   bomEncoding(Buffer.from([0xff, 0xfe, 0x41, 0x00])) // 'utf-16le'
 */
export function bomEncoding(bytes: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' | undefined {
  if (startsWith(bytes, UTF8_BOM)) return 'utf-8';
  if (startsWith(bytes, [0xff, 0xfe])) return 'utf-16le';
  if (startsWith(bytes, [0xfe, 0xff])) return 'utf-16be';
  return undefined;
}

/** Text that decoded from UTF-16 but holds NUL or many control characters is binary data behind a BOM. */
function looksBinaryText(text: string): boolean {
  const sample = text.slice(0, SAMPLE_BYTES);
  if (sample.length === 0) return false;
  let control = 0;
  for (let index = 0; index < sample.length; index++) {
    const code = sample.charCodeAt(index);
    if (code === 0) return true;
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c && code !== 0x1b) || code === 0x7f) control++;
  }
  return control / sample.length > 0.1;
}

export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030';
}

/**
 * Decodes a text file's bytes.
 *
 * @example
 *   decodeText({ path: 'faq.txt', bytes: iconv.encode('退款', 'gb18030') }) // { text: '退款', encoding: 'gb18030' }
 */
export function decodeText({ path, bytes }: { path: string; bytes: Uint8Array }): DecodedText {
  const bom = bomEncoding(bytes);
  if (bom === 'utf-16le' || bom === 'utf-16be') {
    const text = new TextDecoder(bom).decode(bytes.subarray(2));
    if (looksBinaryText(text)) throw loaderError('INGEST_BINARY', path, 'it starts with a UTF-16 byte-order mark but holds NUL or control characters that text does not have');
    return { text, encoding: bom };
  }
  const body = bom === 'utf-8' ? bytes.subarray(UTF8_BOM.length) : bytes;
  if (looksBinary(body)) {
    throw loaderError('INGEST_BINARY', path, 'it contains NUL bytes or control characters that text files do not have');
  }
  const utf8 = decodeUtf8(body);
  if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8' };
  const gb18030 = decodeGb18030(body);
  if (gb18030 !== undefined) return { text: gb18030, encoding: 'gb18030' };
  const guess = guessEncoding(body);
  const offset = firstInvalidUtf8Offset(body);
  throw loaderError(
    'INGEST_ENCODING',
    path,
    `not valid UTF-8 (first bad byte at offset ${offset}) and not GB18030 Chinese either${guess ? `; it may be ${guess}` : ''}`,
  );
}
