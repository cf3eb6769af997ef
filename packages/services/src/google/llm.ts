import type { GenerateContentConfig, GenerateContentResponseUsageMetadata, GoogleGenAI } from '@google/genai';

import {
  isAbortError,
  type LLMChunk,
  type LLMMessage,
  LLMService,
  type LLMServiceOptions,
  type LLMToolCall,
  type MetricLabels,
  type ToolDefinition,
} from '@parley/pipeline';
import { LLMConfigurationError, LLMRequestError, llmHttpError } from '../errors.ts';
import { toGeminiConversation, toGeminiTools } from './messages.ts';

/** The SDK, imported on first use (not when `@parley/services` is); kept once loaded for its error class. */
let sdk: Promise<typeof import('@google/genai')> | undefined;
let loadedSdk: typeof import('@google/genai') | undefined;
const loadSdk = () => {
  sdk ??= import('@google/genai').then((m) => {
    loadedSdk = m;
    return m;
  });
  return sdk;
};

const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/**
 * API version in every request path. Pinned, because SDK 3.x changed its default to `v1`;
 * `v1beta` is the version the Gemini API documents for function calling and
 * `parametersJsonSchema` (https://ai.google.dev/gemini-api/docs/api-versions).
 */
const API_VERSION = 'v1beta';

/**
 * Default model: Gemini 2.5 Flash, fast and able to call functions
 * (https://ai.google.dev/gemini-api/docs/models).
 */
export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';

/**
 * `code` of the error a `fetch` throws (in a `cause` chain) when it refuses a target; the same
 * value as the OpenAI service's `EGRESS_REFUSED_CODE` (not imported, so that this module does
 * not load the `openai` SDK).
 */
const EGRESS_REFUSED_CODE = 'ERR_EGRESS_REFUSED';

/** How many tool calls' thought signatures a service remembers (a few turns' worth). */
const SIGNATURES_KEPT = 64;

/** Options of {@link GeminiLLMService}. */
export interface GeminiLLMServiceOptions extends LLMServiceOptions {
  /**
   * Gemini API key, or a function that gives it (called before each request, so a stored key
   * is read when needed; its rejection becomes an {@link LLMConfigurationError}).
   * Default: env `GEMINI_API_KEY`.
   */
  readonly apiKey?: string | (() => Promise<string>);
  /**
   * Base URL of the API, without the version path (`http://127.0.0.1:8080`; the SDK adds
   * `/v1beta/models/…`). Default `https://generativelanguage.googleapis.com`.
   */
  readonly baseUrl?: string;
  /** Model id (https://ai.google.dev/gemini-api/docs/models). Default {@link DEFAULT_GEMINI_MODEL}. */
  readonly model?: string;
  /** Sampling temperature, 0–2. Default: the model's. */
  readonly temperature?: number;
  /**
   * Most thinking tokens per completion (`thinkingConfig.thinkingBudget`,
   * https://ai.google.dev/gemini-api/docs/thinking): `0` turns thinking off, `-1` lets the
   * model decide. Default `0` for Gemini 2.5 Flash models (thinking delays the first word of a
   * spoken reply), else not sent (the model's default; 2.5 Pro cannot turn it off, Gemini 3
   * models use thinking levels instead).
   */
  readonly thinkingBudget?: number;
  /** Retries of a failed request (408, 429, 5xx, connection errors) by the SDK. Default 2. */
  readonly maxRetries?: number;
  /**
   * Time limit of one request attempt, from sending it to the last streamed chunk, ms (the
   * SDK's `httpOptions.timeout`, also sent to Google as `X-Server-Timeout`). Default 60000.
   */
  readonly timeoutMs?: number;
  /** Processor name in errors and metrics. Default `'GeminiLLMService'`. */
  readonly name?: string;
  /** Where to read `GEMINI_API_KEY`. Default `process.env`; `{}` reads none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The `fetch` requests go through (WHATWG signature, the SDK's `httpOptions.fetch`), e.g.
   * one that refuses private addresses. An error anywhere in a failed request's `cause` chain
   * with `code` `'ERR_EGRESS_REFUSED'` is reported as an {@link LLMConfigurationError} naming
   * the refusal. Default: the global `fetch`.
   */
  readonly fetch?: typeof fetch;
}

