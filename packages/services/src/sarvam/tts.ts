import {
  type HandlerResult,
  type MetricLabels,
  type StartFrame,
  TTSService,
  type TTSServiceOptions,
} from '@parley/pipeline';
import type { SarvamAI, SarvamAIClient } from 'sarvamai';
import { TTSConfigurationError, TTSRequestError } from '../errors.ts';
import { AudioQueue } from './audio-queue.ts';
import { createSarvamClient, loadSarvamSdk, type SarvamConnectionOptions } from './client.ts';
import { sarvamTTSError } from './errors.ts';
import { HandshakeError, waitUntilOpen } from './handshake.ts';
import { SARVAM_TTS_LANGUAGES, type SarvamTTSLanguage, toSarvamLanguage } from './languages.ts';
import { Linear16Decoder } from './linear16-decoder.ts';

type SpeakSocket = Awaited<ReturnType<SarvamAIClient['textToSpeechStreaming']['connect']>>;
/** What `/text-to-speech/ws` sends (https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream). */
type SpeakMessage = SarvamAI.AudioOutput | SarvamAI.EventResponse | SarvamAI.ErrorResponse;

/** Options of {@link SarvamTTSService}. Durations in ms. */
export interface SarvamTTSServiceOptions extends SarvamConnectionOptions, TTSServiceOptions {
  /** Model, `'bulbul:v2'` or `'bulbul:v3'` (https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream). Default `'bulbul:v2'`. */
  readonly model?: string;
  /**
   * Speaker, lower case and matching the model: bulbul:v2 has `anushka`, `manisha`, `vidya`,
   * `arya`, `abhilash`, `karun`, `hitesh`; bulbul:v3 `shubh`, `ritu`, `priya`, … Default `'anushka'`
   * (Sarvam's bulbul:v2 default).
   */
  readonly voice?: string;
  /**
   * The language of the text as a BCP 47 tag (`'hi-IN'`, `'ta'`, `'en'` → `en-IN`, …), mapped to
   * Sarvam's code; one Sarvam does not speak fails the start with a {@link TTSConfigurationError}.
   * Default `'en-IN'`.
   */
  readonly language?: string;
  /** Speed, 0.3–3 (bulbul:v2) or 0.5–2 (bulbul:v3). Default 1. */
  readonly pace?: number;
  /** Pitch, −0.75–0.75 (bulbul:v2 only). Default 0. */
  readonly pitch?: number;
  /** Loudness, 0.3–3 (bulbul:v2 only). Default 1. */
  readonly loudness?: number;
  /** Normalize English words and numbers in mixed-language text (always on for bulbul:v3). Default false. */
  readonly enablePreprocessing?: boolean;
  /** Characters Sarvam buffers before it synthesizes. Default: Sarvam's SDK's (50). */
  readonly minBufferSize?: number;
  /** Longest piece Sarvam synthesizes at once, characters. Default: Sarvam's SDK's (150). */
  readonly maxChunkLength?: number;
  /** Send `{"type":"ping"}` on an idle connection this often, as Sarvam advises for long-lived sockets. Default 20000. */
  readonly keepAliveMs?: number;
  /** Time allowed for one WebSocket handshake, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Processor name in errors and metrics. Default `'SarvamTTSService'`. */
  readonly name?: string;
}

/** Output rates Sarvam synthesizes at, Hz (https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream). */
const SARVAM_RATES = new Set([8000, 16000, 22050, 24000]);
const FALLBACK_RATE_HZ = 24000;
/** `WebSocket.OPEN`, the ready state of a socket that can send. */
const OPEN = 1;

/** One configured WebSocket, reused by the sentences of a call. */
interface Connection {
  readonly socket: SpeakSocket;
  readonly decoder: Linear16Decoder;
  /** The synthesis the socket's audio belongs to, if one is in flight. */
  queue: AudioQueue | undefined;
  /** Closed by either side: not to be used again. */
  closed: boolean;
}

