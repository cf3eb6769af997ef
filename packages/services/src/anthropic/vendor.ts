/** Anthropic Claude as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { AnthropicLLMService, DEFAULT_ANTHROPIC_MODEL } from './llm.ts';

/** The Messages API (https://docs.anthropic.com/en/api/messages), streaming with tool use. */
export const anthropicLLMVendor = defineVendor({
  kind: 'llm',
  provider: 'anthropic',
  label: 'Anthropic',
  options: {
    /** Model id. Default `claude-haiku-4-5`. */
    model: z.string().min(1).default(DEFAULT_ANTHROPIC_MODEL),
    /** Most tokens in one reply. Default 1024. */
    maxTokens: z.number().int().min(1).max(64_000).optional(),
  },
  key: { credentialKind: 'anthropic', variable: 'ANTHROPIC_API_KEY', required: true },
  defaultBaseUrl: 'https://api.anthropic.com',
  baseUrlVariable: 'ANTHROPIC_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkAnthropicModel(options.model, 'https://api.anthropic.com', access),
    ),
  create: (options, access) =>
    new AnthropicLLMService({
      name: access.name,
      ...(access.apiKey !== undefined ? { apiKey: access.apiKey } : {}),
      ...(access.baseUrl !== undefined ? { baseUrl: access.baseUrl } : {}),
      env: {},
      model: options.model,
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});
