import type { DeepgramClient, listen } from '@deepgram/sdk';
import { type MetricLabels, STTService } from '@parley/pipeline';
import { STTConfigurationError, STTConnectionError, type STTError } from '../errors.ts';
import { AudioBacklog } from '../streaming/audio-backlog.ts';
import { audioDroppedError, type ReconnectPolicy, reconnectInBackground } from '../streaming/reconnect.ts';
import { loadDeepgramSdk } from './sdk.ts';

type ListenSocket = Awaited<ReturnType<DeepgramClient['listen']['v1']['connect']>>;
type ListenArgs = Parameters<DeepgramClient['listen']['v1']['connect']>[0];
/** What `/v1/listen` sends (https://developers.deepgram.com/reference/speech-to-text/listen-streaming). */
type ListenMessage =
  | listen.ListenV1Results
  | listen.ListenV1UtteranceEnd
  | listen.ListenV1SpeechStarted
  | listen.ListenV1Metadata;

/** Options of {@link DeepgramSTTService}. Durations in ms. */
export interface DeepgramSTTServiceOptions extends ReconnectPolicy {
  /** Deepgram API key. Default: the `DEEPGRAM_API_KEY` environment variable. */
  readonly apiKey?: string;
  /**
   * Base URL of the API, e.g. `ws://127.0.0.1:41234` for a loopback fake (`/v1/listen` is
   * appended). Default Deepgram's `wss://api.deepgram.com`.
   */
  readonly baseUrl?: string;
  /** Model (https://developers.deepgram.com/docs/models-languages-overview). Default `'nova-3'`. */
  readonly model?: string;
  /** BCP-47 language, e.g. `'en-US'`, `'hi'`, or `'multi'`. Default: Deepgram's (`en`). */
  readonly language?: string;
  /**
   * Silence that makes Deepgram mark a final result `speech_final` (end of utterance), ms
   * (https://developers.deepgram.com/docs/endpointing). Default 300; `false` disables it.
   */
  readonly endpointingMs?: number | false;
  /**
   * Gap after the last word that produces an `UtteranceEnd` message, ms, at least 1000
   * (https://developers.deepgram.com/docs/utterance-end). Default 1000; `false` disables it.
   */
  readonly utteranceEndMs?: number | false;
  /** Words and phrases to boost (nova-3 `keyterm`, https://developers.deepgram.com/docs/keyterm). */
  readonly keyterms?: readonly string[];
  /** Deepgram's smart formatting (numbers, dates, punctuation). Default true. */
  readonly smartFormat?: boolean;
  /** Send `KeepAlive` when no audio was sent for this long (Deepgram closes after 10 s). Default 4000. */
  readonly keepAliveMs?: number;
  /** Caller audio kept while reconnecting, ms; the oldest is dropped beyond it. Default 5000. */
  readonly reconnectBufferMs?: number;
  /** Time allowed for one WebSocket handshake, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Time allowed, on stop, for Deepgram to flush its results and close after `CloseStream`, ms. Default 2000. */
  readonly closeTimeoutMs?: number;
  /** Processor name in errors and metrics. Default `'DeepgramSTTService'`. */
  readonly name?: string;
}

/** `WebSocket.OPEN`, the ready state of a socket that can send. */
const OPEN = 1;

