import type { ElevenLabs, ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import { type MetricLabels, type TTSAudioChunk, TTSService, type TTSServiceOptions } from '@parley/pipeline';
import { TTSConfigurationError } from '../errors.ts';
import { elevenLabsLanguage, ttsPcmRateFor } from './audio-formats.ts';
import { ELEVENLABS_BASE_URL, type ElevenLabsApiKey, keySupplier } from './client-config.ts';
import { PcmAssembler } from './pcm-assembler.ts';
import { loadElevenLabsSdk } from './sdk.ts';
import { ttsError } from './tts-errors.ts';
import { WordAligner } from './word-alignment.ts';

/**
 * Default TTS model: Flash v2.5, ElevenLabs' lowest-latency model (about 75 ms), 32 languages
 * and `language_code` support (https://elevenlabs.io/docs/models#flash-v25).
 */
export const DEFAULT_ELEVENLABS_TTS_MODEL = 'eleven_flash_v2_5';

/**
 * Default voice: "George" (`JBFqnCBsd6RMkjVDRZzb`), a premade voice every account has, the one
 * the SDK's own streaming example uses (https://elevenlabs.io/docs/voices/premade-voices).
 */
export const DEFAULT_ELEVENLABS_VOICE_ID = 'JBFqnCBsd6RMkjVDRZzb';

/**
 * Models that take `language_code` (the SDK: "not supported for multilingual_v2 models";
 * https://elevenlabs.io/docs/api-reference/text-to-speech/stream-with-timestamps). Other models
 * get no language code and detect the language from the text.
 */
const LANGUAGE_CODE_MODELS: ReadonlySet<string> = new Set(['eleven_flash_v2_5', 'eleven_turbo_v2_5']);

/**
 * Voice settings that override the voice's stored ones for each request
 * (https://elevenlabs.io/docs/api-reference/voices/settings/get). Each is optional; unset ones
 * keep the voice's own.
 */
export interface ElevenLabsVoiceSettings {
  /** 0–1: higher is steadier and more monotonous, lower more expressive. */
  readonly stability?: number;
  /** 0–1: how closely to follow the original voice. */
  readonly similarityBoost?: number;
  /** 0–1: style exaggeration (adds latency above 0). */
  readonly style?: number;
  /** Boost similarity to the original speaker (adds a little latency). */
  readonly useSpeakerBoost?: boolean;
  /** Speaking rate, 1 = normal (about 0.7–1.2). */
  readonly speed?: number;
}

/** Options of {@link ElevenLabsTTSService}. */
export interface ElevenLabsTTSServiceOptions extends TTSServiceOptions {
  /**
   * ElevenLabs API key (sent as `xi-api-key`), or a function that gives it before each request
   * (its rejection becomes a {@link TTSConfigurationError}). The server passes
   * `ELEVENLABS_API_KEY` or the agent's credential; the service never reads the environment.
   */
  readonly apiKey: ElevenLabsApiKey;
  /** API base URL, e.g. a loopback fake's `http://127.0.0.1:PORT`. Default {@link ELEVENLABS_BASE_URL}. */
  readonly baseUrl?: string;
  /** The `fetch` requests go through (e.g. an egress-checked one). Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Voice id (https://elevenlabs.io/docs/api-reference/voices/search). Default {@link DEFAULT_ELEVENLABS_VOICE_ID}. */
  readonly voiceId?: string;
  /** Model id (https://elevenlabs.io/docs/models). Default {@link DEFAULT_ELEVENLABS_TTS_MODEL}. */
  readonly model?: string;
  /**
   * The agent's language, BCP 47 (`en-US`, `hi-IN`); sent as the ISO 639-1 `language_code`
   * for models that take one (Flash and Turbo v2.5). Default: none (the model detects it).
   */
  readonly language?: string;
  /** Per-request voice settings. Default: the voice's stored settings. */
  readonly voiceSettings?: ElevenLabsVoiceSettings;
  /** `optimize_streaming_latency`, 0 (none) – 4 (most, text normalizer off). Default: ElevenLabs' (none). */
  readonly optimizeStreamingLatency?: 0 | 1 | 2 | 3 | 4;
  /** `apply_text_normalization` (spelling out numbers and dates). Default: ElevenLabs' (`auto`). */
  readonly applyTextNormalization?: 'auto' | 'on' | 'off';
  /**
   * Retries by the SDK of a request answered 408, 429 or 5xx (after about 1 s, or the
   * `Retry-After` the server asks for). Default 1: a second try still fits the sentence's
   * response timeout.
   */
  readonly maxRetries?: number;
  /** Longest wait for the response to start, ms (the SDK's request timeout). Default 10000. */
  readonly requestTimeoutMs?: number;
  /** Processor name in errors and metrics. Default `'ElevenLabsTTSService'`. */
  readonly name?: string;
}

/**
 * Speech synthesis with ElevenLabs over the official `@elevenlabs/elevenlabs-js` SDK: one
 * `POST /v1/text-to-speech/{voice_id}/stream/with-timestamps` per sentence
 * (https://elevenlabs.io/docs/api-reference/text-to-speech/stream-with-timestamps), whose
 * newline-delimited JSON chunks carry base64 audio and character alignment.
 *
 * Audio: `output_format` `pcm_<rate>` (16-bit mono PCM) at the call's output rate when
 * ElevenLabs offers it (8000 on phone calls, 16000, 22050, 24000, 32000, 44100, 48000), so
 * nothing is resampled; another rate gets the next offered rate up, resampled by the base.
 * (`ulaw_8000` would only have to be decoded again: the pipeline carries PCM.)
 * Word timings: each chunk's `alignment` (seconds from the request's first sample) becomes
 * words split at whitespace, in ms, yielded with that chunk's audio so the output transport
 * can keep exactly the words the caller heard on a barge-in.
 * Cancellation: an aborted signal (barge-in, timeout, call end) aborts the HTTP request, which
 * closes the stream at ElevenLabs and stops the generation (and its billing).
 *
 * Errors (thrown by the synthesis, reported upstream by the base as `service: 'tts'`):
 * {@link TTSConfigurationError} for a rejected key (401/403) or options ElevenLabs refuses
 * (400/404/422, naming the voice, model or language); `TTSRequestError` for 429, 5xx (after
 * `maxRetries`), timeouts, connection failures and malformed streams.
 *
 * @example
 * const tts = new ElevenLabsTTSService({ apiKey: key, voiceId: 'JBFqnCBsd6RMkjVDRZzb', language: 'en-US' });
 */
export class ElevenLabsTTSService extends TTSService {
  /** Voice id of every request. */
  readonly voiceId: string;
  /** Model id of every request. */
  readonly model: string;
  /** The API base URL requests go to. */
  readonly baseUrl: string;
  private readonly client: () => Promise<ElevenLabsClient>;
  private clientPromise: Promise<ElevenLabsClient> | undefined;
  private readonly options: ElevenLabsTTSServiceOptions;
  private readonly languageCode: string | undefined;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'elevenlabs', model: this.model };
  }

  /** @throws TTSConfigurationError when `apiKey` is an empty string. */
  constructor(options: ElevenLabsTTSServiceOptions) {
    super(options.name ?? 'ElevenLabsTTSService', options);
    if (options.apiKey === '') {
      throw new TTSConfigurationError(
        "No ElevenLabs API key: set ELEVENLABS_API_KEY or the agent's tts.credential",
      );
    }
    this.options = options;
    this.voiceId = options.voiceId ?? DEFAULT_ELEVENLABS_VOICE_ID;
    this.model = options.model ?? DEFAULT_ELEVENLABS_TTS_MODEL;
    this.baseUrl = options.baseUrl ?? ELEVENLABS_BASE_URL;
    this.languageCode =
      options.language && LANGUAGE_CODE_MODELS.has(this.model)
        ? elevenLabsLanguage(options.language)
        : undefined;
    const clientOptions = {
      apiKey: keySupplier(
        options.apiKey,
        (reason, cause) => new TTSConfigurationError(`No ElevenLabs API key: ${reason}`, { cause }),
      ),
      baseUrl: this.baseUrl,
      maxRetries: options.maxRetries ?? 1,
      timeoutInSeconds: (options.requestTimeoutMs ?? 10_000) / 1000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    // The SDK loads in the background from now (see `sdk.ts`); a failure surfaces at first use.
    loadElevenLabsSdk().catch(() => undefined);
    this.client = () =>
      (this.clientPromise ??= loadElevenLabsSdk().then((sdk) => new sdk.ElevenLabsClient(clientOptions)));
  }

  /** The PCM rate asked of ElevenLabs, Hz: the call's output rate when offered (see the class doc). */
  get sampleRateHz(): number {
    return ttsPcmRateFor(this.outputSampleRateHz);
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<TTSAudioChunk> {
    const o = this.options;
    const aligner = new WordAligner();
    const pcm = new PcmAssembler();
    try {
      const stream = await (await this.client()).textToSpeech.streamWithTimestamps(
        this.voiceId,
        {
          text,
          modelId: this.model,
          outputFormat:
            `pcm_${this.sampleRateHz}` as ElevenLabs.TextToSpeechStreamWithTimestampsRequestOutputFormat,
          ...(this.languageCode ? { languageCode: this.languageCode } : {}),
          ...(o.voiceSettings ? { voiceSettings: { ...o.voiceSettings } } : {}),
          ...(o.optimizeStreamingLatency !== undefined
            ? { optimizeStreamingLatency: o.optimizeStreamingLatency }
            : {}),
          ...(o.applyTextNormalization ? { applyTextNormalization: o.applyTextNormalization } : {}),
        },
        { abortSignal: signal },
      );
      for await (const chunk of stream) {
        const audio = pcm.push(Buffer.from(chunk.audioBase64, 'base64'));
        // `alignment` follows the text as sent; `normalized_alignment` the text as spoken.
        const alignment = chunk.alignment ?? chunk.normalizedAlignment;
        const words = alignment ? aligner.add(alignment) : [];
        if (audio.length > 0 || words.length > 0) yield words.length > 0 ? { audio, words } : { audio };
      }
    } catch (e) {
      if (signal.aborted) return; // the caller stopped listening; nothing to report
      throw ttsError(e, { baseUrl: this.baseUrl, voiceId: this.voiceId, model: this.model });
    }
    const rest = aligner.flush();
    if (rest.length > 0) yield { audio: new Int16Array(0), words: rest };
  }
}
