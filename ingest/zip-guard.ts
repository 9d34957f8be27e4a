/**
 * Zip bombs: a .docx or .xlsx is a zip archive, and a few hundred KB of zip can hold 100 MB of XML that a parser
 * would expand into gigabytes. Before mammoth or exceljs see a file, every part is inflated here with its output
 * counted and thrown away, stopping at the first byte over a limit. The sizes the archive declares are never
 * trusted (a bomb lies about them); what inflating produces is what counts.
 *
 * Two limits, as Apache POI's ZipSecureFile has them: the total decompressed size, and the ratio of a part's
 * decompressed to compressed size (real Office XML compresses 5-20 times; bombs 300-1000 times).
 *
 * @example
 *   await checkZipContainer({ path: 'policy.docx', bytes, maxUnzippedBytes: 200 * 1024 * 1024, maxRatio: 100 });
 */
import { createInflate, createInflateRaw } from 'node:zlib';
import { loaderError } from './loaders/shared.ts';

export interface ZipLimits {
  /** Most bytes all parts may inflate to together. */
  maxUnzippedBytes: number;
  /** Largest decompressed / compressed ratio of one part (checked once the part has inflated past 1 MB). */
  maxRatio: number;
  /** Most parts an archive may have (a directory of a million empty parts is a bomb too). */
  maxEntries?: number;
}

export interface ZipReport {
  entries: number;
  /** Bytes all parts inflated to. */
  unzippedBytes: number;
}

interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  localOffset: number;
}

/** A part may be small and highly compressed (an empty-ish styles.xml); the ratio only matters past this size. */
const RATIO_GRACE_BYTES = 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 10_000;
const MEGABYTE = 1024 * 1024;

function megabytes(bytes: number): string {
  return `${(bytes / MEGABYTE).toFixed(bytes < 10 * MEGABYTE ? 1 : 0)} MB`;
}

/** Reads the central directory (zip64 included). Throws INGEST_CORRUPT when it is missing or out of bounds. */
function readCentralDirectory(path: string, bytes: Buffer, maxEntries: number): CentralEntry[] {
  const corrupt = (problem: string) => loaderError('INGEST_CORRUPT', path, problem);
  // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
  let end = -1;
  for (let position = bytes.length - 22; position >= Math.max(0, bytes.length - 22 - 0xffff); position--) {
    if (bytes.readUInt32LE(position) === 0x06054b50) {
      end = position;
      break;
    }
  }
  if (end < 0) throw corrupt('no zip directory at the end of the file: it is cut off or not a zip archive');
  let count = bytes.readUInt16LE(end + 10);
  let directorySize = bytes.readUInt32LE(end + 12);
  let directoryOffset = bytes.readUInt32LE(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || bytes.readUInt32LE(locator) !== 0x07064b50) throw corrupt('a zip64 archive without its zip64 directory locator');
    const record = Number(bytes.readBigUInt64LE(locator + 8));
    if (record < 0 || record + 56 > bytes.length || bytes.readUInt32LE(record) !== 0x06064b50) throw corrupt('a damaged zip64 directory');
    count = Number(bytes.readBigUInt64LE(record + 32));
    directorySize = Number(bytes.readBigUInt64LE(record + 40));
    directoryOffset = Number(bytes.readBigUInt64LE(record + 48));
  }
  if (count > maxEntries) throw loaderError('INGEST_LIMIT', path, `the archive has ${count} parts; more than ${maxEntries} is not an Office document`);
  if (directoryOffset + directorySize > bytes.length) throw corrupt('the zip directory points past the end of the file: it is cut off');
  const entries: CentralEntry[] = [];
  let position = directoryOffset;
  for (let index = 0; index < count; index++) {
    if (position + 46 > bytes.length || bytes.readUInt32LE(position) !== 0x02014b50) throw corrupt('a damaged zip directory entry');
    const flags = bytes.readUInt16LE(position + 8);
    const method = bytes.readUInt16LE(position + 10);
    let compressedSize = bytes.readUInt32LE(position + 20);
    let uncompressedSize = bytes.readUInt32LE(position + 24);
    const nameLength = bytes.readUInt16LE(position + 28);
    const extraLength = bytes.readUInt16LE(position + 30);
    const commentLength = bytes.readUInt16LE(position + 32);
    let localOffset = bytes.readUInt32LE(position + 42);
    const name = bytes.toString('utf8', position + 46, position + 46 + nameLength);
    // Zip64 sizes and offset live in extra field 0x0001, in this order, for each field stored as 0xffffffff.
    let extra = position + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = bytes.readUInt16LE(extra);
      const size = bytes.readUInt16LE(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        if (uncompressedSize === 0xffffffff && field + 8 <= extra + 4 + size) {
          uncompressedSize = Number(bytes.readBigUInt64LE(field));
          field += 8;
        }
        if (compressedSize === 0xffffffff && field + 8 <= extra + 4 + size) {
          compressedSize = Number(bytes.readBigUInt64LE(field));
          field += 8;
        }
        if (localOffset === 0xffffffff && field + 8 <= extra + 4 + size) localOffset = Number(bytes.readBigUInt64LE(field));
      }
      extra += 4 + size;
    }
    entries.push({ name, method, flags, compressedSize, localOffset });
    position = extraEnd + commentLength;
  }
  return entries;
}