/**
 * LLM service over the official `@google/genai` SDK's streaming `generateContentStream`
 * (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent: `POST
 * /v1beta/models/{model}:streamGenerateContent?alt=sse`, key in `x-goog-api-key`).
 *
 * Each run sends the context converted by {@link toGeminiConversation} (`systemInstruction`,
 * `user`/`model` turns with `functionCall` and `functionResponse` parts), the context's tools
 * as function declarations (https://ai.google.dev/gemini-api/docs/function-calling), the
 * temperature and thinking budget, and the run's `AbortSignal`: an interruption aborts the
 * HTTP request. It yields text parts as they arrive (thought summaries left out), each
 * `functionCall` part as a complete tool call (with Gemini's `id`, or a generated
 * `gemini_call_<n>` when it gives none; its `thoughtSignature` is kept and sent back with
 * that call later), and one usage chunk at the end (prompt tokens: prompt plus tool-use
 * prompt tokens; completion tokens: candidates plus thinking tokens).
 *
 * Errors: the constructor throws {@link LLMConfigurationError} when there is no API key. A run
 * rejects with {@link LLMConfigurationError} on HTTP 401/403/404 and on Google's answer to a
 * bad key (HTTP 400, reason `API_KEY_INVALID`), and with {@link LLMRequestError} on other
 * failures (429, 5xx, an error chunk in the stream, a blocked prompt, connection errors, the
 * `timeoutMs` limit; after the SDK's retries); an aborted run rejects with an `AbortError`,
 * which the pipeline ignores.
 *
 * @example
 * const llm = new GeminiLLMService({ model: 'gemini-2.5-flash' }); // GEMINI_API_KEY from the env
 * llm.registerFunction('get_weather', async ({ city }, { signal }) => fetchWeather(String(city), signal));
 */
