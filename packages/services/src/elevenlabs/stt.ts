import type {
  AudioFormat,
  CommitStrategy,
  ElevenLabsClient,
  RealtimeConnection,
} from '@elevenlabs/elevenlabs-js';
import {
  createResampler,
  type MetricLabels,
  pcmToBytes,
  STTService,
  type StreamingResampler,
} from '@parley/pipeline';
import { STTConfigurationError, STTConnectionError, type STTError } from '../errors.ts';
import { AudioBacklog } from '../streaming/audio-backlog.ts';
import { audioDroppedError, type ReconnectPolicy, reconnectInBackground } from '../streaming/reconnect.ts';
import { elevenLabsLanguage, sttPcmRateFor } from './audio-formats.ts';
import { ELEVENLABS_BASE_URL, type ElevenLabsApiKey, keySupplier } from './client-config.ts';
import { elevenLabsSdk, loadElevenLabsSdk } from './sdk.ts';
import { type ScribeErrorMessage, scribeHandshakeError, scribeServerError } from './stt-errors.ts';

/** Default realtime Scribe model (https://elevenlabs.io/docs/models#scribe-v2-realtime). */
export const DEFAULT_ELEVENLABS_STT_MODEL = 'scribe_v2_realtime';

/** Options of {@link ElevenLabsSTTService}. Durations in ms. */
export interface ElevenLabsSTTServiceOptions extends ReconnectPolicy {
  /**
   * ElevenLabs API key (sent as `xi-api-key` on the WebSocket handshake), or a function that
   * gives it before each connection (its rejection becomes an {@link STTConfigurationError}).
   * The server passes `ELEVENLABS_API_KEY` or the agent's credential.
   */
  readonly apiKey: ElevenLabsApiKey;
  /**
   * API base URL; the SDK turns `http(s)://` into `ws(s)://` and appends
   * `/v1/speech-to-text/realtime`. Default {@link ELEVENLABS_BASE_URL}.
   */
  readonly baseUrl?: string;
  /** Model id. Default {@link DEFAULT_ELEVENLABS_STT_MODEL}. */
  readonly model?: string;
  /** The agent's language, BCP 47 (`en-US`, `hi-IN`), sent as its ISO 639 code. Default: none (detected). */
  readonly language?: string;
  /**
   * Who ends a segment (https://elevenlabs.io/docs/eleven-api/guides/how-to/speech-to-text/realtime/transcripts-and-commit-strategies):
   * `'manual'` (default): the service commits when the pipeline's VAD hears the caller stop,
   * and the turn processor decides the end of the turn; `'vad'`: Scribe's own VAD commits, and
   * each committed transcript ends the utterance (`endOfUtterance`).
   */
  readonly commitStrategy?: 'manual' | 'vad';
  /** With `commitStrategy: 'vad'`: the silence that commits, ms (300–3000). Default: ElevenLabs' (1500). */
  readonly vadSilenceMs?: number;
  /** Words and phrases to bias the model towards (at most 50, each up to 20 characters). */
  readonly keyterms?: readonly string[];
  /** Caller audio kept while reconnecting, ms; the oldest is dropped beyond it. Default 5000. */
  readonly reconnectBufferMs?: number;
  /** Time allowed for the handshake and `session_started`, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Time allowed, on stop, for the socket's closing handshake, ms. Default 2000. */
  readonly closeTimeoutMs?: number;
  /** Processor name in errors and metrics. Default `'ElevenLabsSTTService'`. */
  readonly name?: string;
}

type ConnectOptions = Parameters<ElevenLabsClient['speechToText']['realtime']['connect']>[0];

/** One realtime session: the SDK's connection and what it went through. */
interface ScribeSession {
  readonly conn: RealtimeConnection;
  /** `session_started` arrived and the socket has not closed. */
  open: boolean;
  /** The last error Scribe reported on it. */
  failure?: STTError;
}

