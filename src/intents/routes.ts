/**
 * Routes as written in an intents file: `faq:<id>`, `action:<name>`, `person` or `person:<priority>`,
 * and `retrieval` (the default, also for an empty cell).
 *
 * @example
 *   parseRoute('person:high')    // { route: { kind: 'person', priority: 'high' } }
 *   parseRoute('faq:refunds-3')  // { route: { kind: 'faq', faqId: 'refunds-3' } }
 *   parseRoute('phone')          // { error: 'unknown route "phone"; write faq:<id>, …' }
 *   formatRoute({ kind: 'action', name: 'order-status' }) // 'action:order-status'
 */
import type { IntentRoute, PersonPriority } from './types.ts';

export const PERSON_PRIORITIES: readonly PersonPriority[] = ['low', 'normal', 'high', 'urgent'];

/** The forms a route may take, for messages. */
export const ROUTE_FORMS = 'faq:<id>, action:<name>, person, person:<low|normal|high|urgent> or retrieval';

const ACTION_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,99}$/u;

/** Reads a route cell. An empty value is `retrieval`. Never throws: a bad value gives `{ error }`. */
export function parseRoute(value: string): { route: IntentRoute; error?: undefined } | { error: string; route?: undefined } {
  const trimmed = value.trim();
  if (!trimmed) return { route: { kind: 'retrieval' } };
  const colon = trimmed.search(/[:：]/u);
  const kind = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim().toLowerCase();
  const argument = colon < 0 ? '' : trimmed.slice(colon + 1).trim();
  switch (kind) {
    case 'retrieval':
      return argument ? { error: `"retrieval" takes nothing after it (found "${value}")` } : { route: { kind: 'retrieval' } };
    case 'faq':
      if (!argument) return { error: `"faq" needs the FAQ entry's id: faq:<id> (found "${value}")` };
      if (/\s/u.test(argument) || argument.length > 200) return { error: `the FAQ id in "${value}" must be one word of at most 200 characters, as in the FAQ sheet's id column` };
      return { route: { kind: 'faq', faqId: argument } };
    case 'action':
      if (!argument) return { error: `"action" needs the action's name: action:<name> (found "${value}")` };
      if (!ACTION_NAME.test(argument)) return { error: `the action name in "${value}" may hold only letters, digits, "_", "." and "-"` };
      return { route: { kind: 'action', name: argument } };
    case 'person': {
      if (!argument) return { route: { kind: 'person', priority: 'normal' } };
      const priority = argument.toLowerCase() as PersonPriority;
      if (!PERSON_PRIORITIES.includes(priority)) return { error: `unknown priority "${argument}" in "${value}"; use one of ${PERSON_PRIORITIES.join(', ')}` };
      return { route: { kind: 'person', priority } };
    }
    default:
      return { error: `unknown route "${value}"; write ${ROUTE_FORMS}` };
  }
}

/** The written form of a route (what `parseRoute` reads back). */
export function formatRoute(route: IntentRoute): string {
  switch (route.kind) {
    case 'faq':
      return `faq:${route.faqId}`;
    case 'action':
      return `action:${route.name}`;
    case 'person':
      return route.priority === 'normal' ? 'person' : `person:${route.priority}`;
    case 'retrieval':
      return 'retrieval';
  }
}
