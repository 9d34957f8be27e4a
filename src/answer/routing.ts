/**
 * Intents and business actions in the answer path. Each customer message is, in order:
 * 1. part of an action under way (kefu asked for a slot last: the history says so) when it gives the slot; a message
 *    that does not is a change of topic (answered as usual) unless it looks like an attempt at the slot (asked
 *    again, at most twice);
 * 2. the start of an action whose pattern it matches;
 * 3. classified by the intent model the last sync trained (`src/intents`), after retrieval (the query vector is
 *    reused): `faq:<id>` answers that FAQ entry verbatim, `person[:priority]` hands over, `action:<name>` runs the
 *    action, `retrieval` and no intent answer as usual, with the intent named in the result.
 * Without an intents file and an actions file nothing here runs: answers are exactly what they were.
 *
 * @example
 *   const router = createMessageRouter({ store, embedder, intents: openStoredIntents({ file, embedderModelId }), actions: runner });
 *   const early = await router.beforeRetrieval({ question, history, language });   // an action turn, or undefined
 *   const routed = await router.afterRetrieval({ question, query, queryVector, language, filters }); // { intent, decision? }
 */
import type { ActionRunner, ActionTurn } from '../actions/index.ts';
import type { Embedder } from '../embeddings/types.ts';
import type { StoredIntents } from '../intents/stored-model.ts';
import { formatRoute } from '../intents/routes.ts';
import type { ChunkRecord, ChunkStore } from '../store/index.ts';
import type { Language } from '../text/index.ts';
import type { AnswerFilters, IntentInfo, Turn } from './types.ts';

/** What routing decided for a message, when it decided anything. */
export type RoutingDecision =
  /** `language`: the language the action speaks in this conversation (a bare order number reads as no language). */
  | { kind: 'action'; turn: ActionTurn; language?: 'en' | 'zh' }
  | { kind: 'faq'; chunk: ChunkRecord }
  | { kind: 'person'; priority: 'low' | 'normal' | 'high' | 'urgent' };

export interface MessageRouter {
  /** Actions under way and action patterns: decided without searching the documents. */
  beforeRetrieval(input: { question: string; history: readonly Turn[]; language: Language; signal?: AbortSignal }): Promise<RoutingDecision | undefined>;
  /** The intent of the (standalone) query and where it routes. */
  afterRetrieval(input: { question: string; query: string; queryVector?: readonly number[]; language: Language; filters?: AnswerFilters; signal?: AbortSignal }): Promise<{ intent?: IntentInfo; decision?: RoutingDecision }>;
}

export interface MessageRouterOptions {
  store: ChunkStore;
  embedder: Embedder;
  intents?: StoredIntents;
  actions?: ActionRunner;
  logger?: { warn(object: object, message: string): void };
}

