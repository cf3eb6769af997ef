/** OpenAI (and any OpenAI-compatible chat-completions API) as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { OpenAILLMService } from './llm.ts';

/** OpenAI's API base URL. */
export const OPENAI_API_BASE_URL = 'https://api.openai.com/v1';

/** Chat completions; `baseUrl` reaches other compatible servers (Ollama, vLLM, gateways). */
export const openaiLLMVendor = defineVendor({
  kind: 'llm',
  provider: 'openai',
  label: 'OpenAI',
  options: {
    /** Model id. Default `gpt-4o-mini`. */
    model: z.string().min(1).default('gpt-4o-mini'),
    /** Sampling temperature, 0–2. Default: the API's. */
    temperature: z.number().min(0).max(2).optional(),
  },
  key: { credentialKind: 'openai', variable: 'OPENAI_API_KEY', required: false },
  defaultBaseUrl: OPENAI_API_BASE_URL,
  baseUrlVariable: 'OPENAI_BASE_URL',
  create: (options, access) =>
    new OpenAILLMService({
      apiKey: access.apiKey ?? 'not-needed',
      baseUrl: access.baseUrl ?? OPENAI_API_BASE_URL,
      env: {}, // the key and base URL the server chose, never the process environment's
      model: options.model,
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});
