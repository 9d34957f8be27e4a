/**
 * The optional LLM answer path. When a model is configured (KEFU_LLM_PROVIDER=ollama|openai), the
 * answer service asks it to write a fluent answer from the retrieved passages; every sentence must
 * cite a source [n], and sentences that do not are dropped before anyone sees them.
 *
 * @example
 *   const writer = createAnswerWriter({ config, logger });
 *   if (writer) {
 *     const answer = await writer.write({ question, language: 'en', passages, history: [], onDelta: send });
 *     // answer.sentences: [{ text: 'Refunds are issued within 14 days [1].', citations: [1] }]
 *   }
 */
import type { Config } from '../config/index.ts';
import { KefuError } from '../errors/index.ts';
import { describeEndpoint } from './endpoint.ts';
import { createCitationFilter, type GroundedSentence } from './citations.ts';
import { buildAnswerMessages, buildRewriteMessages, cleanRewrite, type SourcePassage } from './prompt.ts';

export { validateCitations, joinSentences, NOT_FOUND_MARKER } from './citations.ts';
export type { GroundedSentence } from './citations.ts';
export type { SourcePassage } from './prompt.ts';

export interface LlmAnswerPiece {
  type: 'delta';
  text: string;
}

export interface LlmAnswer {
  /** The cited sentences, in order; `joinSentences(sentences)` is the answer text. */
  sentences: GroundedSentence[];
  /** Sentences removed because they cited no existing source. */
  dropped: string[];
  /** The model's reply as received. */
  raw: string;
  /** The model replied NOT_FOUND: the sources do not answer the question. */
  notFound: boolean;
}

export interface HistoryTurn {
  role: 'user' | 'assistant';
  text: string;
}

export interface AnswerWriter {
  /**
   * Streams the answer sentence by sentence through `onDelta` (only cited sentences, so the
   * concatenated deltas equal `joinSentences(result.sentences)`), then resolves the validated answer.
   * Throws KefuError LLM_FAILED (with cause) when the endpoint is unreachable, errors, replies with
   * nothing, or exceeds config.llm.timeoutMs. When `signal` aborts, rejects with the signal's reason
   * (an AbortError), not LLM_FAILED: the client is gone and there is nobody to fall back for.
   */
  write(options: {
    question: string;
    language: 'en' | 'zh' | 'other';
    passages: SourcePassage[];
    history: HistoryTurn[];
    signal?: AbortSignal;
    onDelta?: (text: string) => void;
  }): Promise<LlmAnswer>;
  /**
   * Rewrites a follow-up into a standalone question using previous turns ("and for newborns?" →
   * "Is ... covered for newborns?"). Returns the question unchanged, without a model call, when
   * there is no history. Same errors as `write`.
   */
  rewrite(options: { question: string; history: HistoryTurn[]; signal?: AbortSignal }): Promise<string>;
}

const ANSWER_MAX_TOKENS = 700;
const REWRITE_MAX_TOKENS = 200;

// LangChain's model clients take seconds to import: only a configured LLM pays for them.
type ChatModels = typeof import('./chat-model.ts');
let chatModels: Promise<ChatModels> | undefined;
function loadChatModels(): Promise<ChatModels> {
  chatModels ??= import('./chat-model.ts');
  return chatModels;
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { status?: unknown; status_code?: unknown };
  const status = candidate.status ?? candidate.status_code;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Returns an AnswerWriter for the configured model, or undefined when config.llm.provider is 'none'.
 * Throws CONFIG_INVALID when a provider is set without a model name.
 *
 * @example
 *   const writer = createAnswerWriter({ config: loadConfig() }); // undefined unless KEFU_LLM_PROVIDER is set
 */
export function createAnswerWriter(options: { config: Config; logger?: { warn(object: object, message: string): void } }): AnswerWriter | undefined {
  const { config, logger } = options;
  const llm = config.llm;
  if (llm.provider === 'none') return undefined;
  if (!llm.model) {
    throw new KefuError('CONFIG_INVALID', {
      detail: `KEFU_LLM_MODEL is empty while KEFU_LLM_PROVIDER=${llm.provider}`,
      hint: 'Set KEFU_LLM_MODEL to the model name (for example qwen2.5:7b-instruct for Ollama), or set KEFU_LLM_PROVIDER=none.',
    });
  }
  const endpoint = describeEndpoint(llm);
  // Start loading now so the first question does not wait for it; a failure surfaces on first use.
  loadChatModels().catch(() => undefined);

  /** Runs one model call under the caller's signal plus the timeout, and classifies failures. */
  async function call<T>(signal: AbortSignal | undefined, run: (combined: AbortSignal, models: ChatModels) => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    // Loading the client code is not the model's time: the timeout starts after it.
    const models = await loadChatModels();
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(llm.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const result = await run(combined, models);
      // LangChain ends some streams quietly on abort: a cut-off reply must not pass for a whole one.
      combined.throwIfAborted();
      return result;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof KefuError) throw error;
      if (timeout.aborted) throw new KefuError('LLM_FAILED', { detail: `${endpoint} did not finish within ${llm.timeoutMs} ms`, cause: error });
      const status = httpStatusOf(error);
      const problem = status === undefined ? 'could not be reached or failed' : `replied with HTTP ${status}`;
      throw new KefuError('LLM_FAILED', { detail: `${endpoint} ${problem}`, cause: error });
    }
  }

  return {
    async write({ question, language, passages, history, signal, onDelta }) {
      const messages = buildAnswerMessages({ question, language, passages, history, maxSentences: config.answer.maxSentences });
      let deliveryError: { error: unknown } | undefined;
      const filter = createCitationFilter({
        validNumbers: new Set(passages.map((passage) => passage.n)),
        onSentence: ({ delta }) => {
          try {
            onDelta?.(delta);
          } catch (error) {
            deliveryError ??= { error };
          }
        },
      });
      const raw = await call(signal, async (combined, { createChatModel, toLangChainMessages }) => {
        let text = '';
        const model = createChatModel({ llm, signal: combined, maxTokens: ANSWER_MAX_TOKENS });
        const stream = await model.stream(toLangChainMessages(messages), { signal: combined });
        for await (const chunk of stream) {
          const piece = chunk.text;
          if (!piece) continue;
          text += piece;
          filter.push(piece);
          if (deliveryError) break;
        }
        return text;
      });
      // The caller's own callback failed (e.g. the SSE socket broke): that is not the model's fault.
      if (deliveryError) throw deliveryError.error;
      if (!raw.trim()) throw new KefuError('LLM_FAILED', { detail: `${endpoint} replied with an empty answer` });
      const { sentences, dropped, notFound } = filter.finish();
      if (dropped.length > 0) {
        logger?.warn({ dropped: dropped.map((sentence) => sentence.slice(0, 200)), kept: sentences.length }, 'LLM answer sentences without a valid citation were dropped');
      }
      return { sentences, dropped, raw, notFound };
    },

    async rewrite({ question, history, signal }) {
      if (history.length === 0) return question;
      const messages = buildRewriteMessages({ question, history });
      const reply = await call(signal, async (combined, { createChatModel, toLangChainMessages }) => {
        const model = createChatModel({ llm, signal: combined, maxTokens: REWRITE_MAX_TOKENS });
        const message = await model.invoke(toLangChainMessages(messages), { signal: combined });
        return message.text;
      });
      return cleanRewrite(reply, question);
    },
  };
}
