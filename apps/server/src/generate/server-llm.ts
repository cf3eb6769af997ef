/** The server's own language model, for work outside calls (generating agents). */
import type { LLMService } from '@parley/pipeline';
import { OpenAILLMService } from '@parley/services';
import type { ServerConfig } from '../config/server-config.ts';

/**
 * An OpenAI-compatible LLM on `OPENAI_API_KEY` / `OPENAI_BASE_URL` (model `gpt-4o-mini`), its
 * requests through `fetch` (the egress-checked one); undefined when neither is set.
 */
export function serverLLM(
  config: Pick<ServerConfig, 'openaiApiKey' | 'openaiBaseUrl'>,
  fetch: typeof globalThis.fetch,
): LLMService | undefined {
  if (!config.openaiApiKey && !config.openaiBaseUrl) return undefined;
  return new OpenAILLMService({
    apiKey: config.openaiApiKey,
    baseUrl: config.openaiBaseUrl,
    env: {},
    fetch,
    name: 'AgentGeneratorLLM',
  });
}