/**
 * Speech for Indian languages with Sarvam's streaming text-to-speech WebSocket
 * (`/text-to-speech/ws`, https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream) over the
 * official `sarvamai` SDK, one socket per call reused by its sentences (opened when the pipeline
 * starts, so the first sentence does not wait for the handshake).
 *
 * Protocol: the URL carries `model` and `send_completion_event=true`; the first message is the
 * `config` (language, speaker, pace/pitch/loudness, `output_audio_codec: "linear16"` and
 * `speech_sample_rate`: the call's rate when Sarvam offers it, 8000 on phone calls, so nothing is
 * resampled; else 24000 and the base resamples). Each sentence is sent as `text` then `flush`;
 * the `audio` messages (base64 16-bit PCM) are yielded as they come, and the `final` event ends
 * the sentence. Sarvam sends no word timestamps, so chunks carry none.
 *
 * Cancellation: the protocol has no cancel message, so an aborted sentence (barge-in, timeout,
 * call end) closes the socket at once: Sarvam stops synthesizing, and its late audio cannot leak
 * into the next sentence, which opens a new socket.
 *
 * Errors (non-fatal, per sentence, see {@link TTSService}): a missing or rejected key (HTTP 403,
 * Sarvam's answer to a bad key, or 401) or refused options (400/404/422, e.g. an unknown
 * speaker) → {@link TTSConfigurationError}; 429, 5xx, unreachable, handshake timeout or an
 * `error` message with another code → {@link TTSRequestError}. A socket that closed while idle is
 * reopened for the next sentence; one that drops before a sentence's first audio is reopened and
 * the sentence sent again, once; after audio, the sentence fails with a `TTSRequestError` rather
 * than repeat words. An unsupported language fails the start (fatal).
 *
 * @example
 * const tts = new SarvamTTSService({ apiKey: key, language: 'hi-IN', voice: 'anushka' });
 */
