/**
 * Runs business actions turn by turn without keeping state: where a conversation stands (which action waits for
 * which slot, what the customer already gave) is read back from its history, so the answer service stays
 * stateless and any replica can answer the next message.
 *
 * A conversation is waiting for a slot when kefu's last message ends with that slot's question; the customer's
 * messages since the action started (the message that started it, then each answer to a question of that action)
 * hold the slots given so far.
 *
 * @example
 *   const runner = createActionRunner({ catalogue, secret: config.actions.secret, maxResponseBytes: config.actions.maxResponseBytes });
 *   const pending = runner.pending(history);           // { action, awaiting: 'order', slots: {}, asked: 1 } or undefined
 *   const turn = await runner.run({ action, messages: ['where is my order?'], language: 'en' });
 *   // { kind: 'ask', slot: 'order', text: 'What is your order number?' } → later { kind: 'reply', text: 'Order KF… has shipped' }
 */
import { callAction, type ActionCallOutcome } from './http.ts';
import { extractSlot } from './slots.ts';
import { MissingFieldError, renderReply } from './template.ts';
import type { ActionCatalogue, ActionDefinition, ActionLanguage, ActionTurn, Localized, SlotDefinition, Template } from './types.ts';

/** A turn of a conversation as the answer path has it. */
export interface HistoryTurn {
  role: 'user' | 'assistant';
  text: string;
}

/** An action the conversation is in the middle of. */
export interface PendingAction {
  action: ActionDefinition;
  /** The slot kefu asked for last. */
  awaiting: string;
  /** Slots the customer gave so far. */
  slots: Record<string, string>;
  /** The customer's messages since the action started, oldest first. */
  messages: string[];
  /** How many times in a row kefu asked for `awaiting`. */
  asked: number;
  /** The language of the question kefu asked. */
  language: ActionLanguage;
}

export interface ActionRunner {
  readonly catalogue: ActionCatalogue;
  byName(name: string): ActionDefinition | undefined;
  /** The action an intent starts (its trigger names the intent). */
  byIntent(intent: string): ActionDefinition | undefined;
  /** The action whose pattern the message matches. */
  byPattern(text: string): ActionDefinition | undefined;
  /** The action waiting for a slot, read from the conversation's history; undefined when none is. */
  pending(history: readonly HistoryTurn[]): PendingAction | undefined;
  /** Whether the message gives the slot. */
  gives(input: { action: ActionDefinition; slot: string; text: string }): boolean;
  /**
   * One turn: the slots from the messages (oldest first; a later value wins), then the first missing slot is asked
   * for, or the request is made and answered.
   */
  run(input: { action: ActionDefinition; messages: readonly string[]; language: ActionLanguage; reasked?: boolean; signal?: AbortSignal }): Promise<ActionTurn>;
}

export interface ActionRunnerOptions {
  catalogue: ActionCatalogue;
  secret: (name: string) => string | undefined;
  maxResponseBytes: number;
  /** Told about each failed request (reason and time; never the URL, a header or the body). */
  logger?: { warn(object: object, message: string): void };
  /** Today, for relative dates (tests). */
  now?: () => Date;
}

const REASK: Localized = { en: 'I could not find that in your message.', zh: '没有在您的消息里找到这项信息。' };
const NOT_FOUND: Localized = { en: 'I could not find anything for what you gave. Please check it and send it again.', zh: '没有查到相关记录，请核对后重新发送。' };

function pick(text: Localized, language: ActionLanguage): string {
  return language === 'zh' ? (text.zh ?? text.en) : text.en;
}

function pickTemplate(text: { en: Template; zh?: Template }, language: ActionLanguage): Template {
  return language === 'zh' ? (text.zh ?? text.en) : text.en;
}

/**
 * The action runner over a loaded catalogue.
 *
 * @example
 *   const runner = createActionRunner({ catalogue, secret: config.actions.secret, maxResponseBytes: 1 << 20 });
 */
