/**
 * Reads the intents file a knowledge owner writes (CSV or YAML; format in README.md beside this file)
 * into intents with their examples and routes, and the training examples for the classifier. Pure:
 * it takes decoded text and never touches the disk.
 *
 * It never throws on content: every problem is an issue naming its line, `errors` (the file must not
 * be used until they are fixed) or `warnings` (it can be used; something is probably not what the
 * owner meant). Work and memory grow linearly with the file, and lists of issues are capped, so a
 * 100,000-line file is read in about a second.
 *
 * @example
 *   const parsed = parseIntentsFile({ path: 'intents.csv', text: 'intent,example,route\norder_status,where is my order,action:order-status\n' });
 *   parsed.intents[0]?.route // { kind: 'action', name: 'order-status' }
 *   parsed.warnings[0]?.message // 'intent "order_status" has only one example; …'
 */
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { KefuError } from '../errors/index.ts';
import { detectLanguage, type Language } from '../text/index.ts';
import { formatRoute, parseRoute } from './routes.ts';
import { OUT_OF_SCOPE_INTENT, type IntentDefinition, type IntentExample, type IntentRoute } from './types.ts';
import { normalizeHeader } from '../formats/sheet-header.ts';

export interface IntentsFileIssue {
  /** 1-based line in the file, when the problem has one. */
  line?: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface ParsedIntentsFile {
  format: 'csv' | 'yaml';
  /** The declared intents (the out-of-scope examples are not one of them), in file order. */
  intents: IntentDefinition[];
  /** Examples of messages that belong to no intent (intent `out_of_scope`). */
  outOfScopeExamples: IntentExample[];
  /** What the classifier trains on: every kept example of every intent, then the out-of-scope ones. */
  trainingExamples: IntentExample[];
  errors: IntentsFileIssue[];
  warnings: IntentsFileIssue[];
  counts: {
    /** Examples read, before anything was merged or left out. */
    examplesRead: number;
    /** The same example twice in one intent: kept once. */
    duplicatesMerged: number;
    /** The same example in two intents: left out of both. */
    ambiguousLeftOut: number;
    /** Left out because the file had more than `maxExamples`. */
    overLimitLeftOut: number;
  };
}

export interface ParseIntentsFileOptions {
  /** The file's path or name: `.csv`, `.yaml` or `.yml` decides the format. */
  path: string;
  text: string;
  /** At most this many training examples are kept (the first ones of each intent, shared fairly). */
  maxExamples?: number;
  /** Longer texts are refused unread (default `MAX_INTENTS_FILE_CHARACTERS`). */
  maxCharacters?: number;
}

/** Enough for hundreds of intents with dozens of examples each, and trains in well under a minute. */
export const MAX_TRAINING_EXAMPLES = 20_000;
/**
 * Longest file read, in characters (about 200,000 short examples). Parsing holds the whole file and its
 * rows in memory (a YAML document tree takes ~60 times the text), so this bounds memory too.
 */
export const MAX_INTENTS_FILE_CHARACTERS = 8_000_000;
/** Issues of one kind listed one by one before the rest are summed up in one line. */
const LISTED_ISSUES = 20;
/** Fewer examples than this and an intent is rarely recognised. */
const FEW_EXAMPLES = 2;
const LONG_EXAMPLE = 500;
const LONG_NAME = 100;
// detectLanguage calls any text of ASCII letters English; this skips its Unicode scans for most rows.
const ASCII_ONLY = /^[\x20-\x7e]*$/;

const HEADER_NAMES = {
  intent: ['intent', 'intents', 'intent name', 'name', '意图', '意图名', '意图名称'],
  example: ['example', 'examples', 'example phrase', 'phrase', 'phrases', 'utterance', 'utterances', 'text', 'question', 'sample', '例句', '示例', '样例', '问法', '说法', '用户问题', '语料'],
  language: ['language', 'lang', '语言'],
  route: ['route', 'routing', 'target', 'destination', '路由', '去向', '处理方式', '转到'],
} as const;

type Column = keyof typeof HEADER_NAMES;

/** A declaration read from either format: an example of an intent, or just the intent's route. */
interface RawEntry {
  intent: string;
  example?: string;
  language?: string;
  route?: string;
  line: number;
}

/** Which files in the inbox are intents files: `intents.csv`, `intents.yaml`, `shop.intents.yml`, `意图.csv`. */
export function isIntentsFileName(filePath: string): boolean {
  return /(^|[._-])(intents|意图)\.(csv|ya?ml)$/iu.test(path.basename(filePath));
}

function columnOf(header: string): Column | undefined {
  const normalized = normalizeHeader(header);
  for (const [column, names] of Object.entries(HEADER_NAMES) as [Column, readonly string[]][]) if (names.includes(normalized)) return column;
  return undefined;
}

/**
 * The most frequent of , ; tab and ， on any of the first five lines outside quotes (Excel in many
 * locales writes ";"; a title line above the header may have none).
 */
function detectDelimiter(text: string): string {
  const lines = text.slice(0, 64 * 1024).split('\n', 5).map((line) => line.replace(/"[^"]*"/g, ''));
  const counts = [',', ';', '\t', '，'].map((delimiter) => ({ delimiter, count: Math.max(...lines.map((line) => line.split(delimiter).length - 1)) }));
  counts.sort((first, second) => second.count - first.count);
  return counts[0] && counts[0].count > 0 ? counts[0].delimiter : ',';
}

function readCsv(text: string, errors: IntentsFileIssue[]): RawEntry[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse's types do not follow `info: true` (records become { record, info }).
    records = parseCsv(text, { delimiter: detectDelimiter(text), bom: true, info: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }) as unknown as typeof records;
  } catch (error) {
    const line = typeof error === 'object' && error !== null && 'lines' in error && typeof error.lines === 'number' ? error.lines : undefined;
    errors.push({ ...(line === undefined ? {} : { line }), severity: 'error', message: 'the CSV could not be read here; check for an unclosed quote' });
    return [];
  }
  // csv-parse reports the line a record ends on; it starts one after the previous record ended.
  const rows = records.map((entry, index) => ({ cells: entry.record, line: (records[index - 1]?.info.lines ?? 0) + 1 }));
  const nonEmpty = rows.filter((row) => row.cells.some((cell) => cell.trim()));
  let columns: Partial<Record<Column, number>> | undefined;
  let headerLine = 0;
  for (const row of nonEmpty.slice(0, 5)) {
    const found: Partial<Record<Column, number>> = {};
    row.cells.forEach((cell, index) => {
      const column = columnOf(cell);
      if (column && found[column] === undefined) found[column] = index;
    });
    if (found.intent !== undefined && found.example !== undefined) {
      columns = found;
      headerLine = row.line;
      break;
    }
  }
  if (!columns) {
    const first = nonEmpty[0];
    const names = (first?.cells ?? []).map((cell) => cell.trim()).filter(Boolean).slice(0, 12);
    errors.push({
      line: first?.line ?? 1,
      severity: 'error',
      message: `no header row with "intent" and "example" columns (or 意图 and 例句)${names.length > 0 ? `; columns found: ${names.map((name) => `"${name}"`).join(', ')}` : ''}`,
    });
    return [];
  }
  const entries: RawEntry[] = [];
  const cell = (cells: string[], column: Column) => (columns[column] === undefined ? '' : (cells[columns[column]] ?? ''));
  for (const row of rows) {
    if (row.line <= headerLine || !row.cells.some((value) => value.trim())) continue;
    const intent = cell(row.cells, 'intent');
    const language = cell(row.cells, 'language');
    const route = cell(row.cells, 'route');
    // Several examples in one cell, one per line, are several examples.
    const examples = cell(row.cells, 'example').split(/\r?\n/u).filter((example) => example.trim());
    if (examples.length === 0) entries.push({ intent, language, route, line: row.line });
    for (const example of examples) entries.push({ intent, example, language, route, line: row.line });
  }
  return entries;
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : value === null ? '' : undefined;
}

function readYaml(text: string, errors: IntentsFileIssue[], warnings: IntentsFileIssue[]): RawEntry[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = (node as YamlNode | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : fallback;
  };
  for (const error of document.errors.slice(0, LISTED_ISSUES)) {
    errors.push({ line: lineCounter.linePos(error.pos[0]).line, severity: 'error', message: `not valid YAML: ${error.message.split('\n')[0] ?? ''}` });
  }
  if (document.errors.length > 0) return [];
  const root = document.contents;
  const list = isMap(root) ? root.get('intents', true) : undefined;
  if (!isSeq(list)) {
    errors.push({ line: lineOf(isMap(root) ? (root.get('intents', true) ?? root) : root), severity: 'error', message: 'expected a list under "intents:", as in "intents:\\n  - name: order_status\\n    examples: [where is my order]"' });
    return [];
  }
  const entries: RawEntry[] = [];
  for (const item of list.items) {
    const line = lineOf(item);
    if (!isMap(item)) {
      errors.push({ line, severity: 'error', message: 'each item under "intents:" must have "name:" and "examples:"' });
      continue;
    }
    for (const pair of item.items) {
      const key = scalarText(pair.key);
      if (key && !['name', 'route', 'language', 'examples'].includes(key)) {
        warnings.push({ line: lineOf(pair.key, line), severity: 'warning', message: `unknown key "${key}" ignored; an intent has name, route, language and examples` });
      }
    }
    const name = scalarText(item.get('name', true));
    if (name === undefined) {
      errors.push({ line, severity: 'error', message: 'this intent has no "name:" (a word, such as order_status)' });
      continue;
    }
    const routeNode = item.get('route', true);
    const route = routeNode === undefined ? undefined : scalarText(routeNode);
    if (routeNode !== undefined && route === undefined) errors.push({ line: lineOf(routeNode, line), severity: 'error', message: `the route of "${name}" must be one word such as action:order-status` });
    const languageNode = item.get('language', true);
    const language = languageNode === undefined ? undefined : scalarText(languageNode);
    entries.push({ intent: name, ...(route === undefined ? {} : { route }), line });
    const examples = item.get('examples', true);
    if (examples === undefined) continue;
    if (!isSeq(examples)) {
      errors.push({ line: lineOf(examples, line), severity: 'error', message: `"examples:" of "${name}" must be a list, one phrase per "- " line` });
      continue;
    }
    for (const example of examples.items) {
      const exampleLine = lineOf(example, line);
      const textValue = isMap(example) ? scalarText(example.get('text', true)) : scalarText(example);
      const exampleLanguage = isMap(example) ? scalarText(example.get('language', true)) : undefined;
      if (textValue === undefined) {
        errors.push({ line: exampleLine, severity: 'error', message: `an example of "${name}" must be a phrase (or {text, language})` });
        continue;
      }
      entries.push({ intent: name, example: textValue, ...((exampleLanguage ?? language) === undefined ? {} : { language: exampleLanguage ?? language }), line: exampleLine });
    }
  }
  return entries;
}

function readLanguage(value: string): Language | undefined {
  const normalized = value.trim().toLowerCase();
  if (/^en([-_].*)?$|^english$|^英文$|^英语$/u.test(normalized)) return 'en';
  if (/^zh([-_].*)?$|^chinese$|^中文$|^汉语$|^简体中文$|^繁體中文$/u.test(normalized)) return 'zh';
  if (normalized === 'other') return 'other';
  return undefined;
}

/** Case, width, spacing and end punctuation do not make two examples different. */
function exampleKey(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '');
}