export class SarvamTTSService extends TTSService {
  private readonly options: SarvamTTSServiceOptions;
  private language: SarvamTTSLanguage = 'en-IN';
  private conn: Connection | undefined;
  private opening: Promise<Connection> | undefined;
  /** Aborted on stop: ends pending handshakes. */
  private session = new AbortController();
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'sarvam', model: this.options.model ?? 'bulbul:v2' };
  }

  constructor(options: SarvamTTSServiceOptions) {
    super(options.name ?? 'SarvamTTSService', options);
    loadSarvamSdk().catch(() => undefined); // loads in the background; a failure surfaces at connect
    this.options = options;
  }

  /** The call's rate when Sarvam synthesizes at it (8000, 16000, 22050, 24000 Hz), else 24000. */
  get sampleRateHz(): number {
    return SARVAM_RATES.has(this.outputSampleRateHz) ? this.outputSampleRateHz : FALLBACK_RATE_HZ;
  }

  protected override async onStart(f: StartFrame): Promise<void> {
    await super.onStart(f);
    const o = this.options;
    const language = toSarvamLanguage(o.language ?? 'en-IN', SARVAM_TTS_LANGUAGES);
    if (!language) {
      throw new TTSConfigurationError(
        `Sarvam does not speak language "${o.language}": set the agent's language to one of ${SARVAM_TTS_LANGUAGES.join(', ')}`,
      );
    }
    this.language = language;
    this.session = new AbortController();
    // Warm up; a failure here is reported by the first sentence's own attempt.
    this.connection().catch(() => {});
    const keepAliveMs = o.keepAliveMs ?? 20_000;
    this.keepAliveTimer = setInterval(() => this.keepAlive(), keepAliveMs);
    this.keepAliveTimer.unref();
  }

  protected override onStop(): HandlerResult {
    this.session.abort();
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    if (this.conn) this.discard(this.conn);
    return super.onStop();
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncGenerator<Int16Array> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.connectionUnlessAborted(signal);
      if (!conn) return;
      const queue = new AudioQueue();
      conn.queue = queue;
      conn.decoder.reset();
      conn.socket.convert(text);
      conn.socket.flush();
      const cancel = () => this.discard(conn);
      signal.addEventListener('abort', cancel, { once: true });
      let yielded = false;
      let completed = false;
      try {
        for await (const pcm of queue.read(signal)) {
          yielded = true;
          yield pcm;
        }
        completed = !signal.aborted;
        return;
      } catch (e) {
        // A socket that dropped before any audio: send the sentence again on a new one, once.
        if (!(e instanceof DroppedError) || yielded || attempt > 1) throw unwrapDrop(e);
      } finally {
        signal.removeEventListener('abort', cancel);
        conn.queue = undefined;
        // Stopped early (consumer gone, abort, failure): cancel at Sarvam by closing the socket.
        if (!completed) this.discard(conn);
      }
    }
  }

  /** The socket for the next sentence, or `undefined` when `signal` aborted while opening it. */
  private async connectionUnlessAborted(signal: AbortSignal): Promise<Connection | undefined> {
    if (signal.aborted) return undefined;
    let onAbort = () => {};
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.connection(), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The open, configured socket; opens one when there is none (one opening at a time). Callers
   * send in the tick they get it, so it is still open then (the SDK throws on a closed one).
   */
  private connection(): Promise<Connection> {
    const conn = this.conn;
    if (conn && !conn.closed && conn.socket.readyState === OPEN) return Promise.resolve(conn);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<Connection> {
    const o = this.options;
    const client = await createSarvamClient(
      o,
      (detail, cause) =>
        new TTSConfigurationError(`${detail}: set SARVAM_API_KEY or the agent's tts.credential`, { cause }),
    );
    const socket = await client.textToSpeechStreaming.connect({
      // The SDK's union lags the API; Sarvam answers an unknown model with an error.
      model: (o.model ?? 'bulbul:v2') as SarvamAI.TextToSpeechStreamingModel,
      send_completion_event: 'true',
      // A dropped socket is reopened per sentence by this service, not replayed by the SDK.
      reconnectAttempts: 0,
    });
    const conn: Connection = { socket, decoder: new Linear16Decoder(), queue: undefined, closed: false };
    socket.on('message', (m) => this.onMessage(conn, m));
    socket.on('close', () => this.onClose(conn));
    socket.on('error', () => {}); // the handshake's rejection or the `close` that follows reports it
    try {
      await waitUntilOpen(socket, this.session.signal, o.connectTimeoutMs ?? 10_000);
    } catch (e) {
      conn.closed = true;
      if (e instanceof HandshakeError) throw sarvamTTSError(e.status, e.message, e);
      throw e;
    }
    socket.configureConnection({
      language_code: this.language,
      // The SDK's union is a snapshot of Sarvam's voices; Sarvam answers an unknown one with an error.
      speaker: (o.voice ?? 'anushka') as SarvamAI.ConfigureConnection.Data.Speaker,
      ...(o.pace !== undefined ? { pace: o.pace } : {}),
      ...(o.pitch !== undefined ? { pitch: o.pitch } : {}),
      ...(o.loudness !== undefined ? { loudness: o.loudness } : {}),
      ...(o.minBufferSize !== undefined ? { min_buffer_size: o.minBufferSize } : {}),
      ...(o.maxChunkLength !== undefined ? { max_chunk_length: o.maxChunkLength } : {}),
      enable_preprocessing: o.enablePreprocessing ?? false,
      speech_sample_rate: this.sampleRateHz,
      output_audio_codec: 'linear16',
    });
    if (this.session.signal.aborted) {
      this.discard(conn);
      throw this.session.signal.reason;
    }
    this.conn = conn;
    return conn;
  }

  private onMessage(conn: Connection, m: SpeakMessage): void {
    if (conn.closed || typeof m !== 'object' || m === null) return;
    if (m.type === 'audio') {
      if (conn.queue && typeof m.data?.audio === 'string') conn.queue.push(conn.decoder.decode(m.data.audio));
    } else if (m.type === 'event') {
      if (m.data?.event_type === 'final') conn.queue?.end();
    } else if (m.type === 'error') {
      const code = Number(m.data?.code) || undefined;
      const error = sarvamTTSError(code, `Sarvam reported: ${m.data?.message ?? 'unknown error'}`, m.data);
      conn.queue?.fail(error);
      this.discard(conn); // its configuration may be what Sarvam refused
    }
  }

  /** Sarvam (or the network) closed the socket; our own closes set `closed` first. */
  private onClose(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    if (this.conn === conn) this.conn = undefined;
    conn.queue?.fail(new DroppedError());
  }

  /** Stop using `conn` and close it (what cancels a synthesis at Sarvam). */
  private discard(conn: Connection): void {
    if (this.conn === conn) this.conn = undefined;
    if (conn.closed) return;
    conn.closed = true;
    conn.socket.close();
  }

  private keepAlive(): void {
    const conn = this.conn;
    if (conn && !conn.closed && !conn.queue && conn.socket.readyState === OPEN) conn.socket.ping();
  }
}

/** The socket closed under a synthesis (internal: retried, or reported as {@link TTSRequestError}). */
class DroppedError extends Error {
  override readonly name = 'DroppedError';
}

function unwrapDrop(e: unknown): unknown {
  return e instanceof DroppedError ? new TTSRequestError('the Sarvam connection dropped mid-sentence') : e;
}
