/**
 * Real zip files (and a PDF) for tests and benchmarks, written byte by byte (deflate from node:zlib), so a test
 * can build files that no authoring library would produce: a .docx whose 300 KB hold 100 MB of XML (a zip bomb),
 * entries that lie about their size, a PDF whose content stream inflates to hundreds of MB.
 *
 * @example
 *   const docx = makeDocxBomb({ xmlBytes: 100 * 1024 * 1024 }); // a few hundred KB on disk
 */
import { crc32, deflateRawSync, constants } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** The entry's content, or pieces of it (generated lazily, so 100 MB never sits in memory at once). */
  data: Buffer | (() => Iterable<Buffer>);
  /** Store the size the entry claims in its headers instead of the real one (zip bombs lie). */
  declaredSize?: number;
}

/** Compresses pieces one by one with a shared dictionary window: a raw deflate stream built incrementally. */
function deflatePieces(pieces: Iterable<Buffer>): { compressed: Buffer; size: number; crc: number } {
  // deflateRawSync per piece would reset the window; joining pieces in 4 MB groups keeps memory small
  // and the ratio close to one stream's (a repeated paragraph compresses ~1000:1 either way).
  const parts: Buffer[] = [];
  let size = 0;
  let crc = 0;
  let group: Buffer[] = [];
  let groupBytes = 0;
  const flush = (final: boolean) => {
    const joined = Buffer.concat(group);
    group = [];
    groupBytes = 0;
    // Z_FULL_FLUSH ends each group on a byte boundary without the final-block bit, so the groups concatenate.
    parts.push(deflateRawSync(joined, { level: 9, finishFlush: final ? constants.Z_FINISH : constants.Z_FULL_FLUSH }));
  };
  for (const piece of pieces) {
    size += piece.length;
    crc = crc32(piece, crc);
    group.push(piece);
    groupBytes += piece.length;
    if (groupBytes >= 4 * 1024 * 1024) flush(false);
  }
  flush(true);
  return { compressed: Buffer.concat(parts), size, crc };
}

/** A zip archive (deflated entries, no zip64: every entry under 4 GB). */
export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const { compressed, size, crc } = deflatePieces(typeof entry.data === 'function' ? entry.data() : [entry.data]);
    const declared = entry.declaredSize ?? size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Yields `piece` until `bytes` have been produced (the last copy cut to fit). */
function* repeated(piece: string, bytes: number, prefix = '', suffix = ''): Iterable<Buffer> {
  yield Buffer.from(prefix);
  const block = Buffer.from(piece.repeat(Math.max(1, Math.floor((1024 * 1024) / piece.length))));
  let left = Math.max(0, bytes - prefix.length - suffix.length);
  while (left > 0) {
    const part = left >= block.length ? block : block.subarray(0, left - (left % piece.length));
    if (part.length === 0) break;
    yield part;
    left -= part.length;
  }
  yield Buffer.from(suffix);
}

const CONTENT_TYPES_DOCX = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS_DOCX = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';

/**
 * A .docx whose word/document.xml holds `xmlBytes` of paragraphs (a repeated policy sentence), which
 * deflate shrinks about 300-fold: 100 MB of XML is a file of a few hundred KB.
 */
export function makeDocxBomb(options: { xmlBytes: number; paragraph?: string; declaredSize?: number }): Buffer {
  const paragraph = `<w:p><w:r><w:t>${options.paragraph ?? 'Returns are accepted within 30 days of delivery for a full refund to the original payment method.'}</w:t></w:r></w:p>`;
  return makeZip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES_DOCX) },
    { name: '_rels/.rels', data: Buffer.from(RELS_DOCX) },
    {
      name: 'word/document.xml',
      data: () => repeated(paragraph, options.xmlBytes, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W}><w:body>`, '</w:body></w:document>'),
      ...(options.declaredSize === undefined ? {} : { declaredSize: options.declaredSize }),
    },
  ]);
}

/** A .docx of the given paragraphs (generated lazily: a few MB of XML without holding it). */
export function makeDocx(options: { paragraphs: () => Iterable<string> }): Buffer {
  return makeZip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES_DOCX) },
    { name: '_rels/.rels', data: Buffer.from(RELS_DOCX) },
    {
      name: 'word/document.xml',
      data: () => (function* () {
        yield Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W}><w:body>`);
        for (const paragraph of options.paragraphs()) yield Buffer.from(`<w:p><w:r><w:t>${paragraph.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</w:t></w:r></w:p>`);
        yield Buffer.from('</w:body></w:document>');
      })(),
    },
  ]);
}

