import {
  createResampler,
  type MetricLabels,
  pcmToBytes,
  STTService,
  type StreamingResampler,
} from '@parley/pipeline';
import type { SarvamAI, SarvamAIClient } from 'sarvamai';
import { STTConfigurationError, STTConnectionError } from '../errors.ts';
import { AudioBacklog } from '../streaming/audio-backlog.ts';
import { audioDroppedError, type ReconnectPolicy, reconnectInBackground } from '../streaming/reconnect.ts';
import { createSarvamClient, loadSarvamSdk, type SarvamConnectionOptions } from './client.ts';
import { sarvamSTTError } from './errors.ts';
import { HandshakeError, waitUntilOpen } from './handshake.ts';
import { SARVAM_STT_LANGUAGES, toSarvamLanguage } from './languages.ts';

type ListenSocket = Awaited<ReturnType<SarvamAIClient['speechToTextStreaming']['connect']>>;
type ListenArgs = Parameters<SarvamAIClient['speechToTextStreaming']['connect']>[0];

/** Output modes of the `saaras` models (https://docs.sarvam.ai/api-reference-docs/speech-to-text/transcribe/ws). */
export type SarvamSTTMode = 'transcribe' | 'translate' | 'verbatim' | 'translit' | 'codemix';

/** Options of {@link SarvamSTTService}. Durations in ms. */
export interface SarvamSTTServiceOptions extends SarvamConnectionOptions, ReconnectPolicy {
  /**
   * Model: `'saaras:v3'`, `'saaras:v4'`, or the legacy `'saarika:v2.5'`
   * (https://docs.sarvam.ai/api-reference-docs/speech-to-text/transcribe/ws). Default `'saaras:v3'`.
   */
  readonly model?: string;
  /**
   * The caller's language as a BCP 47 tag (`'hi-IN'`, `'ta'`, `'en-US'` → `en-IN`, …), mapped to
   * Sarvam's code; a language Sarvam does not transcribe fails the start with an
   * {@link STTConfigurationError}. Default: detected by Sarvam (`unknown`), reported on each transcript.
   */
  readonly language?: string;
  /** Output mode of the `saaras` models. Default: Sarvam's (`transcribe`). */
  readonly mode?: SarvamSTTMode;
  /**
   * Sarvam's high VAD sensitivity, which ends an utterance after about 0.5 s of silence instead
   * of about 1 s (https://docs.sarvam.ai/api-reference-docs/api-guides-tutorials/speech-to-text/streaming-api).
   * Default true.
   */
  readonly highVadSensitivity?: boolean;
  /** Words or context that help recognition (sent as a `config` message with `prompt`). Default none. */
  readonly prompt?: string;
  /** Caller audio kept while reconnecting, ms; the oldest is dropped beyond it. Default 5000. */
  readonly reconnectBufferMs?: number;
  /** Time allowed for one WebSocket handshake, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Processor name in errors and metrics. Default `'SarvamSTTService'`. */
  readonly name?: string;
}

/** Rates the stream takes as raw PCM, Hz; 8 kHz only as a connection parameter (see the class doc). */
const WIRE_RATES = new Set([8000, 16000]);
const DEFAULT_WIRE_RATE_HZ = 16000;
/** `WebSocket.OPEN`, the ready state of a socket that can send. */
const OPEN = 1;