/** Inflates `data`, counting output and discarding it; stops as soon as `budget` or the ratio is exceeded. */
function inflateCounting(data: Buffer, options: { budget: number; maxRatio: number }): Promise<{ bytes: number; over?: 'total' | 'ratio' }> {
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw({ chunkSize: 64 * 1024 });
    let produced = 0;
    let settled = false;
    const finish = (result: { bytes: number; over?: 'total' | 'ratio' }) => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      resolve(result);
    };
    inflater.on('data', (chunk: Buffer) => {
      produced += chunk.length;
      // The ratio of what came out to what went in so far: a bomb is caught after its first MB, not at the end.
      if (produced > options.budget) finish({ bytes: produced, over: 'total' });
      else if (produced > RATIO_GRACE_BYTES && produced / Math.max(1, inflater.bytesWritten) > options.maxRatio) finish({ bytes: produced, over: 'ratio' });
    });
    inflater.on('end', () => finish({ bytes: produced }));
    inflater.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    inflater.end(data);
  });
}

/**
 * Inflates every part of a zip container within the limits. Throws INGEST_LIMIT (a bomb or simply too big),
 * INGEST_PASSWORD (zip encryption) or INGEST_CORRUPT (a damaged archive); resolves when the file is safe to parse.
 *
 * @example
 *   const report = await checkZipContainer({ path, bytes, maxUnzippedBytes: 200 * 2 ** 20, maxRatio: 100 });
 */
export async function checkZipContainer(options: { path: string; bytes: Buffer } & ZipLimits): Promise<ZipReport> {
  const { path, bytes, maxUnzippedBytes, maxRatio } = options;
  const entries = readCentralDirectory(path, bytes, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  let total = 0;
  for (const entry of entries) {
    if (entry.flags & 0x1) throw loaderError('INGEST_PASSWORD', path, `part ${entry.name} is encrypted`);
    const local = entry.localOffset;
    if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== 0x04034b50) throw loaderError('INGEST_CORRUPT', path, `part ${entry.name} is missing: the file is cut off`);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, Math.min(bytes.length, start + entry.compressedSize));
    if (entry.method === 0) {
      total += data.length;
    } else if (entry.method === 8) {
      let result: { bytes: number; over?: 'total' | 'ratio' };
      try {
        result = await inflateCounting(data, { budget: maxUnzippedBytes - total, maxRatio });
      } catch (error) {
        throw loaderError('INGEST_CORRUPT', path, `part ${entry.name} does not decompress: the file is damaged or cut off`, error);
      }
      if (result.over === 'ratio') {
        throw loaderError('INGEST_LIMIT', path, `part ${entry.name} expands more than ${maxRatio} times, as zip bombs do (${megabytes(data.length)} compressed); limit KEFU_MAX_ZIP_RATIO=${maxRatio}`);
      }
      total += result.bytes;
    } else {
      // Deflate64, bzip2, LZMA…: Office never writes them and the parsers cannot read them; they will say so.
      continue;
    }
    if (total > maxUnzippedBytes) {
      throw loaderError('INGEST_LIMIT', path, `it decompresses to more than ${megabytes(maxUnzippedBytes)} (stopped at part ${entry.name}); limit KEFU_MAX_UNZIPPED_MB=${Math.round(maxUnzippedBytes / MEGABYTE)}`);
    }
  }
  return { entries: entries.length, unzippedBytes: total };
}

/**
 * The same for PDFs, whose page contents, fonts and object streams are usually deflate streams: a 1 MB PDF can hold
 * a 1 GB content stream that pdf.js inflates into one buffer, outside the parser thread's heap limit. Every
 * deflate stream that is not an image (pdf.js does not decode images to extract text) is inflated here, counted and
 * dropped, within `maxUnzippedBytes` in total. No ratio limit: drawings and fonts can legitimately compress well.
 * Streams that do not inflate are left to pdf.js, which is tolerant of damage.
 *
 * @example
 *   await checkPdfStreams({ path: 'manual.pdf', bytes, maxUnzippedBytes: 200 * 2 ** 20 });
 */
export async function checkPdfStreams(options: { path: string; bytes: Buffer; maxUnzippedBytes: number }): Promise<{ streams: number; unzippedBytes: number }> {
  const { path, bytes, maxUnzippedBytes } = options;
  const text = bytes.toString('latin1');
  let total = 0;
  let streams = 0;
  let position = 0;
  for (;;) {
    const keyword = text.indexOf('stream', position);
    if (keyword < 0) break;
    position = keyword + 6;
    // "stream" followed by an end of line, not "endstream".
    if (text.startsWith('end', keyword - 3)) continue;
    let start = keyword + 6;
    if (text[start] === '\r') start++;
    if (text[start] !== '\n') continue;
    start++;
    const objectStart = text.lastIndexOf(' obj', keyword);
    const dictionary = objectStart >= 0 ? text.slice(objectStart, keyword) : '';
    if (!dictionary.includes('/FlateDecode') || /\/Subtype\s*\/Image/.test(dictionary)) continue;
    const end = text.indexOf('endstream', start);
    const data = bytes.subarray(start, end < 0 ? bytes.length : end);
    position = end < 0 ? bytes.length : end + 9;
    streams++;
    const counted = await new Promise<number>((resolve) => {
      const inflater = createInflate({ chunkSize: 64 * 1024 });
      let produced = 0;
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        inflater.destroy();
        resolve(produced);
      };
      inflater.on('data', (chunk: Buffer) => {
        produced += chunk.length;
        if (total + produced > maxUnzippedBytes) finish();
      });
      inflater.on('end', finish);
      inflater.on('error', finish);
      inflater.end(data);
    });
    total += counted;
    if (total > maxUnzippedBytes) {
      throw loaderError('INGEST_LIMIT', path, `its compressed streams decompress to more than ${megabytes(maxUnzippedBytes)}, as PDF bombs do; limit KEFU_MAX_UNZIPPED_MB=${Math.round(maxUnzippedBytes / MEGABYTE)}`);
    }
  }
  return { streams, unzippedBytes: total };
}
