import { isAbortError, type MetricLabels, TTSService, type TTSServiceOptions } from '@parley/pipeline';
import type OpenAI from 'openai';
import { TTSConfigurationError, type TTSError, TTSRequestError } from '../errors.ts';
import { readPcm16 } from './pcm16-stream.ts';
import { loadedOpenAI, loadOpenAISdk } from './sdk.ts';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** `response_format: 'pcm'` is raw 24 kHz 16-bit little-endian mono (https://platform.openai.com/docs/guides/text-to-speech#supported-output-formats). */
const PCM_RATE_HZ = 24_000;

/** Options of {@link OpenAITTSService}. */
export interface OpenAITTSServiceOptions extends TTSServiceOptions {
  /**
   * API key, or a function that gives it (called before each request; its rejection becomes a
   * {@link TTSConfigurationError}). Required: the service reads no environment variable (the
   * server passes `OPENAI_API_KEY` or the agent's credential).
   */
  readonly apiKey?: string | (() => Promise<string>);
  /** Base URL including the version path, e.g. `http://127.0.0.1:41234/v1`. Default `https://api.openai.com/v1`. */
  readonly baseUrl?: string;
  /** Model (https://platform.openai.com/docs/models): `gpt-4o-mini-tts`, `tts-1`, `tts-1-hd`. Default `'gpt-4o-mini-tts'`. */
  readonly model?: string;
  /** Built-in voice (`alloy`, `ash`, `coral`, `marin`, …) or a custom voice id `voice_…`. Default `'alloy'`. */
  readonly voice?: string;
  /**
   * How to speak (tone, accent, pace), e.g. `'Speak warmly and briefly.'`. Not supported by
   * `tts-1` / `tts-1-hd`. Default: none. The language follows the text; there is no language option.
   */
  readonly instructions?: string;
  /** Speed, 0.25–4.0. Default: the API's (1.0). */
  readonly speed?: number;
  /** Retries of a failed request (429, 5xx, connection errors) by the SDK. Default 2. */
  readonly maxRetries?: number;
  /** Time limit of one request until its audio starts, ms. Default 30000. */
  readonly timeoutMs?: number;
  /** The `fetch` requests go through (WHATWG signature), e.g. an egress-checked one. Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Processor name in errors and metrics. Default `'OpenAITTSService'`. */
  readonly name?: string;
}

/**
 * Text to speech with OpenAI's speech endpoint over the official `openai` SDK
 * (https://platform.openai.com/docs/api-reference/audio/createSpeech), one streamed
 * `POST /audio/speech` per sentence with `response_format: 'pcm'`.
 *
 * Output: 16-bit mono PCM at 24000 Hz ({@link sampleRateHz}), read chunk by chunk as the body
 * arrives (a sample split across network chunks is joined); the {@link TTSService} base
 * resamples it to the call's rate (OpenAI offers no 8 kHz or µ-law output). No word timings
 * (the endpoint gives none).
 *
 * Cancellation: when the synthesis' signal aborts (barge-in, timeout, call end) the HTTP
 * request is aborted, so OpenAI stops generating.
 *
 * Errors: the constructor throws a {@link TTSConfigurationError} when no API key is given. A
 * synthesis fails with a {@link TTSConfigurationError} on HTTP 401/403 (the key: set
 * `OPENAI_API_KEY` or the agent's credential) and 400/404/422 (model, voice or options), and with
 * a {@link TTSRequestError} on 429, 5xx, timeouts and connection errors (after the SDK's retries).
 *
 * @example
 * const tts = new OpenAITTSService({ apiKey, voice: 'coral', instructions: 'Friendly and calm.' });
 */
export class OpenAITTSService extends TTSService {
  /** The model id sent with every request. */
  readonly model: string;
  /** The voice sent with every request. */
  readonly voice: string;
  /** The SDK's client, made once the SDK is loaded (see `sdk.ts`). */
  private readonly client: () => Promise<OpenAI>;
  private readonly baseUrl: string;
  private readonly instructions: string | undefined;
  private readonly speed: number | undefined;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'openai', model: this.model };
  }

  /** @throws TTSConfigurationError when no API key is given. */
  constructor(options: OpenAITTSServiceOptions = {}) {
    super(options.name ?? 'OpenAITTSService', options);
    if (!options.apiKey) {
      throw new TTSConfigurationError(
        "No OpenAI API key for text to speech: set OPENAI_API_KEY or the agent's tts.credential",
      );
    }
    const apiKey = options.apiKey;
    this.baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
    this.model = options.model ?? 'gpt-4o-mini-tts';
    this.voice = options.voice ?? 'alloy';
    this.instructions = options.instructions;
    this.speed = options.speed;
    const clientOptions = {
      apiKey: typeof apiKey === 'string' ? apiKey : keyGetter(apiKey),
      baseURL: this.baseUrl,
      maxRetries: options.maxRetries ?? 2,
      timeout: options.timeoutMs ?? 30_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    let client: Promise<OpenAI> | undefined;
    loadOpenAISdk().catch(() => undefined); // loads in the background; a failure surfaces at the first sentence
    this.client = () => {
      client ??= loadOpenAISdk().then(({ default: Sdk }) => new Sdk(clientOptions));
      return client;
    };
  }

  /** 24000 Hz: what `response_format: 'pcm'` gives. */
  get sampleRateHz(): number {
    return PCM_RATE_HZ;
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    try {
      const response = await (await this.client()).audio.speech.create(
        {
          model: this.model,
          voice: this.voice,
          input: text,
          response_format: 'pcm',
          ...(this.instructions ? { instructions: this.instructions } : {}),
          ...(this.speed !== undefined ? { speed: this.speed } : {}),
        },
        { signal },
      );
      if (!response.body) throw new TTSRequestError('OpenAI answered the speech request without audio');
      yield* readPcm16(response.body);
    } catch (e) {
      if (signal.aborted) return; // cancelled: the request is already aborted
      throw this.describe(e);
    }
  }

  /** Map SDK errors to the TTS error family. */
  private describe(e: unknown): unknown {
    const OpenAI = loadedOpenAI();
    if (OpenAI && e instanceof OpenAI.OpenAIError && e.cause instanceof TTSConfigurationError) return e.cause;
    if (e instanceof TTSRequestError || isAbortError(e)) return e;
    if (!OpenAI || !(e instanceof OpenAI.APIError)) {
      return new TTSRequestError(`OpenAI speech stream failed: ${String((e as Error)?.message ?? e)}`, {
        cause: e,
      });
    }
    if (e instanceof OpenAI.APIConnectionError) {
      return new TTSRequestError(`Could not reach OpenAI text to speech at ${this.baseUrl}: ${e.message}`, {
        cause: e,
      });
    }
    return speechHttpError(e.status, e.message, { model: this.model, voice: this.voice }, e);
  }
}

/** The error for a speech request OpenAI answered with HTTP `status`. */
function speechHttpError(
  status: number | undefined,
  detail: string,
  request: { readonly model: string; readonly voice: string },
  cause: unknown,
): TTSError {
  const options = { cause, ...(status ? { status } : {}) };
  if (status === 401 || status === 403) {
    return new TTSConfigurationError(
      `OpenAI rejected the API key for text to speech (HTTP ${status}): set OPENAI_API_KEY or the agent's tts.credential`,
      options,
    );
  }
  if (status === 400 || status === 404 || status === 422) {
    return new TTSConfigurationError(
      `OpenAI refused the speech request (HTTP ${status}): check the agent's tts.model ("${request.model}"), tts.voice ("${request.voice}") and tts options: ${detail}`,
      options,
    );
  }
  return new TTSRequestError(
    `OpenAI text to speech failed${status ? ` (HTTP ${status})` : ''}: ${detail}`,
    options,
  );
}

/** `getKey` for the SDK, its failures as {@link TTSConfigurationError}. */
function keyGetter(getKey: () => Promise<string>): () => Promise<string> {
  return async () => {
    try {
      return await getKey();
    } catch (error) {
      throw new TTSConfigurationError(
        `No API key for OpenAI text to speech: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
}
