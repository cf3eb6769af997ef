import {
  isAbortError,
  type LLMChunk,
  type LLMMessage,
  LLMService,
  type LLMServiceOptions,
  type MetricLabels,
  type ToolDefinition,
} from '@parley/pipeline';
import type OpenAI from 'openai';
import { LLMConfigurationError, LLMRequestError, llmHttpError } from '../errors.ts';
import { toOpenAIMessages, toOpenAITools } from './messages.ts';
import { loadedOpenAI, loadOpenAISdk } from './sdk.ts';
import { ToolCallAssembler } from './tool-calls.ts';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Options of {@link OpenAILLMService}. */
export interface OpenAILLMServiceOptions extends LLMServiceOptions {
  /**
   * API key, or a function that gives it (called before each request, so a stored key is read
   * when needed; its rejection becomes an {@link LLMConfigurationError}). Default: env `OPENAI_API_KEY`.
   */
  readonly apiKey?: string | (() => Promise<string>);
  /**
   * Base URL of any OpenAI-compatible server, including the version path
   * (`http://127.0.0.1:11434/v1`). Default: env `OPENAI_BASE_URL`, else `https://api.openai.com/v1`.
   */
  readonly baseUrl?: string;
  /** Model id. Default `'gpt-4o-mini'`. */
  readonly model?: string;
  /** Sampling temperature, 0–2. Default: the provider's. */
  readonly temperature?: number;
  /** Retries of a failed request (429, 5xx, connection errors) by the SDK. Default 2. */
  readonly maxRetries?: number;
  /** Time limit of one request until its stream starts, ms. Default 30000. */
  readonly timeoutMs?: number;
  /** Processor name in errors and metrics. Default `'OpenAILLMService'`. */
  readonly name?: string;
  /** Where to read `OPENAI_API_KEY` / `OPENAI_BASE_URL`. Default `process.env`; `{}` reads none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The `fetch` requests go through (WHATWG signature), e.g. one that refuses private
   * addresses. An error anywhere in a failed request's `cause` chain with `code`
   * `'ERR_EGRESS_REFUSED'` is reported as an {@link LLMConfigurationError} naming the refusal.
   * Default: the global `fetch`.
   */
  readonly fetch?: typeof fetch;
}

/** `code` of the error a `fetch` throws (in a `cause` chain) when it refuses to connect to a target. */
export const EGRESS_REFUSED_CODE = 'ERR_EGRESS_REFUSED';

/**
 * LLM service over the official `openai` SDK's streaming Chat Completions
 * (https://platform.openai.com/docs/api-reference/chat/create and
 * https://platform.openai.com/docs/api-reference/chat-streaming). Works with any
 * OpenAI-compatible server through `baseUrl`.
 *
 * Each run sends `stream: true`, `stream_options.include_usage`, the context's tools as
 * function tools (https://platform.openai.com/docs/guides/function-calling) and the run's
 * `AbortSignal`. It yields text deltas as they arrive, tool calls once complete (fragments
 * joined by `index`, parallel calls in index order) and the usage chunk; the
 * {@link LLMService} base turns these into `llm_text` and metrics frames and runs the tools
 * (`function_calls_started`, `function_call_in_progress`, then one `function_call_result` or
 * `function_call_cancel` per call).
 *
 * Errors: the constructor throws {@link LLMConfigurationError} when there is no API key and
 * no custom base URL. A run rejects with {@link LLMConfigurationError} on HTTP 401/403/404 and
 * with {@link LLMRequestError} on other failures (after the SDK's retries); an aborted run
 * rejects with the SDK's `APIUserAbortError`, which the pipeline ignores.
 *
 * @example
 * const llm = new OpenAILLMService({ model: 'gpt-4o-mini' }); // OPENAI_API_KEY from the env
 * llm.registerFunction('get_weather', async ({ city }, { signal }) => fetchWeather(String(city), signal), {
 *   timeoutMs: 5000,
 * });
 */