/**
 * Streaming speech recognition for Indian languages with Sarvam's WebSocket API
 * (`/speech-to-text/ws`, https://docs.sarvam.ai/api-reference-docs/speech-to-text/transcribe/ws)
 * over the official `sarvamai` SDK, one WebSocket per call.
 *
 * Input: `input_audio` frames of 16-bit mono PCM, sent as base64 `pcm_s16le` in
 * `{"audio":{"data","sample_rate","encoding"}}` messages. Sarvam takes raw PCM at 8 kHz or
 * 16 kHz, declared both on the connection and in each message
 * (https://docs.sarvam.ai/api-reference-docs/api-guides-tutorials/speech-to-text/streaming-api):
 * 8 kHz phone audio goes as is; other rates are resampled to 16 kHz.
 *
 * Output: Sarvam sends one final transcript per utterance and no interim results, so only
 * `transcription` frames come out, carrying the language Sarvam reports. The connection asks for
 * VAD signals (`vad_signals=true`): a transcript that follows Sarvam's `END_SPEECH` is flagged
 * `endOfUtterance`. When the caller stops speaking (the pipeline's VAD) the service sends
 * `{"type":"flush"}` (`flush_signal=true`) so the transcript comes without waiting for Sarvam's
 * own silence detection.
 *
 * Errors: at start, `connect` throws (fatal for the call) an {@link STTConfigurationError} for
 * a missing or rejected key (HTTP 401/403: set `SARVAM_API_KEY` or the agent's credential), a
 * language Sarvam does not support or refused options (HTTP 400/404/422), and an
 * {@link STTConnectionError} when Sarvam cannot be reached, refuses with 429/5xx or does not
 * answer within `connectTimeoutMs`. An `error` message from Sarvam is reported as a non-fatal
 * error. A socket that drops mid-call is reported as a non-fatal `STTConnectionError` and
 * reopened with backoff; caller audio meanwhile is kept (up to `reconnectBufferMs`) and sent
 * first on the new socket. When the attempts run out, or the key is refused on reconnection, a
 * fatal error ends the call: it can no longer hear.
 *
 * @example
 * const stt = new SarvamSTTService({ apiKey: key, language: 'hi-IN', model: 'saaras:v3' });
 */
