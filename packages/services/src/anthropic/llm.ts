import type Anthropic from '@anthropic-ai/sdk';

/** The SDK, imported on first use (not when `@parley/services` is). */
let sdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;
const loadSdk = () => {
  sdk ??= import('@anthropic-ai/sdk');
  return sdk;
};

import {
  isAbortError,
  type LLMChunk,
  type LLMMessage,
  LLMService,
  type LLMServiceOptions,
  type MetricLabels,
  type ToolDefinition,
} from '@parley/pipeline';
import { LLMConfigurationError, LLMRequestError, llmHttpError } from '../errors.ts';
import { toAnthropicConversation, toAnthropicTools } from './messages.ts';
import { ToolUseAssembler } from './tool-calls.ts';

const DEFAULT_BASE_URL = 'https://api.anthropic.com';

/**
 * Default model: Claude Haiku 4.5, the fastest current Claude model
 * (https://docs.anthropic.com/en/docs/about-claude/models/overview); on a phone call the
 * time to the first word matters more than the last bit of reasoning.
 */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-haiku-4-5';

/** Options of {@link AnthropicLLMService}. */
export interface AnthropicLLMServiceOptions extends LLMServiceOptions {
  /**
   * API key, or a function that gives it (called before each request, so a stored key is read
   * when needed; its rejection becomes an {@link LLMConfigurationError}).
   * Default: env `ANTHROPIC_API_KEY`.
   */
  readonly apiKey?: string | (() => Promise<string>);
  /**
   * Base URL of the API, without the version path (`http://127.0.0.1:8080`; the SDK adds
   * `/v1/messages`). Default: env `ANTHROPIC_BASE_URL`, else `https://api.anthropic.com`.
   */
  readonly baseUrl?: string;
  /** Model id (https://docs.anthropic.com/en/docs/about-claude/models/overview). Default {@link DEFAULT_ANTHROPIC_MODEL}. */
  readonly model?: string;
  /** Most tokens of one completion (the API requires a limit). Default 1024. */
  readonly maxTokens?: number;
  /** Retries of a failed request (429, 5xx, connection errors) by the SDK. Default 2. */
  readonly maxRetries?: number;
  /** Time limit of one request until its stream starts, ms. Default 30000. */
  readonly timeoutMs?: number;
  /** Processor name in errors and metrics. Default `'AnthropicLLMService'`. */
  readonly name?: string;
  /** Where to read `ANTHROPIC_API_KEY` / `ANTHROPIC_BASE_URL`. Default `process.env`; `{}` reads none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The `fetch` requests go through (e.g. one that enforces an egress policy). Default: the global one. */
  readonly fetch?: typeof fetch;
}

/**
 * LLM service over the official `@anthropic-ai/sdk`'s streaming Messages API
 * (https://docs.anthropic.com/en/api/messages and
 * https://docs.anthropic.com/en/api/messages-streaming).
 *
 * Each run sends `stream: true`, `max_tokens`, the context converted by
 * {@link toAnthropicConversation} (top-level `system`, alternating turns with `tool_use` and
 * `tool_result` blocks), the context's tools as client tools
 * (https://docs.anthropic.com/en/docs/build-with-claude/tool-use/overview) and the run's
 * `AbortSignal`. It yields `text_delta`s as they arrive, each tool call once its block stops
 * (the `input_json_delta` pieces joined), and one usage chunk at `message_delta`
 * (prompt tokens: input plus cache read and cache creation tokens; completion tokens: output).
 * The {@link LLMService} base turns these into `llm_text` and metrics frames and runs the tools.
 *
 * Errors: the constructor throws {@link LLMConfigurationError} when there is no API key. A run
 * rejects with {@link LLMConfigurationError} on HTTP 401/403/404 and with
 * {@link LLMRequestError} on other failures (429, 5xx, an `error` event in the stream,
 * connection errors; after the SDK's retries); an aborted run ends quietly or rejects with the
 * SDK's `APIUserAbortError`, which the pipeline ignores.
 *
 * @example
 * const llm = new AnthropicLLMService({ model: 'claude-haiku-4-5' }); // ANTHROPIC_API_KEY from the env
 * llm.registerFunction('get_weather', async ({ city }, { signal }) => fetchWeather(String(city), signal));
 */