export class OpenAILLMService extends LLMService {
  /** The model id sent with every request. */
  readonly model: string;
  /** The base URL requests go to. */
  readonly baseUrl: string;
  /** The SDK's client, made once the SDK is loaded (see `sdk.ts`). */
  private readonly client: () => Promise<OpenAI>;
  private readonly temperature: number | undefined;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'openai', model: this.model };
  }

  /** @throws LLMConfigurationError when no API key is given or set in the environment and no `baseUrl` either. */
  constructor(options: OpenAILLMServiceOptions = {}) {
    super(options.name ?? 'OpenAILLMService', options);
    const env = options.env ?? process.env;
    const customBaseUrl = options.baseUrl || env.OPENAI_BASE_URL || undefined;
    let apiKey: string | (() => Promise<string>) | undefined =
      options.apiKey || env.OPENAI_API_KEY || undefined;
    if (!apiKey) {
      if (!customBaseUrl) {
        throw new LLMConfigurationError(
          "No OpenAI API key: set OPENAI_API_KEY or the agent's llm.apiKey (or llm.baseUrl for a self-hosted server)",
        );
      }
      apiKey = 'unused'; // self-hosted OpenAI-compatible servers usually need none
    }
    this.baseUrl = customBaseUrl ?? DEFAULT_BASE_URL;
    this.model = options.model ?? 'gpt-4o-mini';
    this.temperature = options.temperature;
    const clientOptions = {
      apiKey: typeof apiKey === 'string' ? apiKey : keyGetter(apiKey),
      baseURL: this.baseUrl,
      maxRetries: options.maxRetries ?? 2,
      timeout: options.timeoutMs ?? 30_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    let client: Promise<OpenAI> | undefined;
    loadOpenAISdk().catch(() => undefined); // loads in the background; a failure surfaces at the first request
    this.client = () => {
      client ??= loadOpenAISdk().then(({ default: Sdk }) => new Sdk(clientOptions));
      return client;
    };
  }

  protected override async *streamCompletion(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    const openaiTools = toOpenAITools(tools);
    const calls = new ToolCallAssembler();
    try {
      const stream = await (await this.client()).chat.completions.create(
        {
          model: this.model,
          messages: toOpenAIMessages(messages),
          stream: true,
          stream_options: { include_usage: true },
          ...(openaiTools ? { tools: openaiTools } : {}),
          ...(this.temperature !== undefined ? { temperature: this.temperature } : {}),
        },
        { signal },
      );
      // Leaving this loop early (the consumer stops, or an abort) closes the HTTP stream.
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const delta = choice?.delta;
        if (delta?.content) yield { type: 'text', text: delta.content };
        if (delta?.tool_calls) calls.add(delta.tool_calls);
        if (choice?.finish_reason) yield* this.completedCalls(calls);
        if (chunk.usage) {
          yield {
            type: 'usage',
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
          };
        }
      }
      if (!signal.aborted) yield* this.completedCalls(calls);
    } catch (e) {
      throw this.describe(e);
    }
  }

  private *completedCalls(calls: ToolCallAssembler): Iterable<LLMChunk> {
    if (calls.isEmpty) return;
    for (const call of calls.finish()) yield { type: 'tool_call', call };
    calls.clear();
  }

  /** Map SDK errors to this package's error families; aborts pass through unchanged. */
  private describe(e: unknown): unknown {
    if (isAbortError(e)) return e;
    const OpenAI = loadedOpenAI();
    if (!OpenAI) return e; // the SDK did not load: its own error
    // The SDK wraps what the key function threw.
    if (e instanceof OpenAI.OpenAIError && e.cause instanceof LLMConfigurationError) return e.cause;
    if (!(e instanceof OpenAI.APIError)) return e;
    if (e instanceof OpenAI.APIConnectionError) {
      const refusal = causes(e).find((c) => (c as { code?: unknown }).code === EGRESS_REFUSED_CODE);
      if (refusal) {
        return new LLMConfigurationError(
          `The LLM at ${this.baseUrl} may not be reached: ${(refusal as Error).message}`,
          { cause: e },
        );
      }
      return new LLMRequestError(`Could not reach the LLM at ${this.baseUrl}: ${e.message}`, { cause: e });
    }
    return llmHttpError(
      {
        provider: 'The LLM provider',
        baseUrl: this.baseUrl,
        model: this.model,
        keyVariable: 'OPENAI_API_KEY',
      },
      e.status,
      e.message,
      e,
    );
  }
}

/** `getKey` for the SDK, its failures as {@link LLMConfigurationError}. */
function keyGetter(getKey: () => Promise<string>): () => Promise<string> {
  return async () => {
    try {
      return await getKey();
    } catch (error) {
      throw new LLMConfigurationError(
        `No API key for the LLM: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
}

/** `error` and its `cause`s, outermost first (at most 10, against cycles). */
function causes(error: unknown): object[] {
  const chain: object[] = [];
  for (let e = error; typeof e === 'object' && e !== null && chain.length < 10; e = (e as Error).cause) {
    chain.push(e);
  }
  return chain;
}