export class SarvamSTTService extends STTService {
  private readonly options: SarvamSTTServiceOptions;
  private client: SarvamAIClient | undefined;
  private args: ListenArgs | undefined;
  /** Rate of the audio sent to Sarvam, Hz. */
  private wireRateHz = DEFAULT_WIRE_RATE_HZ;
  /** Converts the pipeline's rate to 16 kHz when Sarvam does not take it. */
  private resampler: StreamingResampler | undefined;
  /** The open socket; `undefined` while connecting, reconnecting or stopped. */
  private socket: ListenSocket | undefined;
  /** Aborted on disconnect: ends reconnection attempts and pending handshakes. */
  private session = new AbortController();
  private backlog = new AudioBacklog(0);
  private reconnecting = false;
  /** Sarvam's VAD reported `END_SPEECH` since the last transcript. */
  private speechEnded = false;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'sarvam', model: this.options.model ?? 'saaras:v3' };
  }

  constructor(options: SarvamSTTServiceOptions) {
    super(options.name ?? 'SarvamSTTService');
    loadSarvamSdk().catch(() => undefined); // loads in the background; a failure surfaces at connect
    this.options = options;
  }

  protected override async connect(sampleRateHz: number, signal: AbortSignal): Promise<void> {
    const o = this.options;
    const language = o.language ? toSarvamLanguage(o.language, SARVAM_STT_LANGUAGES) : 'unknown';
    if (!language) {
      throw new STTConfigurationError(
        `Sarvam does not transcribe language "${o.language}": set the agent's language to one of ${SARVAM_STT_LANGUAGES.join(', ')}`,
      );
    }
    this.session = new AbortController();
    this.client = await createSarvamClient(
      o,
      (detail, cause) =>
        new STTConfigurationError(`${detail}: set SARVAM_API_KEY or the agent's stt.credential`, { cause }),
    );
    this.wireRateHz = WIRE_RATES.has(sampleRateHz) ? sampleRateHz : DEFAULT_WIRE_RATE_HZ;
    if (this.wireRateHz !== sampleRateHz) {
      this.resampler = await createResampler(sampleRateHz, this.wireRateHz);
    }
    this.args = {
      'language-code': language,
      // The SDK's union lags the API: the legacy `saarika:v2.5` is still accepted.
      model: (o.model ?? 'saaras:v3') as SarvamAI.SpeechToTextStreamingModel,
      ...(o.mode ? { mode: o.mode } : {}),
      input_audio_codec: 'pcm_s16le',
      sample_rate: String(this.wireRateHz),
      high_vad_sensitivity: o.highVadSensitivity === false ? 'false' : 'true',
      vad_signals: 'true',
      flush_signal: 'true',
      // Reconnection is ours, so that audio sent meanwhile is kept and replayed.
      reconnectAttempts: 0,
    };
    this.backlog = new AudioBacklog(((o.reconnectBufferMs ?? 5000) * this.wireRateHz) / 1000);
    this.socket = await this.open(AbortSignal.any([signal, this.session.signal]));
  }

  protected override sendAudio(pcm: Int16Array): void {
    const wire = this.resampler ? this.resampler.process(pcm) : pcm;
    if (wire.length === 0) return;
    const socket = this.openSocket();
    if (socket) {
      this.transmit(socket, wire);
      return;
    }
    // Dropped but not yet reported closed, or reconnecting: keep the audio for the next socket.
    if ((this.socket || this.reconnecting) && this.backlog.push(wire)) {
      this.pushError(audioDroppedError('Sarvam', this.options.reconnectBufferMs ?? 5000));
    }
  }

  protected override onUserStoppedSpeaking(): void {
    this.openSocket()?.flush();
  }

  protected override disconnect(): void {
    this.session.abort();
    this.reconnecting = false;
    this.backlog.clear();
    this.resampler?.dispose();
    this.resampler = undefined;
    const socket = this.socket;
    this.socket = undefined;
    // Sarvam has no end-of-stream message: closing the socket ends the session.
    socket?.close();
  }

  /** Opens one socket and waits for the handshake; failures become STT errors. */
  private async open(signal: AbortSignal): Promise<ListenSocket> {
    const client = this.client;
    const args = this.args;
    if (!client || !args) throw new Error('SarvamSTTService is not connected');
    const socket = await client.speechToTextStreaming.connect(args);
    socket.on('message', (m) => this.onMessage(socket, m));
    socket.on('close', () => this.onClose(socket));
    socket.on('error', () => {}); // the handshake's rejection or the `close` that follows reports it
    try {
      await waitUntilOpen(socket, signal, this.options.connectTimeoutMs ?? 10_000);
    } catch (e) {
      if (e instanceof HandshakeError) throw sarvamSTTError(e.status, e.message, e);
      throw e;
    }
    if (this.options.prompt) socket.setPrompt(this.options.prompt);
    return socket;
  }

  private transmit(socket: ListenSocket, pcm: Int16Array): void {
    const bytes = pcmToBytes(pcm);
    socket.transcribe({
      audio: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      sample_rate: this.wireRateHz,
      // The SDK's only value; the codec itself is declared by `input_audio_codec` on the URL.
      encoding: 'audio/wav',
    });
  }

  private onMessage(socket: ListenSocket, m: SarvamAI.SpeechToTextStreamingResponse): void {
    if (socket !== this.socket || typeof m !== 'object' || m === null) return;
    const data: unknown = m.data;
    if (typeof data !== 'object' || data === null) return;
    if (m.type === 'data' && 'transcript' in data && typeof data.transcript === 'string') {
      const language =
        'language_code' in data && typeof data.language_code === 'string' ? data.language_code : undefined;
      this.emitTranscript(data.transcript, true, language, this.speechEnded);
      this.speechEnded = false;
    } else if (m.type === 'events' && 'signal_type' in data) {
      this.speechEnded = data.signal_type === 'END_SPEECH';
    } else if (m.type === 'error') {
      const detail = 'error' in data ? String(data.error) : 'unknown error';
      const code = 'code' in data ? Number(data.code) || undefined : undefined;
      this.pushError(sarvamSTTError(code, `Sarvam reported: ${detail}`));
    }
  }

  /** A socket closed: ours on stop (ignored), or dropped (reconnect). */
  private onClose(socket: ListenSocket): void {
    if (socket !== this.socket || this.session.signal.aborted) return;
    this.socket = undefined;
    this.reconnecting = true;
    this.speechEnded = false;
    reconnectInBackground({
      vendor: 'Sarvam',
      policy: this.options,
      signal: this.session.signal,
      open: (signal) => this.open(signal),
      resume: (reopened) => {
        for (const pcm of this.backlog.drain()) this.transmit(reopened, pcm);
        this.socket = reopened;
        this.reconnecting = false;
      },
      giveUp: () => {
        this.reconnecting = false;
        this.backlog.clear();
      },
      report: (e, fatal) => this.pushError(e, fatal),
    });
  }

  /** The current socket when it is open (the SDK throws on sends to a socket that is not). */
  private openSocket(): ListenSocket | undefined {
    return this.socket?.readyState === OPEN ? this.socket : undefined;
  }
}
