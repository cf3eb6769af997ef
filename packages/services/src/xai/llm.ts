import type { LLMChunk, LLMMessage, MetricLabels, ToolDefinition } from '@parley/pipeline';
import { LLMConfigurationError, LLMError, llmHttpError } from '../errors.ts';
import { OpenAILLMService, type OpenAILLMServiceOptions } from '../openai/llm.ts';

/** xAI's OpenAI-compatible API (https://docs.x.ai/docs/api-reference). */
const XAI_BASE_URL = 'https://api.x.ai/v1';

/**
 * Default model: Grok 4.20 non-reasoning, the model xAI recommends for non-reasoning
 * workloads (https://docs.x.ai/developers/migration/may-15-retirement; the older
 * `grok-4-fast-non-reasoning` and `grok-4-1-fast-non-reasoning` were retired on 2026-05-15).
 * Non-reasoning: on a phone call the time to the first word matters most.
 */
export const DEFAULT_GROK_MODEL = 'grok-4.20-non-reasoning';

/** Options of {@link GrokLLMService}: those of {@link OpenAILLMService}, with xAI's defaults. */
export interface GrokLLMServiceOptions
  extends Omit<OpenAILLMServiceOptions, 'apiKey' | 'baseUrl' | 'model' | 'name' | 'env'> {
  /**
   * xAI API key, or a function that gives it (called before each request; its rejection
   * becomes an {@link LLMConfigurationError}). Default: env `XAI_API_KEY`.
   */
  readonly apiKey?: string | (() => Promise<string>);
  /** Base URL including the version path. Default `https://api.x.ai/v1`. */
  readonly baseUrl?: string;
  /** Model id (https://docs.x.ai/developers/models). Default {@link DEFAULT_GROK_MODEL}. */
  readonly model?: string;
  /** Processor name in errors and metrics. Default `'GrokLLMService'`. */
  readonly name?: string;
  /** Where to read `XAI_API_KEY`. Default `process.env`; `{}` reads none. `OPENAI_*` are never read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * LLM service for xAI Grok over its OpenAI-compatible Chat Completions API
 * (https://docs.x.ai/docs/guides/chat, function calling:
 * https://docs.x.ai/docs/guides/function-calling), through the official `openai` SDK as xAI
 * documents: an {@link OpenAILLMService} with xAI's base URL, key variable and default model,
 * so streaming, tool calls, usage, interruption and the `fetch` hook behave the same.
 *
 * Errors: the constructor throws {@link LLMConfigurationError} when there is no API key. A run
 * rejects with {@link LLMConfigurationError} on HTTP 401/403/404 and on xAI's answer to a bad
 * key (HTTP 400 "Incorrect API key provided"), naming `XAI_API_KEY`, and with
 * `LLMRequestError` on other failures, as {@link OpenAILLMService} does.
 *
 * @example
 * const llm = new GrokLLMService(); // XAI_API_KEY from the env, model grok-4.20-non-reasoning
 * llm.registerFunction('get_weather', async ({ city }, { signal }) => fetchWeather(String(city), signal));
 */
export class GrokLLMService extends OpenAILLMService {
  /** @throws LLMConfigurationError when no API key is given or set in the environment. */
  constructor(options: GrokLLMServiceOptions = {}) {
    super(openAIOptions(options));
  }

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'xai', model: this.model };
  }

  protected override async *streamCompletion(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    try {
      yield* super.streamCompletion(messages, tools, signal);
    } catch (e) {
      throw this.relabel(e);
    }
  }

  /** Name xAI and `XAI_API_KEY` in the errors of an HTTP answer; others pass through. */
  private relabel(e: unknown): unknown {
    if (!(e instanceof LLMError) || e.status === undefined) return e;
    const detail = e.cause instanceof Error ? e.cause.message : e.message;
    const endpoint = {
      provider: 'The xAI API',
      baseUrl: this.baseUrl,
      model: this.model,
      keyVariable: 'XAI_API_KEY',
    };
    // xAI answers a bad key with 400, not 401.
    if (e.status === 400 && /incorrect api key/i.test(detail)) {
      return new LLMConfigurationError(
        `${endpoint.provider} at ${this.baseUrl} rejected the API key (HTTP 400): set XAI_API_KEY or the agent's llm.credential`,
        { status: 400, cause: e.cause },
      );
    }
    return llmHttpError(endpoint, e.status, detail, e.cause);
  }
}

function openAIOptions(options: GrokLLMServiceOptions): OpenAILLMServiceOptions {
  const env = options.env ?? process.env;
  const apiKey = options.apiKey || env.XAI_API_KEY || undefined;
  if (!apiKey) {
    throw new LLMConfigurationError("No xAI API key: set XAI_API_KEY or the agent's llm.apiKey");
  }
  return {
    ...options,
    apiKey,
    baseUrl: options.baseUrl || XAI_BASE_URL,
    model: options.model ?? DEFAULT_GROK_MODEL,
    name: options.name ?? 'GrokLLMService',
    env: {}, // never OPENAI_API_KEY / OPENAI_BASE_URL
  };
}
