/**
 * actions.yaml: the business actions an owner declares (README, "Business actions", has a complete example).
 * `parseActionsFile` reads and checks it, listing every problem with where it is; `loadActions` reads the configured
 * file at start and refuses to start when it has problems or a secret it names is not set in the environment
 * (a clear error at start, not at the first customer).
 *
 * @example
 *   const catalogue = await loadActions({ config }); // undefined when there is no actions file
 *   catalogue?.actions.map((action) => action.name)   // ['order-status']
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Config } from '../config/index.ts';
import { KefuError } from '../errors/index.ts';
import { parseTemplate, type TemplateAllowance } from './template.ts';
import type { ActionCatalogue, ActionDefinition, ActionRequest, BodyTemplate, Localized, SlotDefinition, SlotExtraction, Template } from './types.ts';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,99}$/u;
const SLOT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
const DEFAULT_SLOT_LENGTH = 100;
/** An actions file is configuration, a few kilobytes; this keeps a wrong file from filling memory. */
const MAX_FILE_BYTES = 1024 * 1024;

export const DEFAULT_FAILURE: Localized = Object.freeze({
  en: 'Sorry, I could not look that up just now. I am passing you to a colleague who can help.',
  zh: '抱歉，暂时无法查询。正在为您转接人工客服。',
});