/**
 * Live speech recognition with Deepgram's streaming API over the official `@deepgram/sdk`
 * (https://developers.deepgram.com/reference/speech-to-text/listen-streaming), one WebSocket
 * per call.
 *
 * Input: `input_audio` frames of signed 16-bit mono PCM, sent as they come as binary
 * `linear16` at the pipeline's input rate (`sample_rate`, `channels=1`), so nothing is
 * resampled. Output: interim results become `interim_transcription` frames; `is_final` results
 * become `transcription` frames, flagged `endOfUtterance` when Deepgram's endpointing marked
 * them `speech_final` (https://developers.deepgram.com/docs/understand-endpointing-interim-results).
 * When the caller stops speaking it sends `Finalize` (https://developers.deepgram.com/docs/finalize)
 * so the last words come back without waiting for endpointing. While no audio flows it sends
 * `KeepAlive` (https://developers.deepgram.com/docs/keep-alive); on stop, `CloseStream`
 * (https://developers.deepgram.com/docs/close-stream).
 *
 * Errors: at start, `connect` throws (fatal for the call) an {@link STTConfigurationError} for
 * a missing key, a rejected key (401/403, fix: `DEEPGRAM_API_KEY`) or refused options (400), and
 * an {@link STTConnectionError} when Deepgram cannot be reached. A socket that drops mid-call is
 * reported as a non-fatal `STTConnectionError` and reopened with backoff; caller audio meanwhile
 * is kept (up to `reconnectBufferMs`) and sent first on the new socket. When the attempts run
 * out, or the key is refused on reconnection, a fatal error ends the call: it can no longer hear.
 *
 * @example
 * const stt = new DeepgramSTTService({ model: 'nova-3', language: 'en-US', keyterms: ['Parley'] });
 */
