import {
  createResampler,
  type MetricLabels,
  metric,
  pcmToBytes,
  pcmToMulaw,
  STTService,
  type StreamingResampler,
} from '@parley/pipeline';
import type {
  RealtimeServerEvent,
  RealtimeTranscriptionSessionCreateRequest,
} from 'openai/resources/realtime/realtime';
import type WebSocket from 'ws';
import { STTConfigurationError, STTConnectionError } from '../errors.ts';
import { AudioBacklog } from '../streaming/audio-backlog.ts';
import { audioDroppedError, type ReconnectPolicy, reconnectInBackground } from '../streaming/reconnect.ts';
import { openTranscriptionSocket, send } from './transcription-socket.ts';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** `audio/pcm` input is 24 kHz only (https://platform.openai.com/docs/api-reference/realtime-client-events/session/update). */
const PCM_RATE_HZ = 24_000;
/** The API refuses a commit of less audio than this (`input_audio_buffer_commit_empty`). */
const MIN_COMMIT_MS = 100;

/** Server-side voice activity detection of the session (https://platform.openai.com/docs/guides/realtime-vad). */
export interface OpenAIServerVadOptions {
  /** Activation threshold, 0–1; higher needs louder audio. Default: the API's (0.5). */
  readonly threshold?: number;
  /** Audio kept before detected speech, ms. Default: the API's (300). */
  readonly prefixPaddingMs?: number;
  /** Silence that ends an utterance, ms. Default 500. */
  readonly silenceDurationMs?: number;
}

/** Options of {@link OpenAISTTService}. Durations in ms. */
export interface OpenAISTTServiceOptions extends ReconnectPolicy {
  /**
   * API key, or a function that gives it (called before each connection). Required: the
   * service reads no environment variable (the server passes `OPENAI_API_KEY` or the agent's credential).
   */
  readonly apiKey?: string | (() => Promise<string>);
  /** REST base URL including the version path; the WebSocket URL is derived from it. Default `https://api.openai.com/v1`. */
  readonly baseUrl?: string;
  /** Transcription model: `gpt-4o-mini-transcribe`, `gpt-4o-transcribe`, `whisper-1`, …. Default `'gpt-4o-mini-transcribe'`. */
  readonly model?: string;
  /** BCP-47 language of the caller, e.g. `'en-US'`; sent as its ISO-639-1 part (`en`). Default: detected by the model. */
  readonly language?: string;
  /** Words, names or context that guide the transcription (the model's `prompt`). Default: none. */
  readonly prompt?: string;
  /**
   * Who decides where an utterance ends: OpenAI's server VAD (default; its transcripts end the
   * utterance), or `false` for none, in which case the service commits the audio when the
   * pipeline's VAD reports that the caller stopped speaking.
   */
  readonly serverVad?: OpenAIServerVadOptions | false;
  /** Input noise reduction: `'near_field'` (headsets) or `'far_field'` (speakerphones). Default: none. */
  readonly noiseReduction?: 'near_field' | 'far_field';
  /** Caller audio kept for replay after a dropped socket, ms; the oldest is dropped beyond it. Default 5000. */
  readonly reconnectBufferMs?: number;
  /** Time allowed for the handshake and the session's confirmation, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Processor name in errors and metrics. Default `'OpenAISTTService'`. */
  readonly name?: string;
}

/** How audio goes on the wire: µ-law at 8 kHz calls (no resampling), else PCM16 resampled to 24 kHz. */
interface WireFormat {
  readonly type: 'audio/pcmu' | 'audio/pcm';
  readonly rateHz: number;
}

/**
 * Streaming speech recognition with OpenAI's gpt-4o-transcribe family over a Realtime API
 * transcription session (https://platform.openai.com/docs/guides/realtime-transcription), one
 * WebSocket per call, typed with the official `openai` SDK's Realtime event types. The SDK's
 * own `OpenAIRealtimeWS` is not used: it always puts `model=` in the URL, which opens a
 * conversation session; a transcription session needs `?intent=transcription`.
 *
 * Input: `input_audio` frames (16-bit mono PCM) as `input_audio_buffer.append` events. At 8 kHz
 * (phone calls) the audio is sent as G.711 µ-law (`audio/pcmu`, the call's own format, nothing
 * resampled); at other rates it is resampled with the pipeline's streaming resampler to the
 * 24 kHz PCM16 (`audio/pcm`) the API requires.
 * Output: `conversation.item.input_audio_transcription.delta` events become
 * `interim_transcription` frames (the utterance's text so far) and `.completed` events
 * `transcription` frames, flagged `endOfUtterance` when OpenAI's server VAD ended the
 * utterance; the completion's token usage becomes `prompt_tokens` / `completion_tokens`
 * metrics. With `serverVad: false` the service sends `input_audio_buffer.commit` when the
 * caller stops speaking.
 *
 * Errors: at start, `connect` throws (fatal for the call) an {@link STTConfigurationError} for a
 * missing or rejected key (401/403, fix: `OPENAI_API_KEY`) or a session OpenAI refuses (e.g. an
 * unknown model), and an {@link STTConnectionError} when OpenAI cannot be reached. Mid-call
 * `error` and `transcription.failed` events are reported as non-fatal {@link STTConnectionError}s.
 * A socket that drops is reported as a non-fatal `STTConnectionError` and reopened with backoff;
 * the audio OpenAI had not yet committed (up to `reconnectBufferMs`) and the audio that arrives
 * meanwhile are sent again on the new socket, so the utterance in progress is not lost. When
 * the attempts run out, or the key is refused on reconnection, a fatal error ends the call.
 *
 * @example
 * const stt = new OpenAISTTService({ apiKey, model: 'gpt-4o-transcribe', language: 'en-US' });
 */
export class OpenAISTTService extends STTService {
  private readonly options: OpenAISTTServiceOptions;
  private readonly baseUrl: string;
  private session: RealtimeTranscriptionSessionCreateRequest | undefined;
  private wire: WireFormat = { type: 'audio/pcm', rateHz: PCM_RATE_HZ };
  private resampler: StreamingResampler | undefined;
  /** The open socket; `undefined` while connecting, reconnecting or stopped. */
  private socket: WebSocket | undefined;
  /** Aborted on disconnect: ends reconnection attempts and pending handshakes. */
  private lifetime = new AbortController();
  /** Wire audio OpenAI has not committed yet (kept for replay after a drop), at `wire.rateHz`. */
  private uncommitted = new AudioBacklog(0);
  private uncommittedSamples = 0;
  /** Samples that arrived while reconnecting; beyond the buffer's size some were dropped. */
  private reconnectSamples = 0;
  private reconnecting = false;
  /** Transcript so far per item (`item_id`), from its deltas. */
  private readonly partial = new Map<string, string>();

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'openai', model: this.options.model ?? 'gpt-4o-mini-transcribe' };
  }

  constructor(options: OpenAISTTServiceOptions = {}) {
    super(options.name ?? 'OpenAISTTService');
    this.options = options;
    this.baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  }

  protected override async connect(sampleRateHz: number, signal: AbortSignal): Promise<void> {
    const o = this.options;
    if (!o.apiKey) {
      throw new STTConfigurationError(
        "No OpenAI API key for transcription: set OPENAI_API_KEY or the agent's stt.credential",
      );
    }
    this.lifetime = new AbortController();
    this.wire =
      sampleRateHz === 8000
        ? { type: 'audio/pcmu', rateHz: 8000 }
        : { type: 'audio/pcm', rateHz: PCM_RATE_HZ };
    if (this.wire.type === 'audio/pcm') this.resampler = await createResampler(sampleRateHz, PCM_RATE_HZ);
    const maxSamples = ((o.reconnectBufferMs ?? 5000) * this.wire.rateHz) / 1000;
    this.uncommitted = new AudioBacklog(maxSamples);
    this.session = this.sessionConfig();
    this.socket = await this.open(AbortSignal.any([signal, this.lifetime.signal]));
  }

  protected override sendAudio(pcm: Int16Array): void {
    const audio = this.resampler ? this.resampler.process(pcm) : pcm;
    if (audio.length === 0) return;
    this.uncommitted.push(audio);
    this.uncommittedSamples += audio.length;
    const socket = this.openSocket();
    if (socket) {
      this.append(socket, audio);
      return;
    }
    if (!this.reconnecting && !this.socket) return; // stopped
    // Report once, when the audio that came while reconnecting no longer fits the buffer.
    const maxMs = this.options.reconnectBufferMs ?? 5000;
    const maxSamples = (maxMs * this.wire.rateHz) / 1000;
    const before = this.reconnectSamples;
    this.reconnectSamples += audio.length;
    if (before <= maxSamples && this.reconnectSamples > maxSamples) {
      this.pushError(audioDroppedError('OpenAI', maxMs));
    }
  }

  protected override onUserStoppedSpeaking(): void {
    if (this.options.serverVad !== false) return; // the server VAD commits on its own
    const socket = this.openSocket();
    if (!socket || (this.uncommittedSamples * 1000) / this.wire.rateHz < MIN_COMMIT_MS) return;
    send(socket, { type: 'input_audio_buffer.commit' });
    this.clearUncommitted();
  }

  protected override disconnect(): void {
    this.lifetime.abort();
    this.reconnecting = false;
    this.clearUncommitted();
    this.partial.clear();
    this.resampler?.dispose();
    this.resampler = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
  }

  private sessionConfig(): RealtimeTranscriptionSessionCreateRequest {
    const o = this.options;
    const language = o.language?.split('-')[0]?.toLowerCase();
    const vad = o.serverVad;
    return {
      type: 'transcription',
      audio: {
        input: {
          format:
            this.wire.type === 'audio/pcmu'
              ? { type: 'audio/pcmu' }
              : { type: 'audio/pcm', rate: PCM_RATE_HZ },
          transcription: {
            model: o.model ?? 'gpt-4o-mini-transcribe',
            ...(language && language !== 'multi' ? { language } : {}),
            ...(o.prompt ? { prompt: o.prompt } : {}),
          },
          turn_detection:
            vad === false
              ? null
              : {
                  type: 'server_vad',
                  silence_duration_ms: vad?.silenceDurationMs ?? 500,
                  ...(vad?.threshold !== undefined ? { threshold: vad.threshold } : {}),
                  ...(vad?.prefixPaddingMs !== undefined ? { prefix_padding_ms: vad.prefixPaddingMs } : {}),
                },
          ...(o.noiseReduction ? { noise_reduction: { type: o.noiseReduction } } : {}),
        },
      },
    };
  }

  /** Opens one socket and waits until the session is confirmed. */
  private async open(signal: AbortSignal): Promise<WebSocket> {
    const session = this.session;
    const apiKey = this.options.apiKey;
    if (!session || !apiKey) throw new Error('OpenAISTTService is not connected');
    let key: string;
    try {
      key = typeof apiKey === 'string' ? apiKey : await apiKey();
    } catch (e) {
      throw new STTConfigurationError(
        `No API key for OpenAI transcription: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    return openTranscriptionSocket({
      baseUrl: this.baseUrl,
      apiKey: key,
      session,
      timeoutMs: this.options.connectTimeoutMs ?? 10_000,
      signal,
      onEvent: (event, socket) => this.onEvent(socket, event),
      onClose: (socket) => this.onClose(socket),
    });
  }

  private onEvent(socket: WebSocket, event: RealtimeServerEvent): void {
    if (socket !== this.socket) return;
    switch (event.type) {
      case 'input_audio_buffer.committed':
        if (this.options.serverVad !== false) this.clearUncommitted();
        break;
      case 'conversation.item.input_audio_transcription.delta': {
        const text = (this.partial.get(event.item_id) ?? '') + (event.delta ?? '');
        this.partial.set(event.item_id, text);
        this.emitTranscript(text, false, this.options.language);
        break;
      }
      case 'conversation.item.input_audio_transcription.completed':
        this.partial.delete(event.item_id);
        if (event.usage?.type === 'tokens') {
          this.push(metric(this.name, 'prompt_tokens', event.usage.input_tokens, 'tokens'));
          this.push(metric(this.name, 'completion_tokens', event.usage.output_tokens, 'tokens'));
        }
        this.emitTranscript(event.transcript, true, this.options.language, this.options.serverVad !== false);
        break;
      case 'conversation.item.input_audio_transcription.failed':
        this.partial.delete(event.item_id);
        this.pushError(
          new STTConnectionError(
            `OpenAI could not transcribe an utterance: ${event.error.message ?? 'unknown error'}`,
            {
              cause: event.error,
            },
          ),
        );
        break;
      case 'error':
        this.pushError(
          new STTConnectionError(`OpenAI Realtime error: ${event.error.message}`, { cause: event.error }),
        );
        break;
    }
  }

  /** A socket closed: ours on stop (ignored), or dropped (reconnect). */
  private onClose(socket: WebSocket): void {
    if (socket !== this.socket || this.lifetime.signal.aborted) return;
    this.socket = undefined;
    this.reconnecting = true;
    this.reconnectSamples = 0;
    this.partial.clear();
    reconnectInBackground({
      vendor: 'OpenAI Realtime',
      policy: this.options,
      signal: this.lifetime.signal,
      open: (signal) => this.open(signal),
      resume: (reopened) => {
        this.socket = reopened;
        this.reconnecting = false;
        // What the old socket had not committed, then what came meanwhile, oldest first.
        for (const audio of this.uncommitted.drain()) {
          this.uncommitted.push(audio);
          this.append(reopened, audio);
        }
      },
      giveUp: () => {
        this.reconnecting = false;
        this.clearUncommitted();
      },
      report: (e, fatal) => this.pushError(e, fatal),
    });
  }

  private append(socket: WebSocket, audio: Int16Array): void {
    const bytes = this.wire.type === 'audio/pcmu' ? pcmToMulaw(audio) : pcmToBytes(audio);
    send(socket, {
      type: 'input_audio_buffer.append',
      audio: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    });
  }

  private clearUncommitted(): void {
    this.uncommitted.clear();
    this.uncommittedSamples = 0;
  }

  /** The current socket when it is open. */
  private openSocket(): WebSocket | undefined {
    return this.socket?.readyState === 1 ? this.socket : undefined;
  }
}
