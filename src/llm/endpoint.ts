/** Where the configured model lives, for requests, messages and logs. */
import type { Config } from '../config/index.ts';

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';
export const DEFAULT_OPENAI_URL = 'https://api.openai.com/v1';

/** `openai model "m" at https://host` (origin only: never credentials or paths from the URL). */
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
