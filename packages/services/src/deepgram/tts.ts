import type { DeepgramClient, DeepgramError } from '@deepgram/sdk';
import { type MetricLabels, mulawToPcm, TTSService, type TTSServiceOptions } from '@parley/pipeline';
import { TTSConfigurationError, type TTSError, TTSRequestError } from '../errors.ts';
import { readPcm16 } from '../openai/pcm16-stream.ts';
import { loadDeepgramSdk, loadedDeepgramSdk } from './sdk.ts';

/** Rates Aura gives `linear16` at (https://developers.deepgram.com/docs/tts-media-output-settings). */
const LINEAR16_RATES_HZ = [8000, 16000, 24000, 32000, 48000];
/** Rates Aura gives `mulaw` at. */
const MULAW_RATES_HZ = [8000, 16000];
/** Asked for when the call's rate is not offered; the base resamples. */
const FALLBACK_RATE_HZ = 24_000;

/** Options of {@link DeepgramTTSService}. */
export interface DeepgramTTSServiceOptions extends TTSServiceOptions {
  /**
   * Deepgram API key, or a function that gives it (called before each request). Required: the
   * service reads no environment variable (the server passes `DEEPGRAM_API_KEY` or the agent's credential).
   */
  readonly apiKey?: string | (() => Promise<string>);
  /** Base URL of the API, e.g. `http://127.0.0.1:41234` for a loopback fake. Default `https://api.deepgram.com`. */
  readonly baseUrl?: string;
  /**
   * Aura voice model, which also fixes the language (`aura-2-thalia-en`, `aura-2-celeste-es`, …:
   * https://developers.deepgram.com/docs/tts-models). Default `'aura-2-thalia-en'`.
   */
  readonly model?: string;
  /**
   * Wire encoding: `'linear16'` (16-bit PCM), or `'mulaw'` (G.711, half the bytes; used at 8 and
   * 16 kHz calls only, decoded here). Default `'linear16'`.
   */
  readonly encoding?: 'linear16' | 'mulaw';
  /** Speaking rate multiplier (Deepgram's `speed`). Default: Deepgram's (1.0). */
  readonly speed?: number;
  /** Retries of a failed request (429, 5xx, connection errors) by the SDK. Default 2. */
  readonly maxRetries?: number;
  /** Time limit of one request until its audio starts, ms. Default 30000. */
  readonly timeoutMs?: number;
  /** The `fetch` requests go through (WHATWG signature), e.g. an egress-checked one. Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Processor name in errors and metrics. Default `'DeepgramTTSService'`. */
  readonly name?: string;
}

/**
 * Text to speech with Deepgram Aura over the official `@deepgram/sdk`, one streamed REST
 * `POST /v1/speak` per sentence (https://developers.deepgram.com/reference/text-to-speech-api/speak)
 * with `container=none`, so the body is raw audio read chunk by chunk as it arrives.
 *
 * Format: the call's own rate when Aura offers it (`sample_rate=8000` on phone calls, so
 * nothing is resampled), else 24000 Hz, which the {@link TTSService} base resamples;
 * `encoding=linear16`, or `mulaw` when asked for at 8/16 kHz.
 *
 * Why REST and not the `/v1/speak` WebSocket: the pipeline synthesizes sentence by sentence and
 * each sentence's end must be known, which on the WebSocket takes a `Flush` per sentence, and
 * Deepgram allows 20 `Flush` messages per 60 s (https://developers.deepgram.com/docs/tts-ws-flush),
 * fewer than a talkative agent speaks. REST has no such limit, goes through the server's
 * `fetch`, and cancels by closing the request.
 *
 * Cancellation: when the synthesis' signal aborts (barge-in, timeout, call end) the HTTP request
 * is aborted, so Deepgram stops sending. No word timings (the endpoint gives none).
 *
 * Errors: the constructor throws a {@link TTSConfigurationError} when no API key is given. A
 * synthesis fails with a {@link TTSConfigurationError} on HTTP 401/403 (the key: set
 * `DEEPGRAM_API_KEY` or the agent's credential) and 400/404/422 (model or options), and with a
 * {@link TTSRequestError} on 429, 5xx, timeouts and connection errors (after the SDK's retries).
 *
 * @example
 * const tts = new DeepgramTTSService({ apiKey, model: 'aura-2-andromeda-en' });
 */
