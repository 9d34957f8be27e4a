/**
 * Builds a LangChain chat model for the configured provider. A fresh model is made per request so
 * that its HTTP calls carry that request's abort signal (client disconnect or timeout) down to
 * `fetch`: LangChain alone stops reading on abort, but Ollama's client would keep the connection
 * (and the model server's work) going. Loaded on first use only: LangChain's clients take 1-3 s to
 * import, which the default extractive path should not pay.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAICompletions } from '@langchain/openai';
import type { Config } from '../config/index.ts';
import { DEFAULT_OLLAMA_URL, DEFAULT_OPENAI_URL } from './endpoint.ts';
import type { PromptMessage } from './prompt.ts';

// The OpenAI client refuses to start without a key; local OpenAI-compatible servers need none, so a
// placeholder satisfies the client and the Authorization header is removed before sending.
const NO_KEY = 'kefu-no-api-key';

export function toLangChainMessages(messages: PromptMessage[]): Array<SystemMessage | HumanMessage> {
  return messages.map((message) => (message.role === 'system' ? new SystemMessage(message.content) : new HumanMessage(message.content)));
}

function fetchWithSignal(signal: AbortSignal, dropAuthorization: boolean): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    if (dropAuthorization) headers.delete('authorization');
    return fetch(input, { ...init, headers, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  };
}

export function createChatModel(options: { llm: Config['llm']; signal: AbortSignal; maxTokens: number }): BaseChatModel {
  const { llm, signal, maxTokens } = options;
  if (llm.provider === 'ollama') {
    return new ChatOllama({
      model: llm.model,
      baseUrl: llm.baseUrl || DEFAULT_OLLAMA_URL,
      headers: llm.apiKey ? { Authorization: `Bearer ${llm.apiKey}` } : undefined,
      fetch: fetchWithSignal(signal, false),
      temperature: 0,
      numPredict: maxTokens,
      maxRetries: 0,
    });
  }
  // ChatOpenAICompletions speaks /chat/completions only: every OpenAI-compatible server (vLLM,
  // llama.cpp, LM Studio, DeepSeek, Qwen) has it, while ChatOpenAI may switch some models to /responses.
  return new ChatOpenAICompletions({
    model: llm.model,
    apiKey: llm.apiKey || NO_KEY,
    configuration: {
      baseURL: llm.baseUrl || DEFAULT_OPENAI_URL,
      fetch: fetchWithSignal(signal, !llm.apiKey),
    },
    temperature: 0,
    maxTokens,
    maxRetries: 0,
    // stream_options is rejected by some compatible servers, and we do not need token counts
    streamUsage: false,
  });
}