/**
 * Live speech recognition with ElevenLabs' realtime Scribe over the official
 * `@elevenlabs/elevenlabs-js` SDK (`speechToText.realtime`): one WebSocket per call to
 * `/v1/speech-to-text/realtime` (https://elevenlabs.io/docs/api-reference/speech-to-text/v-1-speech-to-text-realtime).
 *
 * Input: `input_audio` frames (16-bit mono PCM) sent as they come as base64 `input_audio_chunk`
 * messages with `audio_format=pcm_<rate>` at the pipeline's input rate when Scribe accepts it
 * (8000, 16000, 22050, 24000, 44100, 48000 Hz), so nothing is resampled; other rates are
 * resampled to 16000 with the pipeline's streaming resampler. Output: `partial_transcript`
 * becomes `interim_transcription`, `committed_transcript` becomes `transcription`. With the
 * default manual commit strategy it commits when the caller stops speaking, so the final text
 * comes back at once.
 *
 * Errors: at start, `connect` throws (fatal for the call) an {@link STTConfigurationError} for a
 * rejected key (handshake 401/403 or `auth_error`), refused options (`invalid_request`, 4xx) or an
 * exhausted account, and an {@link STTConnectionError} when Scribe cannot be reached. A session
 * that drops mid-call is reported as a non-fatal `STTConnectionError` and reopened with backoff;
 * caller audio meanwhile is kept (up to `reconnectBufferMs`) and sent first on the new session.
 * When the attempts run out, or a configuration error ends the session, a fatal error ends the
 * call: it can no longer hear.
 *
 * @example
 * const stt = new ElevenLabsSTTService({ apiKey: key, language: 'en-US', keyterms: ['Parley'] });
 */