export interface ParsedActionsFile {
  actions: ActionDefinition[];
  secrets: string[];
  /** Every problem, each naming where it is (`actions[0].request.url`). */
  errors: string[];
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads an actions file's text. Never throws: problems are listed in `errors`.
 *
 * @example
 *   const { actions, errors } = parseActionsFile({ text: await readFile('actions.yaml', 'utf8'), timeoutMs: 5000 });
 */
export function parseActionsFile({ text, timeoutMs }: { text: string; timeoutMs: number }): ParsedActionsFile {
  const errors: string[] = [];
  const secrets = new Set<string>();
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    return { actions: [], secrets: [], errors: [`not valid YAML: ${(error as Error).message.split('\n')[0]}`] };
  }
  if (!isPlain(document) || !Array.isArray(document.actions)) return { actions: [], secrets: [], errors: ['the file must have a list "actions:" (see the example in the README)'] };
  const actions: ActionDefinition[] = [];
  const names = new Set<string>();
  document.actions.forEach((item: unknown, index: number) => {
    const where = `actions[${index}]`;
    const problem = (message: string) => errors.push(`${where}${message.startsWith('.') ? '' : ': '}${message}`);
    if (!isPlain(item)) return problem('must be a mapping with name, slots, request and reply');
    const name = typeof item.name === 'string' ? item.name.trim() : '';
    if (!NAME.test(name)) return problem(`name ${JSON.stringify(item.name ?? '')} must be letters, digits, "_", "." or "-" (it is what intents route to: action:<name>)`);
    if (names.has(name)) return problem(`a second action named "${name}"`);
    names.add(name);
    const at = (field: string) => `${where} (${name}).${field}`;
    const fail = (field: string, message: string) => errors.push(`${at(field)}: ${message}`);

    // Trigger: intents and/or a pattern.
    const trigger = item.trigger === undefined ? {} : item.trigger;
    const intents: string[] = [];
    let pattern: RegExp | undefined;
    if (!isPlain(trigger)) fail('trigger', 'must be a mapping with intent and/or pattern');
    else {
      const intent = trigger.intent ?? trigger.intents;
      for (const value of intent === undefined ? [] : Array.isArray(intent) ? intent : [intent]) {
        if (typeof value === 'string' && value.trim()) intents.push(value.trim());
        else fail('trigger.intent', 'must be an intent name or a list of them');
      }
      if (trigger.pattern !== undefined) pattern = compilePattern(trigger.pattern, trigger.flags, (message) => fail('trigger.pattern', message), 'iu');
    }

    // Slots.
    const slots: SlotDefinition[] = [];
    const slotList = item.slots === undefined ? [] : item.slots;
    if (!Array.isArray(slotList)) fail('slots', 'must be a list');
    else slotList.forEach((slot: unknown, slotIndex: number) => {
      const parsed = parseSlot(slot, (message) => fail(`slots[${slotIndex}]`, message));
      if (parsed && slots.some((other) => other.name === parsed.name)) fail(`slots[${slotIndex}]`, `a second slot named "${parsed.name}"`);
      else if (parsed) slots.push(parsed);
    });
    const slotNames = slots.map((slot) => slot.name);

    const template = (value: unknown, field: string, allow: TemplateAllowance): Template | undefined => {
      if (typeof value !== 'string') {
        fail(field, 'must be a text');
        return undefined;
      }
      const parsed = parseTemplate({ text: value, allow });
      if (parsed.error !== undefined) fail(field, parsed.error);
      for (const part of parsed.template ?? []) if (part.kind === 'env') secrets.add(part.name);
      return parsed.template;
    };
    const localized = (value: unknown, field: string, allow: TemplateAllowance): { en: Template; zh?: Template } | undefined => {
      if (typeof value === 'string') {
        const en = template(value, field, allow);
        return en ? { en } : undefined;
      }
      if (!isPlain(value) || typeof value.en !== 'string') {
        fail(field, 'must be a text, or en: and zh: texts');
        return undefined;
      }
      const en = template(value.en, `${field}.en`, allow);
      const zh = value.zh === undefined ? undefined : template(value.zh, `${field}.zh`, allow);
      return en ? { en, ...(zh ? { zh } : {}) } : undefined;
    };

    // Request.
    const request = parseRequest({ value: item.request, timeoutMs, slotNames, template, fail });
    const reply = item.reply === undefined ? (fail('reply', 'is missing: the answer built from the response, e.g. "Order {order}: {response.status}"'), undefined) : localized(item.reply, 'reply', { slots: slotNames, response: true });
    const notFound = item.notFound === undefined ? undefined : localized(item.notFound, 'notFound', { slots: slotNames });
    let failure: Localized = DEFAULT_FAILURE;
    let failurePriority: ActionDefinition['failurePriority'] = 'normal';
    if (item.failure !== undefined) {
      if (typeof item.failure === 'string') failure = { en: item.failure };
      else if (isPlain(item.failure) && (item.failure.en === undefined || typeof item.failure.en === 'string') && (item.failure.zh === undefined || typeof item.failure.zh === 'string')) {
        failure = { en: typeof item.failure.en === 'string' ? item.failure.en : DEFAULT_FAILURE.en, zh: typeof item.failure.zh === 'string' ? item.failure.zh : (DEFAULT_FAILURE.zh ?? '') };
        if (item.failure.priority !== undefined) {
          if ((PRIORITIES as readonly unknown[]).includes(item.failure.priority)) failurePriority = item.failure.priority as ActionDefinition['failurePriority'];
          else fail('failure.priority', `must be one of ${PRIORITIES.join(', ')}`);
        }
      } else fail('failure', 'must be a text, or en:, zh: and priority:');
    }
    for (const key of Object.keys(item)) {
      if (!['name', 'trigger', 'slots', 'request', 'reply', 'notFound', 'failure'].includes(key)) fail(key, 'is not a field of an action (name, trigger, slots, request, reply, notFound, failure)');
    }
    if (request && reply) {
      actions.push({ name, intents, ...(pattern ? { pattern } : {}), slots, request, reply, ...(notFound ? { notFound } : {}), failure, failurePriority });
    }
  });
  return { actions, secrets: [...secrets].sort(), errors };
}

