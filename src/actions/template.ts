/**
 * Templates in actions.yaml: `{order}` (a slot), `{env.ORDER_API_TOKEN}` (a secret from the environment) and
 * `{response.shipment.status}` / `{response.items[0].name}` (a field of the JSON response); `{{` and `}}` are
 * literal braces. Each place a value lands encodes it for that place: URL components with encodeURIComponent,
 * JSON bodies through JSON.stringify, replies as plain text (no Markdown from a value). Nothing is concatenated raw.
 *
 * @example
 *   const url = parseTemplate({ text: 'https://orders.example.com/api/orders/{order}', allow: { slots: ['order'] } });
 *   renderUrl({ template: url.template, slots: { order: '../../admin' }, secret }) // https://orders.example.com/api/orders/..%2F..%2Fadmin
 */
import type { BodyTemplate, Template, TemplatePart } from './types.ts';

export interface TemplateAllowance {
  /** Slot names the template may use. */
  slots?: readonly string[];
  /** May name secrets `{env.NAME}`. */
  env?: boolean;
  /** May name response fields `{response.…}`. */
  response?: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH_STEP = /^([^.[\]]+)|^\[(\d+)\]|^\.([^.[\]]+)/;

function parsePath(text: string): Array<string | number> | undefined {
  const steps: Array<string | number> = [];
  let rest = text;
  while (rest.length > 0) {
    const match = PATH_STEP.exec(rest);
    if (!match || (steps.length === 0 && match[1] === undefined)) return undefined;
    if (match[2] !== undefined) steps.push(Number(match[2]));
    else steps.push((match[1] ?? match[3] ?? '').trim());
    rest = rest.slice(match[0].length);
  }
  return steps.length > 0 && steps.every((step) => step !== '') ? steps : undefined;
}

/**
 * Reads a template; never throws: a placeholder it may not use (a slot it does not know, a secret in a reply) gives
 * `{ error }` naming it.
 */
export function parseTemplate({ text, allow }: { text: string; allow: TemplateAllowance }): { template: Template; error?: undefined } | { error: string; template?: undefined } {
  const parts: TemplatePart[] = [];
  let literal = '';
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    const next = text[index + 1];
    if ((character === '{' && next === '{') || (character === '}' && next === '}')) {
      literal += character;
      index++;
      continue;
    }
    if (character === '}') return { error: `a lone "}" in "${text}" (write "}}" for a brace)` };
    if (character !== '{') {
      literal += character;
      continue;
    }
    const end = text.indexOf('}', index);
    if (end < 0) return { error: `"{" without its "}" in "${text}"` };
    const name = text.slice(index + 1, end).trim();
    index = end;
    if (literal) parts.push({ kind: 'text', text: literal });
    literal = '';
    if (name.startsWith('env.')) {
      const variable = name.slice(4);
      if (!allow.env) return { error: `{${name}}: secrets may be used only in the request's URL, headers and body, never in what the customer reads` };
      if (!ENV_NAME.test(variable)) return { error: `{${name}}: "${variable}" is not an environment variable name` };
      parts.push({ kind: 'env', name: variable });
    } else if (name === 'response' || name.startsWith('response.') || name.startsWith('response[')) {
      if (!allow.response) return { error: `{${name}}: the response can be used only in the reply` };
      const steps = parsePath(name.slice('response'.length).replace(/^\./, ''));
      if (!steps) return { error: `{${name}}: write a response field as {response.field} or {response.list[0].field}` };
      parts.push({ kind: 'response', path: steps });
    } else {
      if (!(allow.slots ?? []).includes(name)) {
        const known = (allow.slots ?? []).map((slot) => `{${slot}}`).join(', ');
        return { error: `{${name}} is not a slot of this action${known ? ` (slots: ${known})` : ' (it has no slots)'}${allow.response ? ', nor {response.…}' : ''}` };
      }
      parts.push({ kind: 'slot', name });
    }
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return { template: parts };
}

/** The field of a JSON value at a path, or undefined. */
export function lookup(value: unknown, steps: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
    } else {
      if (Array.isArray(current) || !Object.hasOwn(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

export interface RenderValues {
  slots: Readonly<Record<string, string>>;
  /** The secret of an environment variable (checked to be set when the file was loaded). */
  secret?: (name: string) => string | undefined;
  response?: unknown;
}

function valueOf(part: Exclude<TemplatePart, { kind: 'text' }>, values: RenderValues): string {
  if (part.kind === 'slot') return values.slots[part.name] ?? '';
  if (part.kind === 'env') {
    const secret = values.secret?.(part.name);
    if (secret === undefined) throw new Error(`the environment variable ${part.name} is not set`);
    return secret;
  }
  const field = lookup(values.response, part.path);
  if (field === undefined || field === null || typeof field === 'object') {
    throw new MissingFieldError(part.path);
  }
  return String(field);
}

/** A reply names a response field the response does not have (or that is not a text, number or true/false). */
export class MissingFieldError extends Error {
  readonly field: string;
  constructor(path: ReadonlyArray<string | number>) {
    const field = path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('').replace(/^\./, '');
    super(`the response has no usable field "${field}"`);
    this.field = field;
  }
}

/**
 * A URL: each slot and secret is a URL component (encodeURIComponent), so `../../admin` or `1; DROP TABLE` stay one
 * path segment or query value. Throws when the result is not an http(s) URL.
 */
export function renderUrl({ template, ...values }: { template: Template } & RenderValues): URL {
  const text = template.map((part) => (part.kind === 'text' ? part.text : encodeURIComponent(valueOf(part, values)))).join('');
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('the URL is not http(s)');
  return url;
}

/** A header value: literal text and secrets. Control characters are refused (no header injection). */
export function renderHeader({ template, ...values }: { template: Template } & RenderValues): string {
  const text = template.map((part) => (part.kind === 'text' ? part.text : valueOf(part, values))).join('');
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new Error('a header value holds a control character');
  return text;
}

/** Markdown characters in a value become literal ("[x](y)" in an order status is shown, not linked). */
function plain(text: string): string {
  return text.replace(/[\\`*_[\]|<>#]/g, (character) => `\\${character}`).replace(/\s+/g, ' ').trim();
}

/** The customer's reply: slots and response fields as plain text. Throws MissingFieldError for a missing field. */
export function renderReply({ template, ...values }: { template: Template } & RenderValues): string {
  return template.map((part) => (part.kind === 'text' ? part.text : plain(valueOf(part, values)))).join('');
}

/** Whether a body template is a parsed text template (an array of parts) rather than a JSON array. */
function isTemplate(value: BodyTemplate): value is Template {
  return Array.isArray(value) && value.length > 0 && value.every((part) => part !== null && typeof part === 'object' && !Array.isArray(part) && 'kind' in part && typeof (part as { kind: unknown }).kind === 'string' && ['text', 'slot', 'env', 'response'].includes((part as { kind: string }).kind));
}

/** A JSON body: every string in it is a template whose values end up JSON-encoded by JSON.stringify. */
export function renderBody({ template, ...values }: { template: BodyTemplate } & RenderValues): unknown {
  if (template === null || typeof template !== 'object') return template;
  if (isTemplate(template)) return template.map((part) => (part.kind === 'text' ? part.text : valueOf(part, values))).join('');
  if (Array.isArray(template)) return template.map((item: BodyTemplate) => renderBody({ template: item, ...values }));
  return Object.fromEntries(Object.entries(template as Record<string, BodyTemplate>).map(([key, item]) => [key, renderBody({ template: item, ...values })]));
}
