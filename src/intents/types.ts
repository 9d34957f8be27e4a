/**
 * The shapes of intent recognition: what a knowledge owner declares (intents with example phrases and
 * a route), what the classifier is trained on, and what it answers for a message.
 */
import type { Language } from '../text/index.ts';

/**
 * The reserved intent name for examples of messages that belong to no intent ("what's the weather",
 * "tell me a joke"). The classifier learns them as one more class and never returns it: a message it
 * matches gets `intent: undefined`, like a message below the confidence threshold.
 */
export const OUT_OF_SCOPE_INTENT = 'out_of_scope';

/** One labelled utterance. */
export interface IntentExample {
  text: string;
  /** An intent name, or `OUT_OF_SCOPE_INTENT`. */
  intent: string;
  /** Informational (the file says it or it is detected); the classifier itself is language-neutral. */
  language?: Language;
}

/** Where a message that matched an intent goes. */
export type IntentRoute =
  /** Answer with this FAQ entry verbatim (its `id` in an FAQ sheet). */
  | { kind: 'faq'; faqId: string }
  /** Run a business action declared in actions.yaml (a later part of issue 14). */
  | { kind: 'action'; name: string }
  /** Hand over to a person, with this ticket priority. */
  | { kind: 'person'; priority: PersonPriority }
  /** Answer from the documents as usual (the default). */
  | { kind: 'retrieval' };

export type PersonPriority = 'low' | 'normal' | 'high' | 'urgent';

/** An intent as declared in an intents file. */
export interface IntentDefinition {
  name: string;
  route: IntentRoute;
  examples: IntentExample[];
  /** 1-based line where the intent is first declared, for messages. */
  line: number;
}

/** One place the intent ranking puts an intent. */
export interface IntentScore {
  intent: string;
  probability: number;
}

/** What the classifier says about one message. */
export interface IntentClassification {
  /** The recognised intent; undefined when the message belongs to none (out of scope). */
  intent?: string;
  /**
   * How sure the classifier is of the best intent (0–1), whether or not it was accepted (with
   * `intent: undefined` it says how close the message came): the intent's probability, or, when the
   * model learned out-of-scope examples, its probability against "no intent" alone. The threshold is
   * compared with this.
   */
  confidence: number;
  /** Why no intent was returned: the out-of-scope class won, or the best intent was below the threshold. */
  outOfScope?: 'out-of-scope-class' | 'below-threshold';
  /** The best in-scope intents, most probable first (at most `top`, default 5). */
  ranking: IntentScore[];
}