/** A message kefu asked a slot of is an attempt at the slot when short and not a question of its own. */
const QUESTION_START = /^\s*(what|how|why|when|where|who|which|can|could|do|does|did|is|are|will|would|should|may|i want|i'd like|i would like)\b/i;
const CHINESE_QUESTION = /(吗|呢|怎么|如何|什么|为什么|哪|能否|可以|是否)[？?。!！]?\s*$|^(怎么|如何|什么|为什么|请问|我想|我要)/u;
/** Asked for one slot at most this many times in a row; then the message is answered as usual. */
const MAX_ASKS = 2;

/** A message that reads as something new rather than an answer to kefu's question. */
export function looksLikeNewTopic(text: string): boolean {
  const trimmed = text.trim();
  if (/[?？]/u.test(trimmed) || QUESTION_START.test(trimmed) || CHINESE_QUESTION.test(trimmed)) return true;
  const words = trimmed.split(/\s+/).filter(Boolean).length;
  const han = (trimmed.match(/\p{Script=Han}/gu) ?? []).length;
  return words >= 6 || han >= 8;
}

function actionLanguage(language: Language): 'en' | 'zh' {
  return language === 'zh' ? 'zh' : 'en';
}

function allowed(chunk: ChunkRecord, filters: AnswerFilters | undefined): boolean {
  if (filters?.excludeDocPath?.includes(chunk.docPath)) return false;
  if (filters?.docPath && !filters.docPath.includes(chunk.docPath)) return false;
  return true;
}

/**
 * The router over what is configured; with neither intents nor actions it decides nothing.
 *
 * @example
 *   const router = createMessageRouter({ store, embedder, actions: createActionRunner({ catalogue, secret, maxResponseBytes }) });
 */
export function createMessageRouter(options: MessageRouterOptions): MessageRouter {
  const { store, embedder, intents, actions, logger } = options;
  let faqIndex: { version: number; byId: Map<string, ChunkRecord> } | undefined;
  // A route to something missing is an owner's mistake: said once per route, not once per customer message.
  const warned = new Set<string>();
  const warnOnce = (key: string, object: object, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    logger?.warn(object, message);
  };

  async function faqEntry(faqId: string): Promise<ChunkRecord | undefined> {
    const version = await store.version();
    if (!faqIndex || faqIndex.version !== version) {
      const byId = new Map<string, ChunkRecord>();
      for (const chunk of await store.faqChunks()) if (chunk.faqId && !byId.has(chunk.faqId)) byId.set(chunk.faqId, chunk);
      faqIndex = { version, byId };
    }
    return faqIndex.byId.get(faqId);
  }

  return {
    async beforeRetrieval({ question, history, language, signal }) {
      if (!actions) return undefined;
      const pending = actions.pending(history);
      if (pending) {
        const { action } = pending;
        if (actions.gives({ action, slot: pending.awaiting, text: question })) {
          return { kind: 'action', language: pending.language, turn: await actions.run({ action, messages: [...pending.messages, question], language: pending.language, ...(signal ? { signal } : {}) }) };
        }
        const other = actions.byPattern(question);
        if (other && other !== action) return { kind: 'action', turn: await actions.run({ action: other, messages: [question], language: actionLanguage(language), ...(signal ? { signal } : {}) }) };
        // A change of topic, or asked enough: the action is left and the message answered as usual.
        if (looksLikeNewTopic(question) || pending.asked >= MAX_ASKS) return undefined;
        return { kind: 'action', language: pending.language, turn: await actions.run({ action, messages: [...pending.messages, question], language: pending.language, reasked: true, ...(signal ? { signal } : {}) }) };
      }
      const started = actions.byPattern(question);
      if (started) return { kind: 'action', turn: await actions.run({ action: started, messages: [question], language: actionLanguage(language), ...(signal ? { signal } : {}) }) };
      return undefined;
    },

    async afterRetrieval({ question, query, queryVector, language, filters, signal }) {
      const loaded = await intents?.current();
      if (!loaded) return {};
      const vector = queryVector && queryVector.length === loaded.model.dimension ? queryVector : await embedder.embedQuery(query);
      const classification = loaded.model.classify({ text: query, vector });
      if (classification.intent === undefined) return {};
      const name = classification.intent;
      const route = loaded.routes.get(name) ?? { kind: 'retrieval' as const };
      const intent: IntentInfo = { name, confidence: classification.confidence, route: formatRoute(route) };
      if (route.kind === 'person') return { intent, decision: { kind: 'person', priority: route.priority } };
      if (route.kind === 'faq') {
        const chunk = await faqEntry(route.faqId);
        if (chunk && allowed(chunk, filters)) return { intent, decision: { kind: 'faq', chunk } };
        warnOnce(`faq:${name}:${route.faqId}`, { intent: name, faqId: route.faqId }, 'an intent routes to an FAQ entry that is not indexed (or not for customers); answering as usual');
        return { intent };
      }
      const action = route.kind === 'action' ? actions?.byName(route.name) : actions?.byIntent(name);
      if (route.kind === 'action' && !action) {
        warnOnce(`action:${name}:${route.name}`, { intent: name, action: route.name }, 'an intent routes to an action that actions.yaml does not declare; answering as usual');
        return { intent };
      }
      if (action && actions) return { intent, decision: { kind: 'action', turn: await actions.run({ action, messages: [question], language: actionLanguage(language), ...(signal ? { signal } : {}) }) } };
      return { intent };
    },
  };
}