function compilePattern(value: unknown, flags: unknown, fail: (message: string) => void, defaultFlags: string): RegExp | undefined {
  if (typeof value !== 'string' || !value) {
    fail('must be a regular expression (a text)');
    return undefined;
  }
  const given = flags === undefined ? defaultFlags : String(flags);
  if (!/^[imsu]*$/.test(given)) {
    fail(`flags "${given}" may hold only i, m, s and u`);
    return undefined;
  }
  try {
    return new RegExp(value, given.includes('u') ? given : `${given}u`);
  } catch (error) {
    fail(`is not a valid regular expression: ${(error as Error).message}`);
    return undefined;
  }
}

function parseSlot(value: unknown, fail: (message: string) => void): SlotDefinition | undefined {
  if (!isPlain(value)) {
    fail('must be a mapping with name, type and ask');
    return undefined;
  }
  const name = typeof value.name === 'string' ? value.name.trim() : '';
  if (!SLOT_NAME.test(name)) {
    fail(`name ${JSON.stringify(value.name ?? '')} must be letters, digits or "_" (it is used as {${String(value.name ?? 'name')}} in templates)`);
    return undefined;
  }
  const type = value.type ?? (value.pattern !== undefined ? 'pattern' : value.options !== undefined ? 'option' : undefined);
  let extraction: SlotExtraction | undefined;
  if (type === 'pattern') {
    const pattern = compilePattern(value.pattern, value.flags, (message) => fail(`pattern ${message}`), 'u');
    if (pattern) extraction = { kind: 'pattern', pattern };
  } else if (type === 'phone') extraction = { kind: 'phone' };
  else if (type === 'date') extraction = { kind: 'date' };
  else if (type === 'option') {
    const options = Array.isArray(value.options) ? value.options : [];
    const parsed = options.flatMap((option: unknown) => {
      if (typeof option === 'string' && option.trim()) return [{ value: option.trim(), words: [] }];
      if (isPlain(option) && typeof option.value === 'string' && option.value.trim()) {
        const words = Array.isArray(option.words) ? option.words.filter((word): word is string => typeof word === 'string' && word.trim() !== '').map((word) => word.trim()) : [];
        return [{ value: option.value.trim(), words }];
      }
      fail(`options: ${JSON.stringify(option)} must be a text or {value, words}`);
      return [];
    });
    if (parsed.length === 0) fail('options must list at least one option');
    else extraction = { kind: 'option', options: parsed };
  } else fail(`type ${JSON.stringify(type ?? '')} must be pattern (with pattern:), phone, date or option (with options:)`);
  const ask = value.ask;
  let asked: Localized | undefined;
  if (typeof ask === 'string' && ask.trim()) asked = { en: ask.trim() };
  else if (isPlain(ask) && typeof ask.en === 'string' && ask.en.trim()) asked = { en: ask.en.trim(), ...(typeof ask.zh === 'string' && ask.zh.trim() ? { zh: ask.zh.trim() } : {}) };
  else fail('ask must be the question to ask when the slot is missing: a text, or en: and zh: texts');
  const maxLength = value.maxLength === undefined ? DEFAULT_SLOT_LENGTH : Number(value.maxLength);
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 1000) fail('maxLength must be a whole number from 1 to 1000');
  return extraction && asked ? { name, extraction, ask: asked, maxLength } : undefined;
}

