/**
 * Builds a LangChain chat model for the configured provider. A fresh model is made per request so
 * that its HTTP calls carry that request's abort signal (client disconnect or timeout) down to
 * `fetch`: LangChain alone stops reading on abort, but Ollama's client would keep the connection
 * (and the model server's work) going.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAICompletions } from '@langchain/openai';
import type { Config } from '../config/index.ts';

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';
export const DEFAULT_OPENAI_URL = 'https://api.openai.com/v1';
// The OpenAI client refuses to start without a key; local OpenAI-compatible servers need none, so a
// placeholder satisfies the client and the Authorization header is removed before sending.
const NO_KEY = 'kefu-no-api-key';

/** Where requests go, for messages and logs (origin only: never credentials in a URL). */
export function describeEndpoint(llm: Config['llm']): string {
  const url = llm.baseUrl || (llm.provider === 'ollama' ? DEFAULT_OLLAMA_URL : DEFAULT_OPENAI_URL);
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // not a URL: the model client will fail and report it; show what was configured
  }
  return `${llm.provider} model "${llm.model}" at ${origin}`;
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