/** Adds issues of one kind, listing the first few and summing up the rest on one line. */
function addCapped(target: IntentsFileIssue[], issues: IntentsFileIssue[], summary: (rest: number) => string): void {
  target.push(...issues.slice(0, LISTED_ISSUES));
  if (issues.length > LISTED_ISSUES) target.push({ severity: issues[0]?.severity ?? 'warning', message: summary(issues.length - LISTED_ISSUES) });
}

interface Building {
  definition: IntentDefinition;
  routeText?: string;
  routeLine?: number;
  /** Example keys of this intent → the example's position in `definition.examples`. */
  keys: Map<string, number>;
}

/**
 * Parses and validates an intents file (see README.md in this folder for the format).
 *
 * @example
 *   const parsed = parseIntentsFile({ path: 'intents.yaml', text });
 *   if (parsed.errors.length > 0) for (const issue of parsed.errors) console.log(`line ${issue.line}: ${issue.message}`);
 */
export function parseIntentsFile(options: ParseIntentsFileOptions): ParsedIntentsFile {
  const extension = path.extname(options.path).toLowerCase();
  const format = extension === '.yaml' || extension === '.yml' ? 'yaml' : 'csv';
  const errors: IntentsFileIssue[] = [];
  const warnings: IntentsFileIssue[] = [];
  const maxCharacters = options.maxCharacters ?? MAX_INTENTS_FILE_CHARACTERS;
  if (options.text.length > maxCharacters) {
    errors.push({ severity: 'error', message: `the file has ${options.text.length.toLocaleString('en')} characters; intents files are read up to ${maxCharacters.toLocaleString('en')} (about ${Math.round(maxCharacters / 40).toLocaleString('en')} examples): keep the best examples of each intent` });
  }
  const entries = errors.length > 0 ? [] : format === 'yaml' ? readYaml(options.text, errors, warnings) : readCsv(options.text, errors);

  const byName = new Map<string, Building>();
  const firstOwner = new Map<string, { intent: string; line: number; text: string }>();
  const ambiguous = new Map<string, { intents: Set<string>; lines: number[]; text: string }>();
  const entryErrors: IntentsFileIssue[] = [];
  const routeErrors: IntentsFileIssue[] = [];
  const languageWarnings: IntentsFileIssue[] = [];
  const longWarnings: IntentsFileIssue[] = [];
  let examplesRead = 0;
  let duplicatesMerged = 0;

  for (const entry of entries) {
    const name = entry.intent.replace(/\s+/gu, ' ').trim();
    const exampleText = entry.example?.replace(/\s+/gu, ' ').trim() ?? '';
    if (entry.example !== undefined) examplesRead++;
    if (!name) {
      if (exampleText || entry.route?.trim()) entryErrors.push({ line: entry.line, severity: 'error', message: `${exampleText ? `the example "${exampleText.slice(0, 60)}"` : 'this row'} has no intent name` });
      continue;
    }
    if (name.length > LONG_NAME) {
      entryErrors.push({ line: entry.line, severity: 'error', message: `the intent name "${name.slice(0, 40)}…" is longer than ${LONG_NAME} characters` });
      continue;
    }
    let building = byName.get(name);
    if (!building) {
      building = { definition: { name, route: { kind: 'retrieval' }, examples: [], line: entry.line }, keys: new Map() };
      byName.set(name, building);
    }
    const routeText = entry.route?.trim();
    if (routeText) {
      const parsed = parseRoute(routeText);
      if (parsed.error !== undefined) {
        routeErrors.push({ line: entry.line, severity: 'error', message: `intent "${name}": ${parsed.error}` });
      } else if (name === OUT_OF_SCOPE_INTENT && parsed.route.kind !== 'retrieval') {
        routeErrors.push({ line: entry.line, severity: 'error', message: `"${OUT_OF_SCOPE_INTENT}" holds examples of messages that belong to no intent; it cannot have a route (found "${routeText}")` });
      } else if (building.routeText !== undefined && formatRoute(parsed.route) !== formatRoute(building.definition.route)) {
        routeErrors.push({ line: entry.line, severity: 'error', message: `intent "${name}" has route "${routeText}" here but "${building.routeText}" on line ${building.routeLine}; give one route per intent` });
      } else if (building.routeText === undefined) {
        building.definition.route = parsed.route;
        building.routeText = routeText;
        building.routeLine = entry.line;
      }
    }
    if (entry.example === undefined) continue;
    if (!/[\p{L}\p{N}]/u.test(exampleText)) continue; // an empty cell or punctuation only: nothing to learn
    if (exampleText.length > LONG_EXAMPLE) longWarnings.push({ line: entry.line, severity: 'warning', message: `an example of "${name}" is ${exampleText.length} characters long; examples work best as short messages, the way customers type them` });
    let language: Language | undefined;
    if (entry.language?.trim()) {
      language = readLanguage(entry.language);
      if (!language) languageWarnings.push({ line: entry.line, severity: 'warning', message: `unknown language "${entry.language.trim()}" (use en or zh); detected from the text instead` });
    }
    const key = exampleKey(exampleText);
    if (building.keys.has(key)) {
      duplicatesMerged++;
      continue;
    }
    const owner = firstOwner.get(key);
    if (owner && owner.intent !== name) {
      const record = ambiguous.get(key) ?? { intents: new Set([owner.intent]), lines: [owner.line], text: owner.text };
      record.intents.add(name);
      record.lines.push(entry.line);
      ambiguous.set(key, record);
    } else if (!owner) {
      firstOwner.set(key, { intent: name, line: entry.line, text: exampleText });
    }
    building.keys.set(key, building.definition.examples.length);
    building.definition.examples.push({ text: exampleText, intent: name, language: language ?? (ASCII_ONLY.test(exampleText) ? 'en' : detectLanguage(exampleText)) });
  }

  addCapped(errors, entryErrors, (rest) => `… and ${rest} more rows without an intent name or with too long a name`);
  addCapped(errors, routeErrors, (rest) => `… and ${rest} more route problems`);
  addCapped(warnings, languageWarnings, (rest) => `… and ${rest} more unknown languages`);
  addCapped(warnings, longWarnings, (rest) => `… and ${rest} more long examples`);

  // The same example in two intents teaches the classifier both answers: leave it out of all of them.
  let ambiguousLeftOut = 0;
  const ambiguousWarnings: IntentsFileIssue[] = [];
  for (const [key, record] of ambiguous) {
    const intents = [...record.intents];
    for (const intent of intents) {
      const building = byName.get(intent);
      const position = building?.keys.get(key);
      if (!building || position === undefined) continue;
      building.definition.examples[position] = undefined as unknown as IntentExample;
      ambiguousLeftOut++;
    }
    ambiguousWarnings.push({
      line: record.lines[1] ?? record.lines[0] ?? 0,
      severity: 'warning',
      message: `"${record.text.slice(0, 80)}" is an example of ${intents.map((intent) => `"${intent}"`).join(' and ')} (lines ${record.lines.join(', ')}); it was left out of all of them: keep it in one`,
    });
  }
  addCapped(warnings, ambiguousWarnings, (rest) => `… and ${rest} more examples given to two intents (left out)`);

  const all = [...byName.values()].map((building) => {
    building.definition.examples = building.definition.examples.filter((example) => example !== undefined);
    return building.definition;
  });
  const intents = all.filter((intent) => intent.name !== OUT_OF_SCOPE_INTENT);
  const outOfScope = all.find((intent) => intent.name === OUT_OF_SCOPE_INTENT);

  const fewWarnings: IntentsFileIssue[] = [];
  for (const intent of intents) {
    if (intent.examples.length === 0) fewWarnings.push({ line: intent.line, severity: 'warning', message: `intent "${intent.name}" has no example, so it can never be recognised; give it at least 5` });
    else if (intent.examples.length < FEW_EXAMPLES) fewWarnings.push({ line: intent.line, severity: 'warning', message: `intent "${intent.name}" has only one example; give it at least 5 (10 or more works best) or it will rarely be recognised` });
  }
  addCapped(warnings, fewWarnings, (rest) => `… and ${rest} more intents with fewer than ${FEW_EXAMPLES} examples`);

  const trained = intents.filter((intent) => intent.examples.length > 0);
  if (errors.length === 0 && trained.length === 0) errors.push({ severity: 'error', message: entries.length === 0 ? 'the file declares no intents' : 'no intent has an example to learn from' });
  if (trained.length === 1 && (outOfScope?.examples.length ?? 0) === 0) {
    warnings.push({ line: trained[0]?.line ?? 1, severity: 'warning', message: `only one intent ("${trained[0]?.name}"): add a second one, or "${OUT_OF_SCOPE_INTENT}" examples, so kefu can tell when a message is not this intent` });
  }

  // Too many examples: keep the first ones of each intent, sharing the limit fairly (small intents keep all).
  const limit = options.maxExamples ?? MAX_TRAINING_EXAMPLES;
  const groups = [...trained, ...(outOfScope && outOfScope.examples.length > 0 ? [outOfScope] : [])];
  const total = groups.reduce((sum, intent) => sum + intent.examples.length, 0);
  let overLimitLeftOut = 0;
  let perIntent = Infinity;
  if (total > limit) {
    const sizes = groups.map((intent) => intent.examples.length).sort((left, right) => left - right);
    let remaining = limit;
    for (let index = 0; index < sizes.length; index++) {
      const share = Math.floor(remaining / (sizes.length - index));
      if ((sizes[index] ?? 0) > share) {
        perIntent = Math.max(1, share);
        break;
      }
      remaining -= sizes[index] ?? 0;
    }
    for (const intent of groups) {
      if (intent.examples.length > perIntent) {
        overLimitLeftOut += intent.examples.length - perIntent;
        intent.examples = intent.examples.slice(0, perIntent);
      }
    }
    warnings.push({ severity: 'warning', message: `the file has ${total} examples; kefu trains on at most ${limit}, so only the first ${perIntent} of each larger intent were kept (${overLimitLeftOut} left out)` });
  }

  return {
    format,
    intents,
    outOfScopeExamples: outOfScope?.examples ?? [],
    trainingExamples: groups.flatMap((intent) => intent.examples),
    errors,
    warnings,
    counts: { examplesRead, duplicatesMerged, ambiguousLeftOut, overLimitLeftOut },
  };
}

/**
 * Throws INTENTS_INVALID listing the first problems when the file has errors; returns it otherwise.
 *
 * @example
 *   const { intents, trainingExamples } = assertIntentsFileValid(parseIntentsFile({ path, text }), path);
 */
export function assertIntentsFileValid(parsed: ParsedIntentsFile, filePath: string): ParsedIntentsFile {
  if (parsed.errors.length === 0) return parsed;
  const listed = parsed.errors.slice(0, 5).map((issue) => (issue.line === undefined ? issue.message : `line ${issue.line}: ${issue.message}`));
  const more = parsed.errors.length > 5 ? `; and ${parsed.errors.length - 5} more` : '';
  throw new KefuError('INTENTS_INVALID', { detail: `${path.basename(filePath)}: ${listed.join('; ')}${more}` });
}

/** Route of each declared intent, by name, for the answer path. */
export function routesByIntent(intents: readonly IntentDefinition[]): Map<string, IntentRoute> {
  return new Map(intents.map((intent) => [intent.name, intent.route]));
}
