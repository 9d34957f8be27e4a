/**
 * The shapes of business actions: what an owner declares in actions.yaml (a trigger, slots to collect, an HTTP
 * request, reply templates per language, what to say on failure) and what running one gives the answer path.
 */

/** Languages an action speaks; other languages get the English text. */
export type ActionLanguage = 'en' | 'zh';

/** A text per language: `en` is required, `zh` optional (English is used when it is missing). */
export type Localized = Readonly<{ en: string; zh?: string }>;

/** How a slot's value is found in a customer's message. */
export type SlotExtraction =
  /** The first match of a regular expression (its first group when it has one), e.g. order numbers. */
  | { kind: 'pattern'; pattern: RegExp }
  /** A phone number: 6 to 20 digits with spaces, dashes, dots or brackets and an optional leading +. */
  | { kind: 'phone' }
  /** A date (2026-03-05, 2026/3/5, 5.3.2026 is not read, 2026年3月5日, today, tomorrow, 今天, 明天, 昨天), as YYYY-MM-DD. */
  | { kind: 'date' }
  /** One of a list of options, named by its value or one of its words. */
  | { kind: 'option'; options: ReadonlyArray<{ value: string; words: readonly string[] }> };

export interface SlotDefinition {
  name: string;
  extraction: SlotExtraction;
  /** The question asked when the slot is missing. */
  ask: Localized;
  /** Longest value accepted (characters); longer ones are not taken. */
  maxLength: number;
}

/** A part of a template: literal text, a slot, a secret from the environment, or a field of the JSON response. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'slot'; name: string }
  | { kind: 'env'; name: string }
  | { kind: 'response'; path: ReadonlyArray<string | number> };

export type Template = readonly TemplatePart[];

/** A JSON body template: strings are templates, everything else is sent as written. */
export type BodyTemplate = string | number | boolean | null | Template | { readonly [key: string]: BodyTemplate } | readonly BodyTemplate[];

export interface ActionRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The URL: scheme and host literal; slots and secrets only in the path and query, each encoded. */
  url: Template;
  /** Header values: literal text and secrets only (a slot value never becomes a header). */
  headers: ReadonlyArray<{ name: string; value: Template }>;
  /** JSON body (POST, PUT, PATCH); slot values are JSON-encoded. */
  body?: BodyTemplate;
  timeoutMs: number;
}

export interface ActionDefinition {
  name: string;
  /** Intents whose messages start the action (besides intents whose route is `action:<name>`). */
  intents: readonly string[];
  /** A message matching this starts the action. */
  pattern?: RegExp;
  slots: readonly SlotDefinition[];
  request: ActionRequest;
  /** The answer built from the JSON response: `{slot}` and `{response.a.b[0]}`. */
  reply: { en: Template; zh?: Template };
  /** The answer when the system says the thing does not exist (HTTP 404): `{slot}` only. */
  notFound?: { en: Template; zh?: Template };
  /** Said before handing over when the request fails. */
  failure: Localized;
  /** Priority of the ticket opened when the request fails. */
  failurePriority: 'low' | 'normal' | 'high' | 'urgent';
}

/** The loaded actions file. */
export interface ActionCatalogue {
  /** Where it was read from. */
  file: string;
  actions: readonly ActionDefinition[];
  /** Environment variables the file names for secrets (all checked to be set at load). */
  secrets: readonly string[];
}

/** What running an action (one turn of it) gives the answer path. */
export type ActionTurn =
  /** A slot is missing: ask for it. */
  | { kind: 'ask'; action: string; slot: string; text: string; slots: Record<string, string> }
  /** The request answered: the reply. `notFound` when the system said there is no such thing (HTTP 404). */
  | { kind: 'reply'; action: string; text: string; slots: Record<string, string>; notFound?: boolean }
  /** The request failed: an apology, and a hand-over whose ticket carries the slots. */
  | { kind: 'failed'; action: string; text: string; slots: Record<string, string>; failure: string; priority: ActionDefinition['failurePriority'] };