export class AnthropicLLMService extends LLMService {
  /** The model id sent with every request. */
  readonly model: string;
  /** The base URL requests go to (without `/v1`). */
  readonly baseUrl: string;
  /** `max_tokens` of every request. */
  readonly maxTokens: number;
  private readonly client: () => Promise<Anthropic>;
  private clientPromise: Promise<Anthropic> | undefined;
  /** The SDK's error classes, once it is loaded. */
  private errors: typeof Anthropic | undefined;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'anthropic', model: this.model };
  }

  /**
   * @throws LLMConfigurationError when no API key is given or set in the environment.
   * @throws RangeError when `maxTokens` is not a positive integer.
   */
  constructor(options: AnthropicLLMServiceOptions = {}) {
    super(options.name ?? 'AnthropicLLMService', options);
    const env = options.env ?? process.env;
    const apiKey = options.apiKey || env.ANTHROPIC_API_KEY || undefined;
    if (!apiKey) {
      throw new LLMConfigurationError(
        "No Anthropic API key: set ANTHROPIC_API_KEY or the agent's llm.apiKey",
      );
    }
    this.maxTokens = options.maxTokens ?? 1024;
    if (!Number.isInteger(this.maxTokens) || this.maxTokens < 1) {
      throw new RangeError('maxTokens must be a positive integer');
    }
    this.baseUrl = options.baseUrl || env.ANTHROPIC_BASE_URL || DEFAULT_BASE_URL;
    this.model = options.model ?? DEFAULT_ANTHROPIC_MODEL;
    const clientOptions = {
      apiKey: typeof apiKey === 'string' ? apiKey : keyGetter(apiKey),
      baseURL: this.baseUrl,
      maxRetries: options.maxRetries ?? 2,
      timeout: options.timeoutMs ?? 30_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    loadSdk().catch(() => undefined); // loads in the background; a failure surfaces at the first request
    this.client = () => {
      this.clientPromise ??= loadSdk().then(({ default: Sdk }) => {
        this.errors = Sdk;
        return new Sdk(clientOptions);
      });
      return this.clientPromise;
    };
  }

  protected override async *streamCompletion(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    const { system, messages: turns } = toAnthropicConversation(messages);
    const anthropicTools = toAnthropicTools(tools);
    const calls = new ToolUseAssembler();
    let promptTokens = 0;
    try {
      const stream = await (await this.client()).messages.create(
        {
          model: this.model,
          max_tokens: this.maxTokens,
          messages: turns,
          stream: true,
          ...(system !== undefined ? { system } : {}),
          ...(anthropicTools ? { tools: anthropicTools } : {}),
        },
        { signal },
      );
      // Leaving this loop early (the consumer stops, or an abort) closes the HTTP stream.
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            promptTokens = inputTokens(event.message.usage);
            break;
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              calls.start(event.index, event.content_block.id, event.content_block.name);
            }
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') {
              if (event.delta.text) yield { type: 'text', text: event.delta.text };
            } else if (event.delta.type === 'input_json_delta') {
              calls.add(event.index, event.delta.partial_json);
            }
            break;
          case 'content_block_stop': {
            const call = calls.stop(event.index);
            if (call && !signal.aborted) yield { type: 'tool_call', call };
            break;
          }
          case 'message_delta':
            yield {
              type: 'usage',
              // Newer API versions repeat the input counts here; they are final when present.
              promptTokens:
                typeof event.usage.input_tokens === 'number' ? inputTokens(event.usage) : promptTokens,
              completionTokens: event.usage.output_tokens,
            };
            break;
        }
      }
    } catch (e) {
      throw this.describe(e);
    }
  }

  /** Map SDK errors to this package's error families; aborts pass through unchanged. */
  private describe(e: unknown): unknown {
    if (isAbortError(e)) return e;
    // The SDK wraps what the key function threw.
    const Anthropic = this.errors;
    if (!Anthropic) return e; // the SDK did not load: its own error
    if (e instanceof Anthropic.AnthropicError && e.cause instanceof LLMConfigurationError) return e.cause;
    if (!(e instanceof Anthropic.APIError)) return e;
    if (e instanceof Anthropic.APIConnectionError) {
      return new LLMRequestError(`Could not reach the Anthropic API at ${this.baseUrl}: ${e.message}`, {
        cause: e,
      });
    }
    return llmHttpError(
      {
        provider: 'The Anthropic API',
        baseUrl: this.baseUrl,
        model: this.model,
        keyVariable: 'ANTHROPIC_API_KEY',
      },
      e.status,
      e.message,
      e,
    );
  }
}

/** All input tokens of a request: uncached, read from the cache and written to it. */
function inputTokens(usage: {
  readonly input_tokens: number | null;
  readonly cache_read_input_tokens: number | null;
  readonly cache_creation_input_tokens: number | null;
}): number {
  return (
    (usage.input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0)
  );
}

/** `apiKey` function for the SDK, its failures as {@link LLMConfigurationError}. */
function keyGetter(getKey: () => Promise<string>): () => Promise<string> {
  return async () => {
    try {
      return await getKey();
    } catch (error) {
      throw new LLMConfigurationError(
        `No API key for the Anthropic LLM: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
}