const CONTENT_TYPES_XLSX = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>';
const RELS_XLSX = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>';
const WORKBOOK = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="FAQ" sheetId="1" r:id="rId1"/></sheets></workbook>';
const WORKBOOK_RELS = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>';

/**
 * An .xlsx FAQ sheet: a question/answer header, then rows of inline strings. With `xmlBytes` the same row
 * repeats until the sheet XML has that size (a zip bomb); with `rows` each row is distinct.
 */
export function makeXlsx(options: { rows?: Array<[string, string]>; xmlBytes?: number }): Buffer {
  const cell = (reference: string, value: string) => `<c r="${reference}" t="inlineStr"><is><t>${value.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</t></is></c>`;
  const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">${cell('A1', 'question')}${cell('B1', 'answer')}</row>`;
  const tail = '</sheetData></worksheet>';
  const sheet: ZipEntry['data'] = options.xmlBytes !== undefined
    ? () => repeated(`<row>${cell('A2', 'Do you ship to Macau?').replace(' r="A2"', '')}${cell('B2', 'Yes, in 5 to 8 business days.').replace(' r="B2"', '')}</row>`, options.xmlBytes ?? 0, head, tail)
    : () => (function* () {
        yield Buffer.from(head);
        let row = 2;
        for (const [question, answer] of options.rows ?? []) {
          yield Buffer.from(`<row r="${row}">${cell(`A${row}`, question)}${cell(`B${row}`, answer)}</row>`);
          row++;
        }
        yield Buffer.from(tail);
      })();
  return makeZip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES_XLSX) },
    { name: '_rels/.rels', data: Buffer.from(RELS_XLSX) },
    { name: 'xl/workbook.xml', data: Buffer.from(WORKBOOK) },
    { name: 'xl/_rels/workbook.xml.rels', data: Buffer.from(WORKBOOK_RELS) },
    { name: 'xl/worksheets/sheet1.xml', data: sheet },
  ]);
}

/**
 * A one-page PDF whose content stream inflates to `contentBytes` (a repeated text operator): ~1 MB on disk for
 * 300 MB of content, which pdf.js would inflate into one buffer outside the JavaScript heap.
 */
export function makePdfBomb(options: { contentBytes: number }): Buffer {
  const content = deflatePieces(repeated('BT /F1 12 Tf 72 712 Td (Returns are accepted within 30 days.) Tj ET\n', options.contentBytes)).compressed;
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let length = parts[0]?.length ?? 0;
  const add = (body: Buffer) => {
    offsets.push(length);
    parts.push(body);
    length += body.length;
  };
  add(Buffer.from('1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n'));
  add(Buffer.from('2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n'));
  add(Buffer.from('3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n'));
  // deflatePieces writes raw deflate; a PDF's FlateDecode is zlib: header, raw data, Adler-32 (left 0: pdf.js and zlib's streaming inflater stop at the data's end).
  add(Buffer.concat([Buffer.from(`4 0 obj << /Length ${content.length + 6} /Filter /FlateDecode >> stream\n`), Buffer.from([0x78, 0xda]), content, Buffer.alloc(4), Buffer.from('\nendstream endobj\n')]));
  add(Buffer.from('5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n'));
  const xref = length;
  const table = `xref\n0 6\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${table}trailer << /Size 6 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`));
  return Buffer.concat(parts);
}
