/** xAI Grok as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { DEFAULT_GROK_MODEL, GrokLLMService } from './llm.ts';

/** Grok over xAI's OpenAI-compatible chat completions (https://docs.x.ai/docs/api-reference). */
export const grokLLMVendor = defineVendor({
  kind: 'llm',
  provider: 'xai',
  label: 'Grok',
  options: {
    /** Model id. Default `grok-4.20-non-reasoning`. */
    model: z.string().min(1).default(DEFAULT_GROK_MODEL),
    /** Sampling temperature, 0–2. Default: the API's. */
    temperature: z.number().min(0).max(2).optional(),
  },
  key: { credentialKind: 'xai', variable: 'XAI_API_KEY', required: true },
  defaultBaseUrl: 'https://api.x.ai/v1',
  baseUrlVariable: 'XAI_BASE_URL',
  check: (options, access) =>
    import('../openai/check.ts').then((m) =>
      m.checkOpenAIModel('xAI', 'https://api.x.ai/v1', options.model, access),
    ),
  create: (options, access) =>
    new GrokLLMService({
      name: access.name,
      ...(access.apiKey !== undefined ? { apiKey: access.apiKey } : {}),
      ...(access.baseUrl !== undefined ? { baseUrl: access.baseUrl } : {}),
      env: {},
      model: options.model,
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});