export class DeepgramTTSService extends TTSService {
  /** The Aura model sent with every request. */
  readonly model: string;
  private readonly client: () => Promise<DeepgramClient>;
  private clientPromise: Promise<DeepgramClient> | undefined;
  private readonly options: DeepgramTTSServiceOptions;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'deepgram', model: this.model };
  }

  /** @throws TTSConfigurationError when no API key is given. */
  constructor(options: DeepgramTTSServiceOptions = {}) {
    super(options.name ?? 'DeepgramTTSService', options);
    if (!options.apiKey) {
      throw new TTSConfigurationError(
        "No Deepgram API key for text to speech: set DEEPGRAM_API_KEY or the agent's tts.credential",
      );
    }
    const apiKey = options.apiKey;
    this.options = options;
    this.model = options.model ?? 'aura-2-thalia-en';
    const clientOptions = {
      apiKey: typeof apiKey === 'string' ? apiKey : keyGetter(apiKey),
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      maxRetries: options.maxRetries ?? 2,
      timeoutInSeconds: (options.timeoutMs ?? 30_000) / 1000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    loadDeepgramSdk().catch(() => undefined); // loads in the background; a failure surfaces at the first request
    this.client = () => {
      this.clientPromise ??= loadDeepgramSdk().then((sdk) => new sdk.DeepgramClient(clientOptions));
      return this.clientPromise;
    };
  }

  /** The call's rate when Aura offers it for the encoding, else 24000 Hz. */
  get sampleRateHz(): number {
    const rate = this.outputSampleRateHz;
    return LINEAR16_RATES_HZ.includes(rate) ? rate : FALLBACK_RATE_HZ;
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    const sampleRateHz = this.sampleRateHz;
    const mulaw = this.options.encoding === 'mulaw' && MULAW_RATES_HZ.includes(sampleRateHz);
    try {
      const response = await (await this.client()).speak.v1.audio.generate(
        {
          text,
          model: this.model,
          encoding: mulaw ? 'mulaw' : 'linear16',
          sample_rate: sampleRateHz,
          container: 'none',
          ...(this.options.speed !== undefined ? { speed: this.options.speed } : {}),
        },
        { abortSignal: signal },
      );
      const body = response.stream();
      if (!body) throw new TTSRequestError('Deepgram answered the speak request without audio');
      if (mulaw) {
        for await (const bytes of body) yield mulawToPcm(bytes);
      } else {
        yield* readPcm16(body);
      }
    } catch (e) {
      if (signal.aborted) return; // cancelled: the request is already aborted
      throw this.describe(e);
    }
  }

  /** Map SDK errors to the TTS error family. */
  private describe(e: unknown): TTSError {
    if (e instanceof TTSRequestError || e instanceof TTSConfigurationError) return e;
    const sdk = loadedDeepgramSdk();
    const isSdkError = (x: unknown): x is DeepgramError => !!sdk && x instanceof sdk.DeepgramError;
    if (isSdkError(e) && e.cause instanceof TTSConfigurationError) return e.cause;
    if (sdk && e instanceof sdk.DeepgramTimeoutError) {
      return new TTSRequestError(`Deepgram text to speech timed out: ${e.message}`, { cause: e });
    }
    const status = isSdkError(e) ? e.statusCode : undefined;
    const detail = isSdkError(e) ? errorDetail(e) : String((e as Error)?.message ?? e);
    const options = { cause: e, ...(status ? { status } : {}) };
    if (status === 401 || status === 403) {
      return new TTSConfigurationError(
        `Deepgram rejected the API key for text to speech (HTTP ${status}): set DEEPGRAM_API_KEY or the agent's tts.credential`,
        options,
      );
    }
    if (status === 400 || status === 404 || status === 422) {
      return new TTSConfigurationError(
        `Deepgram refused the speak request (HTTP ${status}): check the agent's tts.model ("${this.model}") and tts options: ${detail}`,
        options,
      );
    }
    return new TTSRequestError(
      `Deepgram text to speech failed${status ? ` (HTTP ${status})` : ''}: ${detail}`,
      options,
    );
  }
}

/** Deepgram's own explanation from an error body (`err_msg` or `message`), else the error's message. */
function errorDetail(e: DeepgramError): string {
  const body = e.body as { err_msg?: unknown; message?: unknown } | undefined;
  const text = body?.err_msg ?? body?.message;
  return typeof text === 'string' ? text : e.message;
}

/** `apiKey` supplier for the SDK, its failures as {@link TTSConfigurationError}. */
function keyGetter(getKey: () => Promise<string>): () => Promise<string> {
  return async () => {
    try {
      return await getKey();
    } catch (error) {
      throw new TTSConfigurationError(
        `No API key for Deepgram text to speech: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
}
