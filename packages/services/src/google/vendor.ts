/** Google Gemini as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { DEFAULT_GEMINI_MODEL, GeminiLLMService } from './llm.ts';

/** The Gemini API (https://ai.google.dev/api/generate-content), streaming with function calling. */
export const geminiLLMVendor = defineVendor({
  kind: 'llm',
  provider: 'google',
  label: 'Gemini',
  options: {
    /** Model id. Default `gemini-2.5-flash`. */
    model: z.string().min(1).default(DEFAULT_GEMINI_MODEL),
    /** Sampling temperature, 0–2. Default: the API's. */
    temperature: z.number().min(0).max(2).optional(),
    /** Thinking tokens allowed per reply; 0 turns thinking off (default on `gemini-2.5-flash*`: it delays the first word). */
    thinkingBudget: z.number().int().min(0).max(32_768).optional(),
  },
  key: { credentialKind: 'google', variable: 'GEMINI_API_KEY', required: true },
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  baseUrlVariable: 'GEMINI_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkGeminiModel(options.model, 'https://generativelanguage.googleapis.com', access),
    ),
  create: (options, access) =>
    new GeminiLLMService({
      name: access.name,
      ...(access.apiKey !== undefined ? { apiKey: access.apiKey } : {}),
      ...(access.baseUrl !== undefined ? { baseUrl: access.baseUrl } : {}),
      env: {},
      model: options.model,
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.thinkingBudget !== undefined ? { thinkingBudget: options.thinkingBudget } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});
