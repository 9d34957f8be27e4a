/**
 * A spreadsheet column header as kefu matches it against known names (FAQ sheets, the gaps' FAQ file,
 * intents files): byte-order mark, case, a trailing "(EN)"/"（中文）" note, a trailing colon and
 * separators do not matter.
 *
 * @example
 *   normalizeHeader('Similar Questions (EN):') // 'similar questions'
 */
export function normalizeHeader(header: string): string {
  return header
    .replace(/^\ufeff/, '')
    .trim()
    .toLowerCase()
    .replace(/\s*[(（][^)）]*[)）]\s*$/u, '')
    .replace(/[:：]$/u, '')
    .replace(/[\s_-]+/g, ' ')
    .trim();
}