export class DeepgramSTTService extends STTService {
  private readonly options: DeepgramSTTServiceOptions;
  private client: DeepgramClient | undefined;
  private args: ListenArgs | undefined;
  /** The open socket; `undefined` while connecting, reconnecting or stopped. */
  private socket: ListenSocket | undefined;
  /** Aborted on disconnect: ends reconnection attempts and pending handshakes. */
  private session = new AbortController();
  private backlog = new AudioBacklog(0);
  private reconnecting = false;
  private lastSentMs = 0;
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'deepgram', model: this.options.model ?? 'nova-3' };
  }

  constructor(options: DeepgramSTTServiceOptions = {}) {
    super(options.name ?? 'DeepgramSTTService');
    loadDeepgramSdk().catch(() => undefined); // loads in the background; a failure surfaces at connect
    this.options = options;
  }

  protected override async connect(sampleRateHz: number, signal: AbortSignal): Promise<void> {
    const o = this.options;
    const apiKey = o.apiKey ?? process.env.DEEPGRAM_API_KEY;
    if (!apiKey) {
      throw new STTConfigurationError(
        'no Deepgram API key: set DEEPGRAM_API_KEY or the service apiKey option (https://console.deepgram.com)',
      );
    }
    this.session = new AbortController();
    const sdk = await loadDeepgramSdk();
    this.client = new sdk.DeepgramClient({ apiKey, ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}) });
    this.args = {
      model: o.model ?? 'nova-3',
      ...(o.language ? { language: o.language } : {}),
      encoding: 'linear16',
      sample_rate: sampleRateHz,
      channels: 1,
      interim_results: 'true',
      endpointing: o.endpointingMs ?? 300,
      ...(o.utteranceEndMs !== false ? { utterance_end_ms: o.utteranceEndMs ?? 1000 } : {}),
      smart_format: o.smartFormat === false ? 'false' : 'true',
      ...(o.keyterms?.length ? { keyterm: [...o.keyterms] } : {}),
      // Reconnection is ours, so that audio sent meanwhile is kept and replayed.
      reconnectAttempts: 0,
      connectionTimeoutInSeconds: (o.connectTimeoutMs ?? 10_000) / 1000,
    };
    this.backlog = new AudioBacklog(((o.reconnectBufferMs ?? 5000) * sampleRateHz) / 1000);
    this.socket = await this.open(AbortSignal.any([signal, this.session.signal]));
    this.lastSentMs = performance.now();
    const keepAliveMs = o.keepAliveMs ?? 4000;
    this.keepAliveTimer = setInterval(() => this.keepAlive(keepAliveMs), keepAliveMs / 2);
    this.keepAliveTimer.unref();
  }

  protected override sendAudio(pcm: Int16Array): void {
    const socket = this.openSocket();
    if (socket) {
      socket.sendMedia(pcm);
      this.lastSentMs = performance.now();
      return;
    }
    // Dropped but not yet reported closed, or reconnecting: keep the audio for the next socket.
    if ((this.socket || this.reconnecting) && this.backlog.push(pcm)) {
      this.pushError(audioDroppedError('Deepgram', this.options.reconnectBufferMs ?? 5000));
    }
  }

  protected override onUserStoppedSpeaking(): void {
    this.openSocket()?.sendFinalize({ type: 'Finalize' });
  }

  protected override async disconnect(): Promise<void> {
    this.session.abort();
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    this.reconnecting = false;
    this.backlog.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    if (socket.readyState !== OPEN) {
      socket.close();
      return;
    }
    const closed = new Promise<void>((resolve) => {
      socket.on('close', () => resolve());
      setTimeout(resolve, this.options.closeTimeoutMs ?? 2000).unref();
    });
    socket.sendCloseStream({ type: 'CloseStream' });
    await closed;
    socket.close();
  }

  /** Opens one socket and waits for the handshake; failures become {@link STTError}s. */
  private async open(signal: AbortSignal): Promise<ListenSocket> {
    const client = this.client;
    const args = this.args;
    if (!client || !args) throw new Error('DeepgramSTTService is not connected');
    const socket = await client.listen.v1.connect(args);
    socket.on('message', (m: ListenMessage) => this.onMessage(socket, m));
    socket.on('close', () => this.onClose(socket));
    socket.on('error', () => {}); // the handshake's rejection or the `close` that follows reports it
    socket.connect();
    let fail = () => {};
    const aborted = new Promise<never>((_, reject) => {
      fail = () => reject(signal.reason);
    });
    signal.addEventListener('abort', fail, { once: true });
    try {
      signal.throwIfAborted();
      await Promise.race([socket.waitForOpen(), aborted]);
      return socket;
    } catch (e) {
      socket.close();
      if (signal.aborted) throw signal.reason;
      throw handshakeError(e);
    } finally {
      signal.removeEventListener('abort', fail);
    }
  }

  private onMessage(socket: ListenSocket, m: ListenMessage): void {
    if (socket !== this.socket || m.type !== 'Results') return;
    const transcript = m.channel?.alternatives?.[0]?.transcript;
    if (typeof transcript !== 'string') return;
    const final = m.is_final === true;
    this.emitTranscript(transcript, final, undefined, final && m.speech_final === true);
  }

  /** A socket closed: ours on stop (ignored), or dropped (reconnect). */
  private onClose(socket: ListenSocket): void {
    if (socket !== this.socket || this.session.signal.aborted) return;
    this.socket = undefined;
    this.reconnecting = true;
    reconnectInBackground({
      vendor: 'Deepgram',
      policy: this.options,
      signal: this.session.signal,
      open: (signal) => this.open(signal),
      resume: (reopened) => {
        for (const pcm of this.backlog.drain()) reopened.sendMedia(pcm);
        this.socket = reopened;
        this.reconnecting = false;
        this.lastSentMs = performance.now();
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

  private keepAlive(keepAliveMs: number): void {
    const socket = this.openSocket();
    if (!socket || performance.now() - this.lastSentMs < keepAliveMs) return;
    socket.sendKeepAlive({ type: 'KeepAlive' });
    this.lastSentMs = performance.now();
  }
}

/** Maps a failed handshake (the `ws` client reports `Unexpected server response: <status>`) to an {@link STTError}. */
function handshakeError(e: unknown): STTError {
  const message =
    e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e)
      ? String(e.message)
      : String(e);
  const status = Number(/Unexpected server response: (\d{3})/.exec(message)?.[1]) || undefined;
  const options = { cause: e, ...(status ? { status } : {}) };
  if (status === 401 || status === 403) {
    return new STTConfigurationError(
      `Deepgram rejected the API key (HTTP ${status}); set DEEPGRAM_API_KEY or the service apiKey option to a valid key`,
      options,
    );
  }
  if (status === 400) {
    return new STTConfigurationError(
      'Deepgram refused the stream options (HTTP 400); check the model, language and keyterms',
      options,
    );
  }
  return new STTConnectionError(
    `could not connect to Deepgram${status ? ` (HTTP ${status})` : ''}: ${message || 'connection failed'}`,
    options,
  );
}