export class GeminiLLMService extends LLMService {
  /** The model id sent with every request. */
  readonly model: string;
  /** The base URL requests go to (without the version path). */
  readonly baseUrl: string;
  private readonly client: () => Promise<GoogleGenAI>;
  private clientPromise: Promise<GoogleGenAI> | undefined;
  private readonly getKey: (() => Promise<string>) | undefined;
  private readonly generation: GenerateContentConfig;
  /** `thoughtSignature` of the tool calls this service received, by call id, oldest first. */
  private readonly signatures = new Map<string, string>();
  private static generatedIds = 0;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'google', model: this.model };
  }

  /** @throws LLMConfigurationError when no API key is given or set in the environment. */
  constructor(options: GeminiLLMServiceOptions = {}) {
    super(options.name ?? 'GeminiLLMService', options);
    const env = options.env ?? process.env;
    const apiKey = options.apiKey || env.GEMINI_API_KEY || undefined;
    if (!apiKey) {
      throw new LLMConfigurationError("No Gemini API key: set GEMINI_API_KEY or the agent's llm.apiKey");
    }
    this.getKey = typeof apiKey === 'function' ? apiKey : undefined;
    this.baseUrl = options.baseUrl || DEFAULT_BASE_URL;
    this.model = options.model ?? DEFAULT_GEMINI_MODEL;
    const thinkingBudget =
      options.thinkingBudget ?? (this.model.startsWith('gemini-2.5-flash') ? 0 : undefined);
    this.generation = {
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(thinkingBudget !== undefined ? { thinkingConfig: { thinkingBudget } } : {}),
    };
    const maxRetries = options.maxRetries ?? 2;
    const clientOptions = {
      vertexai: false, // the Gemini API, whatever GOOGLE_GENAI_USE_VERTEXAI says
      // A key function's key goes in each request's headers, which the SDK keeps over this one.
      apiKey: typeof apiKey === 'string' ? apiKey : 'per-request',
      httpOptions: {
        baseUrl: this.baseUrl,
        apiVersion: API_VERSION,
        timeout: options.timeoutMs ?? 60_000,
        // Short backoff: a caller is waiting on the line.
        retryOptions: { attempts: maxRetries + 1, initialDelay: 0.5, maxDelay: 4 },
        ...(options.fetch ? { fetch: options.fetch } : {}),
      },
    };
    loadSdk().catch(() => undefined); // loads in the background; a failure surfaces at the first request
    this.client = () => {
      this.clientPromise ??= loadSdk().then((m) => new m.GoogleGenAI(clientOptions));
      return this.clientPromise;
    };
  }

  protected override async *streamCompletion(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    const { systemInstruction, contents } = toGeminiConversation(messages, {
      thoughtSignature: (id) => this.signatures.get(id),
    });
    const geminiTools = toGeminiTools(tools);
    // Leaving the loop early (the consumer stops) must close the HTTP stream too.
    const done = new AbortController();
    let usage: GenerateContentResponseUsageMetadata | undefined;
    try {
      const stream = await (await this.client()).models.generateContentStream({
        model: this.model,
        contents,
        config: {
          ...this.generation,
          ...(systemInstruction !== undefined ? { systemInstruction } : {}),
          ...(geminiTools ? { tools: geminiTools } : {}),
          ...(this.getKey ? { httpOptions: { headers: { 'x-goog-api-key': await this.key() } } } : {}),
          abortSignal: AbortSignal.any([signal, done.signal]),
        },
      });
      for await (const chunk of stream) {
        if (chunk.promptFeedback?.blockReason) {
          throw new LLMRequestError(
            `Gemini blocked the prompt (${chunk.promptFeedback.blockReason}${chunk.promptFeedback.blockReasonMessage ? `: ${chunk.promptFeedback.blockReasonMessage}` : ''})`,
          );
        }
        for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
          if (part.text && !part.thought) yield { type: 'text', text: part.text };
          if (part.functionCall && !signal.aborted) {
            yield { type: 'tool_call', call: this.toolCall(part.functionCall, part.thoughtSignature) };
          }
        }
        if (chunk.usageMetadata) usage = chunk.usageMetadata;
      }
      if (usage && !signal.aborted) {
        yield {
          type: 'usage',
          promptTokens: (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0),
          completionTokens: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
        };
      }
    } catch (e) {
      throw this.describe(e, signal);
    } finally {
      done.abort();
    }
  }

  /** A `functionCall` part as a complete call, remembering its thought signature. */
  private toolCall(
    functionCall: { id?: string; name?: string; args?: Record<string, unknown> },
    thoughtSignature: string | undefined,
  ): LLMToolCall {
    const id = functionCall.id || `gemini_call_${++GeminiLLMService.generatedIds}`;
    if (thoughtSignature) {
      this.signatures.set(id, thoughtSignature);
      if (this.signatures.size > SIGNATURES_KEPT) {
        this.signatures.delete(this.signatures.keys().next().value as string);
      }
    }
    return {
      id,
      type: 'function',
      function: { name: functionCall.name ?? '', arguments: JSON.stringify(functionCall.args ?? {}) },
    };
  }

  private async key(): Promise<string> {
    try {
      return await (this.getKey as () => Promise<string>)();
    } catch (error) {
      throw new LLMConfigurationError(
        `No API key for the Gemini LLM: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  /** Map SDK errors to this package's error families; aborts of the run pass through unchanged. */
  private describe(e: unknown, signal: AbortSignal): unknown {
    if (e instanceof LLMConfigurationError || e instanceof LLMRequestError) return e;
    if (isAbortError(e)) {
      if (signal.aborted) return e;
      return new LLMRequestError(`The Gemini API at ${this.baseUrl} did not finish in time`, { cause: e });
    }
    if (loadedSdk && e instanceof loadedSdk.ApiError) {
      const { reason, message } = googleError(e.message);
      if (reason === 'API_KEY_INVALID') {
        return new LLMConfigurationError(
          `The Gemini API at ${this.baseUrl} rejected the API key (HTTP ${e.status} ${reason}): set GEMINI_API_KEY or the agent's llm.credential`,
          { status: e.status, cause: e },
        );
      }
      return llmHttpError(
        {
          provider: 'The Gemini API',
          baseUrl: this.baseUrl,
          model: this.model,
          keyVariable: 'GEMINI_API_KEY',
        },
        e.status,
        message ?? e.message,
        e,
      );
    }
    if (!(e instanceof Error)) return e;
    const refusal = causes(e).find((c) => (c as { code?: unknown }).code === EGRESS_REFUSED_CODE);
    if (refusal) {
      return new LLMConfigurationError(
        `The Gemini API at ${this.baseUrl} may not be reached: ${(refusal as Error).message}`,
        { cause: e },
      );
    }
    return new LLMRequestError(`Gemini request to ${this.baseUrl} failed: ${e.message}`, { cause: e });
  }
}

/**
 * The `reason` and `message` of Google's error JSON
 * (https://cloud.google.com/apis/design/errors#http_mapping:
 * `{"error":{"code","message","status","details":[{"@type":"…ErrorInfo","reason"}]}}`), which
 * the SDK puts in `ApiError.message`, possibly after a `got status: …. ` prefix.
 */
function googleError(text: string): { reason?: string; message?: string } {
  const start = text.indexOf('{');
  if (start === -1) return {};
  try {
    const body = JSON.parse(text.slice(start)) as {
      error?: { message?: unknown; details?: ReadonlyArray<{ reason?: unknown }> };
    };
    const reason = body.error?.details?.find((d) => typeof d.reason === 'string')?.reason;
    const message = body.error?.message;
    return {
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    };
  } catch {
    return {};
  }
}

/** `error` and its `cause`s, outermost first (at most 10, against cycles). */
function causes(error: unknown): object[] {
  const chain: object[] = [];
  for (let e = error; typeof e === 'object' && e !== null && chain.length < 10; e = (e as Error).cause) {
    chain.push(e);
  }
  return chain;
}