function parseRequest(options: {
  value: unknown;
  timeoutMs: number;
  slotNames: string[];
  template: (value: unknown, field: string, allow: TemplateAllowance) => Template | undefined;
  fail: (field: string, message: string) => void;
}): ActionRequest | undefined {
  const { value, slotNames, template, fail } = options;
  if (!isPlain(value)) {
    fail('request', 'must be a mapping with method, url, headers, body and timeoutMs');
    return undefined;
  }
  const method = String(value.method ?? 'GET').toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) fail('request.method', `must be one of ${METHODS.join(', ')}`);
  let url: Template | undefined;
  if (typeof value.url !== 'string') fail('request.url', 'is missing');
  else {
    // The scheme and host are literal: a slot can never choose where the request goes.
    const origin = /^(https?):\/\/([^/?#{}]+)(?=[/?#]|$)/i.exec(value.url);
    if (!origin) fail('request.url', `"${value.url}" must start with http:// or https:// and a literal host (slots and secrets go in the path or query)`);
    else url = template(value.url, 'request.url', { slots: slotNames, env: true });
  }
  const headers: Array<{ name: string; value: Template }> = [];
  if (value.headers !== undefined) {
    if (!isPlain(value.headers)) fail('request.headers', 'must be a mapping of header names to values');
    else for (const [name, headerValue] of Object.entries(value.headers)) {
      if (!HEADER_NAME.test(name)) fail(`request.headers.${name}`, 'is not a valid header name');
      // Headers get secrets, never slot values (no header injection).
      const parsed = template(String(headerValue ?? ''), `request.headers.${name}`, { env: true });
      if (parsed) headers.push({ name, value: parsed });
    }
  }
  let body: BodyTemplate | undefined;
  if (value.body !== undefined) {
    if (method === 'GET' || method === 'DELETE') fail('request.body', `a ${method} request has no body; use POST, PUT or PATCH, or put the slots in the URL`);
    else body = bodyTemplate(value.body, 'request.body', { template, slotNames });
  }
  let timeoutMs = options.timeoutMs;
  if (value.timeoutMs !== undefined) {
    timeoutMs = Number(value.timeoutMs);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) fail('request.timeoutMs', 'must be a whole number of milliseconds from 100 to 120000');
  }
  for (const key of Object.keys(value)) if (!['method', 'url', 'headers', 'body', 'timeoutMs'].includes(key)) fail(`request.${key}`, 'is not a field of a request (method, url, headers, body, timeoutMs)');
  return url ? { method: method as ActionRequest['method'], url, headers, ...(body === undefined ? {} : { body }), timeoutMs } : undefined;
}

function bodyTemplate(value: unknown, field: string, context: { template: (value: unknown, field: string, allow: TemplateAllowance) => Template | undefined; slotNames: string[] }): BodyTemplate {
  if (typeof value === 'string') return context.template(value, field, { slots: context.slotNames, env: true }) ?? [];
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item, index) => bodyTemplate(item, `${field}[${index}]`, context));
  if (isPlain(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, bodyTemplate(item, `${field}.${key}`, context)]));
  return null;
}

/**
 * Reads the configured actions file (KEFU_ACTIONS_FILE, default `<data dir>/actions.yaml`). Undefined when there is
 * none (and none was configured). Throws ACTIONS_INVALID listing its problems, or ACTIONS_SECRET_MISSING naming the
 * environment variables it needs that are not set.
 *
 * @example
 *   const catalogue = await loadActions({ config });
 */
export async function loadActions({ config }: { config: Config }): Promise<ActionCatalogue | undefined> {
  const file = config.actions.file;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT' && !config.actions.fileConfigured) return undefined;
    throw new KefuError('ACTIONS_INVALID', { detail: `${file} cannot be read (KEFU_ACTIONS_FILE)`, cause: error });
  }
  if (bytes.length > MAX_FILE_BYTES) throw new KefuError('ACTIONS_INVALID', { detail: `${path.basename(file)} is larger than 1 MB` });
  const parsed = parseActionsFile({ text: bytes.toString('utf8'), timeoutMs: config.actions.timeoutMs });
  if (parsed.errors.length > 0) {
    const more = parsed.errors.length > 8 ? `; and ${parsed.errors.length - 8} more` : '';
    throw new KefuError('ACTIONS_INVALID', { detail: `${file}: ${parsed.errors.slice(0, 8).join('; ')}${more}` });
  }
  const missing = parsed.secrets.filter((name) => config.actions.secret(name) === undefined);
  if (missing.length > 0) throw new KefuError('ACTIONS_SECRET_MISSING', { detail: `${missing.join(', ')} (named in ${file})` });
  return { file, actions: parsed.actions, secrets: parsed.secrets };
}