export class ElevenLabsSTTService extends STTService {
  private readonly options: ElevenLabsSTTServiceOptions;
  private readonly commitStrategy: 'manual' | 'vad';
  private client: ElevenLabsClient | undefined;
  private connectOptions: ConnectOptions | undefined;
  /** Caller audio on its way to Scribe's rate, when the call's rate is not one it accepts. */
  private resampler: StreamingResampler | undefined;
  /** The open session; `undefined` while connecting, reconnecting or stopped. */
  private socket: ScribeSession | undefined;
  /** Aborted on disconnect: ends reconnection attempts and pending handshakes. */
  private session = new AbortController();
  private backlog = new AudioBacklog(0);
  private reconnecting = false;
  /** Audio went out since the last commit. */
  private uncommitted = false;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'elevenlabs', model: this.options.model ?? DEFAULT_ELEVENLABS_STT_MODEL };
  }

  constructor(options: ElevenLabsSTTServiceOptions) {
    super(options.name ?? 'ElevenLabsSTTService');
    this.options = options;
    this.commitStrategy = options.commitStrategy ?? 'manual';
    // The SDK loads in the background from now (see `sdk.ts`); a failure surfaces at connect.
    loadElevenLabsSdk().catch(() => undefined);
  }

  protected override async connect(sampleRateHz: number, signal: AbortSignal): Promise<void> {
    const o = this.options;
    if (!o.apiKey) {
      throw new STTConfigurationError(
        "No ElevenLabs API key: set ELEVENLABS_API_KEY or the agent's stt.credential",
      );
    }
    this.session = new AbortController();
    const wireRateHz = sttPcmRateFor(sampleRateHz);
    this.resampler =
      wireRateHz === sampleRateHz ? undefined : await createResampler(sampleRateHz, wireRateHz);
    const sdk = await loadElevenLabsSdk(); // loaded with the first connection (see `sdk.ts`)
    this.client = new sdk.ElevenLabsClient({
      apiKey: keySupplier(
        o.apiKey,
        (reason, cause) => new STTConfigurationError(`No ElevenLabs API key: ${reason}`, { cause }),
      ),
      baseUrl: o.baseUrl ?? ELEVENLABS_BASE_URL,
    });
    this.connectOptions = {
      modelId: o.model ?? DEFAULT_ELEVENLABS_STT_MODEL,
      audioFormat: `pcm_${wireRateHz}` as AudioFormat,
      sampleRate: wireRateHz,
      commitStrategy: this.commitStrategy as CommitStrategy,
      ...(o.language ? { languageCode: elevenLabsLanguage(o.language) } : {}),
      ...(o.keyterms?.length ? { keyterms: [...o.keyterms] } : {}),
      ...(this.commitStrategy === 'vad' && o.vadSilenceMs !== undefined
        ? { vadSilenceThresholdSecs: o.vadSilenceMs / 1000 }
        : {}),
    };
    this.backlog = new AudioBacklog(((o.reconnectBufferMs ?? 5000) * wireRateHz) / 1000);
    this.socket = await this.open(AbortSignal.any([signal, this.session.signal]));
  }

  protected override sendAudio(pcm: Int16Array): void {
    const audio = this.resampler ? this.resampler.process(pcm) : pcm;
    if (audio.length === 0) return;
    const socket = this.openSocket();
    if (socket && this.send(socket, audio)) return;
    // Dropped but not yet reported closed, or reconnecting: keep the audio for the next session.
    if ((this.socket || this.reconnecting) && this.backlog.push(audio)) {
      this.pushError(audioDroppedError('ElevenLabs Scribe', this.options.reconnectBufferMs ?? 5000));
    }
  }

  protected override onUserStoppedSpeaking(): void {
    const socket = this.openSocket();
    if (this.commitStrategy !== 'manual' || !socket || !this.uncommitted) return;
    socket.conn.commit();
    this.uncommitted = false;
  }

  protected override async disconnect(): Promise<void> {
    this.session.abort();
    this.reconnecting = false;
    this.backlog.clear();
    this.resampler?.dispose();
    this.resampler = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    const closed = new Promise<void>((resolve) => {
      if (!socket.open) resolve();
      socket.conn.on(elevenLabsSdk().RealtimeEvents.CLOSE, () => resolve());
      setTimeout(resolve, this.options.closeTimeoutMs ?? 2000).unref();
    });
    socket.conn.close();
    await closed;
  }

  /** Opens one session and waits for `session_started`; failures become {@link STTError}s. */
  private async open(signal: AbortSignal): Promise<ScribeSession> {
    const client = this.client;
    const options = this.connectOptions;
    if (!client || !options) throw new Error('ElevenLabsSTTService is not connected');
    signal.throwIfAborted();
    let conn: RealtimeConnection;
    try {
      conn = await client.speechToText.realtime.connect(options);
    } catch (e) {
      throw scribeHandshakeError(e);
    }
    const s: ScribeSession = { conn, open: false };
    const started = new Promise<ScribeSession>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) {
          resolve(s);
          return;
        }
        conn.close();
        reject(error);
      };
      const onAbort = () => settle(signal.reason);
      const timer = setTimeout(
        () =>
          settle(
            new STTConnectionError(
              `ElevenLabs Scribe did not start a session within ${this.options.connectTimeoutMs ?? 10_000} ms`,
            ),
          ),
        this.options.connectTimeoutMs ?? 10_000,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      conn.on(elevenLabsSdk().RealtimeEvents.SESSION_STARTED, () => {
        s.open = true;
        settle();
      });
      conn.on(elevenLabsSdk().RealtimeEvents.ERROR, (payload) => {
        const error =
          payload instanceof Error
            ? scribeHandshakeError(payload)
            : scribeServerError(payload as ScribeErrorMessage);
        if (!s.open) {
          settle(error);
          return;
        }
        if (payload instanceof Error) return; // a socket error: its `close` follows
        s.failure = error;
        this.pushError(error, error instanceof STTConfigurationError);
      });
      conn.on(elevenLabsSdk().RealtimeEvents.CLOSE, () => {
        const wasOpen = s.open;
        s.open = false;
        if (!wasOpen) {
          settle(
            s.failure ??
              new STTConnectionError('ElevenLabs Scribe closed the connection before the session started'),
          );
          return;
        }
        this.onClose(s);
      });
      conn.on(elevenLabsSdk().RealtimeEvents.PARTIAL_TRANSCRIPT, (m) => this.onTranscript(s, m.text, false));
      conn.on(elevenLabsSdk().RealtimeEvents.COMMITTED_TRANSCRIPT, (m) => this.onTranscript(s, m.text, true));
    });
    return started;
  }

  private onTranscript(s: ScribeSession, text: string, committed: boolean): void {
    if (s !== this.socket || typeof text !== 'string') return;
    this.emitTranscript(text, committed, undefined, committed && this.commitStrategy === 'vad');
  }

  /** A session closed: ours on stop (ignored), after a configuration error (already fatal), or dropped (reconnect). */
  private onClose(s: ScribeSession): void {
    if (s !== this.socket || this.session.signal.aborted) return;
    this.socket = undefined;
    if (s.failure instanceof STTConfigurationError) return;
    this.reconnecting = true;
    reconnectInBackground({
      vendor: 'ElevenLabs Scribe',
      policy: this.options,
      signal: this.session.signal,
      open: (signal) => this.open(signal),
      resume: (reopened) => {
        this.uncommitted = false;
        for (const pcm of this.backlog.drain()) this.send(reopened, pcm);
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

  /**
   * Sends one chunk as base64 PCM16LE (`input_audio_chunk`, at the session's `sample_rate`).
   * @returns false when the socket is already closing (the SDK throws), so the chunk was not sent.
   */
  private send(socket: ScribeSession, pcm: Int16Array): boolean {
    const bytes = pcmToBytes(pcm);
    try {
      socket.conn.send({
        audioBase64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      });
    } catch {
      return false;
    }
    this.uncommitted = true;
    return true;
  }

  /** The current session when it is open (the SDK throws on sends to a socket that is not). */
  private openSocket(): ScribeSession | undefined {
    return this.socket?.open ? this.socket : undefined;
  }
}