export function createActionRunner(options: ActionRunnerOptions): ActionRunner {
  const { catalogue, secret, maxResponseBytes, logger } = options;
  const now = options.now ?? (() => new Date());
  const byName = new Map(catalogue.actions.map((action) => [action.name, action]));

  /** Which action and slot a message of kefu asks for (it ends with the slot's question). */
  function askedIn(text: string): { action: ActionDefinition; slot: SlotDefinition; language: ActionLanguage } | undefined {
    const trimmed = text.trim();
    for (const action of catalogue.actions) {
      for (const slot of action.slots) {
        if (slot.ask.zh && trimmed.endsWith(slot.ask.zh)) return { action, slot, language: 'zh' };
        if (trimmed.endsWith(slot.ask.en)) return { action, slot, language: 'en' };
      }
    }
    return undefined;
  }

  function collect(action: ActionDefinition, messages: readonly string[]): Record<string, string> {
    const slots: Record<string, string> = {};
    for (const message of messages) {
      for (const slot of action.slots) {
        const value = extractSlot({ slot, text: message, today: now() });
        if (value !== undefined) slots[slot.name] = value;
      }
    }
    return slots;
  }

  function outcomeText(action: ActionDefinition, language: ActionLanguage, slots: Record<string, string>, outcome: ActionCallOutcome): ActionTurn {
    const failed = (failure: string): ActionTurn => {
      logger?.warn({ action: action.name, failure, status: outcome.ok ? outcome.status : outcome.status, milliseconds: outcome.milliseconds }, 'a business action failed; handing over');
      return { kind: 'failed', action: action.name, text: pick(action.failure, language), slots, failure, priority: action.failurePriority };
    };
    if (!outcome.ok) {
      if (outcome.notFound && action.notFound) {
        try {
          return { kind: 'reply', action: action.name, text: renderReply({ template: pickTemplate(action.notFound, language), slots }), slots, notFound: true };
        } catch {
          return { kind: 'reply', action: action.name, text: pick(NOT_FOUND, language), slots, notFound: true };
        }
      }
      return failed(outcome.failure);
    }
    try {
      return { kind: 'reply', action: action.name, text: renderReply({ template: pickTemplate(action.reply, language), slots, response: outcome.json }), slots };
    } catch (error) {
      return failed(error instanceof MissingFieldError ? error.message : 'the reply could not be built from the response');
    }
  }

  return {
    catalogue,
    byName: (name) => byName.get(name),
    byIntent: (intent) => catalogue.actions.find((action) => action.intents.includes(intent)),
    byPattern(text) {
      return catalogue.actions.find((action) => {
        if (!action.pattern) return false;
        action.pattern.lastIndex = 0;
        return action.pattern.test(text);
      });
    },
    pending(history) {
      const last = history.at(-1);
      if (!last || last.role !== 'assistant') return undefined;
      const asked = askedIn(last.text);
      if (!asked) return undefined;
      // Back through (customer message, kefu's question of this action) pairs to the message that started it.
      const messages: string[] = [];
      let times = 0;
      let index = history.length - 1;
      while (index >= 1) {
        const turn = history[index];
        const before = history[index - 1];
        if (!turn || turn.role !== 'assistant' || !before || before.role !== 'user') break;
        const question = askedIn(turn.text);
        if (!question || question.action !== asked.action) break;
        if (question.slot === asked.slot) times += 1;
        messages.unshift(before.text);
        index -= 2;
      }
      return { action: asked.action, awaiting: asked.slot.name, slots: collect(asked.action, messages), messages, asked: times, language: asked.language };
    },
    gives({ action, slot, text }) {
      const definition = action.slots.find((candidate) => candidate.name === slot);
      return definition !== undefined && extractSlot({ slot: definition, text, today: now() }) !== undefined;
    },
    async run({ action, messages, language, reasked, signal }) {
      const slots = collect(action, messages);
      const missing = action.slots.find((slot) => slots[slot.name] === undefined);
      if (missing) {
        const question = pick(missing.ask, language);
        return { kind: 'ask', action: action.name, slot: missing.name, text: reasked ? `${pick(REASK, language)} ${question}` : question, slots };
      }
      const outcome = await callAction({ request: action.request, slots, secret, maxResponseBytes, ...(signal ? { signal } : {}) });
      return outcomeText(action, language, slots, outcome);
    },
  };
}
