import { randomUUID } from 'node:crypto';
import type { GenerationConfig, GenerationRequest } from '@cartesia/cartesia-js/resources/tts.js';
import {
  type Direction,
  type Frame,
  type HandlerResult,
  type MetricLabels,
  type StartFrame,
  type TTSAudioChunk,
  TTSService,
  type TTSServiceOptions,
} from '@parley/pipeline';
import { TTSConfigurationError, TTSRequestError } from '../errors.ts';
import { CartesiaConnection } from './connection.ts';
import { ContextInbox } from './context-inbox.ts';
import { generationError } from './errors.ts';
import { cartesiaLanguage } from './language.ts';
import { sentenceWordTimings } from './word-timings.ts';

/** Cartesia's API base URL; the SDK opens the TTS socket at its `wss:` form, `wss://api.cartesia.ai/tts/websocket`. */
export const CARTESIA_API_BASE_URL = 'https://api.cartesia.ai';

/**
 * Default model: `sonic-3`, the stable Sonic 3 snapshot, with the widest language coverage (42
 * languages) and `generation_config` (speed, volume, emotion)
 * (https://docs.cartesia.ai/build-with-cartesia/tts-models).
 */
export const DEFAULT_CARTESIA_MODEL = 'sonic-3';

/**
 * Default voice: "Katie", a stable, realistic American English voice that Cartesia recommends
 * for voice agents (https://docs.cartesia.ai/build-with-cartesia/tts-models/sonic-3-5). Pick a
 * voice native to the agent's language for other languages.
 */
export const DEFAULT_CARTESIA_VOICE_ID = 'f786b574-daa5-4673-aa0c-cbe3e8534c02';

/** Output rates Cartesia's raw WebSocket output supports, Hz (https://docs.cartesia.ai/api-reference/tts/websocket). */
const CARTESIA_RATES_HZ = [8000, 16000, 22050, 24000, 44100, 48000] as const;
type CartesiaRateHz = (typeof CARTESIA_RATES_HZ)[number];

/**
 * A context expires 1 s after its last audio was streamed out, after which it takes no more
 * input (https://docs.cartesia.ai/use-the-api/tts-websocket/contexts). A sentence that comes
 * later than this after its context's last message starts a new context instead, with margin.
 */
const CONTEXT_REUSE_WINDOW_MS = 750;

/** A socket that lived at least this long before it dropped is reopened at once; one that dropped sooner, at the next sentence. */
const STABLE_CONNECTION_MS = 1000;

const NO_AUDIO = new Int16Array(0);

/** Options of {@link CartesiaTTSService} (and the base's `responseTimeoutMs`, `onError`). */
export interface CartesiaTTSServiceOptions extends TTSServiceOptions {
  /**
   * Cartesia API key, or a function that gives it (called before each connection, so a stored
   * key is read when needed; its rejection becomes a {@link TTSConfigurationError}). The
   * server passes `CARTESIA_API_KEY` or the agent's credential; the service reads no environment.
   */
  readonly apiKey: string | (() => Promise<string>);
  /**
   * Base URL of the API; the WebSocket goes to `wss://<host>/tts/websocket` (the SDK always
   * uses `wss`). Default `https://api.cartesia.ai`.
   */
  readonly baseUrl?: string;
  /**
   * Trusted CA certificates (PEM) for the WebSocket's TLS, instead of Node's: a test server's
   * self-signed certificate (`FakeCartesiaServer.ca`), or Node's roots plus extra CAs (the
   * vendor passes the server's `VENDOR_CA_FILE` so, through `trustedCaOption`). Default: Node's.
   */
  readonly ca?: string;
  /** Model id (https://docs.cartesia.ai/build-with-cartesia/tts-models). Default {@link DEFAULT_CARTESIA_MODEL}. */
  readonly model?: string;
  /** Voice id (https://play.cartesia.ai/voices). Default {@link DEFAULT_CARTESIA_VOICE_ID}. */
  readonly voiceId?: string;
  /** The agent's language, BCP 47 (`en-US`, `hi`); sent as Cartesia's ISO 639-1 code. Default: none sent (Cartesia's default, English). */
  readonly language?: string;
  /** Speaking rate, 0.6–1.5 (sonic-3 and later; https://docs.cartesia.ai/build-with-cartesia/sonic-3/volume-speed-emotion). Default: Cartesia's (1.0). */
  readonly speed?: number;
  /** Loudness, 0.5–2.0 (sonic-3 and later). Default: Cartesia's (1.0). */
  readonly volume?: number;
  /** Emotion guidance, e.g. `'calm'`, `'content'`, `'sympathetic'` (sonic-3 and later). Default: none. */
  readonly emotion?: string;
  /**
   * Send all sentences of one LLM response to one Cartesia context, so that prosody flows
   * across them (https://docs.cartesia.ai/use-the-api/tts-websocket/contexts). Default true;
   * false gives every sentence a context of its own.
   */
  readonly continuations?: boolean;
  /** Time allowed for the WebSocket handshake, ms. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Processor name in errors and metrics. Default `'CartesiaTTSService'`. */
  readonly name?: string;
}

/** The Cartesia context the sentences of the current LLM response go to. */
interface Turn {
  readonly id: string;
  readonly connection: CartesiaConnection;
  /** Sentences sent on it. */
  sentences: number;
  /** Audio received on it so far, samples: where the next sentence begins on its timeline. */
  samples: number;
  /** `performance.now()` of its last message, ms (contexts expire after a quiet second). */
  lastMessageMs: number;
  /** Finished, cancelled, failed or expired: nothing more may be sent on it, nor a cancel. */
  ended: boolean;
}

/**
 * Text-to-speech with Cartesia's Sonic models over the official `@cartesia/cartesia-js` SDK's
 * WebSocket (https://docs.cartesia.ai/api-reference/tts/websocket), one socket per call,
 * opened when the pipeline starts and reopened when it drops.
 *
 * Audio: raw `pcm_s16le` at the call's output rate when Cartesia offers it (8000 Hz on the
 * phone, so nothing is resampled), else the next higher rate it offers (the base resamples).
 *
 * Contexts: the sentences of one LLM response (between `llm_response_start` and
 * `llm_response_end`) are continuations of one context (`continue: true`), so prosody flows
 * across them. Each sentence is followed by a flush (`transcript: ""`, `flush: true`), and its
 * audio is what arrives until the matching `flush_done`
 * (https://docs.cartesia.ai/use-the-api/tts-websocket/context-flushing-and-flush-i-ds); the
 * context is closed with an empty transcript and `continue: false` at `llm_response_end`.
 * A sentence outside a response (a greeting) is a context of its own (`continue: false`,
 * audio until `done`). Contexts expire a second after their last audio, so a sentence that
 * comes later starts a new one. Word timestamps (`add_timestamps`) go out with the audio as
 * word timings, ms from the sentence's first sample.
 *
 * Interruption: the aborted sentence's context is cancelled (`{ context_id, cancel: true }`),
 * and its later messages are dropped.
 *
 * Errors: the start fails (fatally) with a {@link TTSConfigurationError} when there is no key
 * or Cartesia refuses it (fix: `CARTESIA_API_KEY` or the agent's credential); if Cartesia
 * cannot be reached at the start, the first sentence tries again. A sentence fails with a
 * {@link TTSConfigurationError} for a voice, model or language Cartesia refuses (400/404/422)
 * and a {@link TTSRequestError} for 429, 5xx or a dropped socket; the base reports it as a
 * non-fatal error and the call goes on. A socket that drops before a sentence's first audio
 * is reopened and the sentence sent again, once.
 *
 * @example
 * const tts = new CartesiaTTSService({ apiKey: key, voiceId: DEFAULT_CARTESIA_VOICE_ID, language: 'en-US' });
 */
export class CartesiaTTSService extends TTSService {
  /** The model id sent with every request. */
  readonly model: string;
  /** The voice id sent with every request. */
  readonly voiceId: string;
  /** Cartesia's `language` code sent with every request (from the `language` option), if any. */
  readonly language: string | undefined;
  private readonly options: CartesiaTTSServiceOptions;
  private readonly generationConfig: GenerationConfig | undefined;
  private connection: CartesiaConnection | undefined;
  private connecting: Promise<CartesiaConnection> | undefined;
  /** Aborted on stop: ends handshakes in progress. */
  private session = new AbortController();
  private inResponse = false;
  private turn: Turn | undefined;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'cartesia', model: this.model };
  }

  /** @throws TTSConfigurationError when `speed` or `volume` is outside Cartesia's range. */
  constructor(options: CartesiaTTSServiceOptions) {
    super(options.name ?? 'CartesiaTTSService', options);
    this.options = options;
    this.model = options.model ?? DEFAULT_CARTESIA_MODEL;
    this.voiceId = options.voiceId ?? DEFAULT_CARTESIA_VOICE_ID;
    this.language = cartesiaLanguage(options.language);
    checkRange('speed', options.speed, 0.6, 1.5);
    checkRange('volume', options.volume, 0.5, 2);
    const config: GenerationConfig = {
      ...(options.speed !== undefined ? { speed: options.speed } : {}),
      ...(options.volume !== undefined ? { volume: options.volume } : {}),
      // Any string: Cartesia refuses one it does not know (400, a TTSConfigurationError).
      ...(options.emotion ? { emotion: options.emotion as GenerationConfig['emotion'] } : {}),
    };
    this.generationConfig = Object.keys(config).length > 0 ? config : undefined;
  }

  /** The rate asked of Cartesia, Hz: the call's output rate when Cartesia offers it, else the next higher one it does. */
  get sampleRateHz(): CartesiaRateHz {
    const wanted = this.outputSampleRateHz;
    return CARTESIA_RATES_HZ.find((r) => r >= wanted) ?? 48000;
  }

  protected override async onStart(f: StartFrame): Promise<void> {
    await super.onStart(f);
    this.session = new AbortController();
    this.inResponse = false;
    this.turn = undefined;
    try {
      await this.connect(this.signal);
    } catch (e) {
      // A refused key or a missing one ends the call; a network failure is retried by the first sentence.
      if (e instanceof TTSConfigurationError || this.signal.aborted) throw e;
    }
  }

  protected override onStop(): HandlerResult {
    super.onStop();
    this.session.abort();
    this.turn = undefined;
    this.connection?.close();
    this.connection = undefined;
  }

  protected override onInterruption(): void {
    // The aborted sentence cancels its own context; one left open between sentences goes too.
    const turn = this.turn;
    this.inResponse = false;
    if (turn) this.cancel(turn);
  }

  protected override processFrame(f: Frame, direction: Direction, signal: AbortSignal): HandlerResult {
    if (f.type === 'llm_response_start' || f.type === 'llm_response_end') {
      this.inResponse = f.type === 'llm_response_start';
      const turn = this.turn;
      this.push(f, direction);
      if (turn) return this.endTurn(turn);
      return;
    }
    return super.processFrame(f, direction, signal);
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<TTSAudioChunk> {
    for (let attempt = 1; ; attempt++) {
      const connection = await this.connect(signal).catch((e: unknown) => {
        if (signal.aborted) return undefined;
        throw e;
      });
      if (!connection) return;
      const continuing = this.inResponse && this.options.continuations !== false;
      const turn = this.turnFor(connection, continuing);
      const startSamples = turn.samples;
      const inbox = new ContextInbox(connection, turn.id, signal);
      let finished = false;
      let yielded = false; // anything the base has taken: no retry after it
      try {
        try {
          await this.send(turn, text, continuing);
        } catch (e) {
          if (!(e instanceof TTSRequestError)) throw e;
          // The socket closed before the sentence went out: the inbox reports it below.
        }
        for (;;) {
          const m = await inbox.next();
          if (m === 'aborted') return;
          if (m === 'closed') {
            finished = true;
            this.forget(turn);
            if (!yielded && attempt === 1) break; // retry once, on a new socket and context
            throw new TTSRequestError('the Cartesia connection dropped during a synthesis');
          }
          turn.lastMessageMs = performance.now();
          if (m.type === 'chunk') {
            const audio = m.audio ? pcm16(m.audio) : NO_AUDIO;
            if (audio.length === 0) continue;
            turn.samples += audio.length;
            yielded = true;
            yield { audio };
          } else if (m.type === 'timestamps' && m.word_timestamps) {
            const words = sentenceWordTimings(m.word_timestamps, (startSamples * 1000) / this.sampleRateHz);
            if (words.length === 0) continue;
            yielded = true;
            yield { audio: NO_AUDIO, words };
          } else if (m.type === 'error') {
            finished = true;
            this.forget(turn);
            throw generationError(m);
          } else if (m.type === 'done' || (m.type === 'flush_done' && continuing)) {
            finished = true;
            if (m.type === 'done') this.forget(turn);
            return;
          }
        }
      } finally {
        inbox.dispose();
        if (!finished) this.cancel(turn);
      }
    }
  }

  /** The open connection, or a new one (shared by concurrent callers). */
  private connect(signal: AbortSignal): Promise<CartesiaConnection> {
    if (this.connection?.isOpen) return Promise.resolve(this.connection);
    if (!this.connecting) {
      const opening = this.open().finally(() => {
        if (this.connecting === opening) this.connecting = undefined;
      });
      opening.catch(() => {}); // its callers get the failure; a background reopen has none
      this.connecting = opening;
    }
    const opening = this.connecting;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const abort = () => reject(signal.reason);
      signal.addEventListener('abort', abort, { once: true });
      opening.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  }

  private async open(): Promise<CartesiaConnection> {
    const session = this.session.signal;
    const connection = await CartesiaConnection.open(
      {
        apiKey: await this.apiKey(),
        baseUrl: this.options.baseUrl ?? CARTESIA_API_BASE_URL,
        ca: this.options.ca,
        handshakeTimeoutMs: this.options.connectTimeoutMs ?? 5000,
      },
      session,
    );
    const openedMs = performance.now();
    this.connection = connection;
    connection.onClose(() => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      // Reopen now, so the next sentence need not wait for a handshake; not a socket that keeps
      // dropping at once (that is left to the next sentence, which reports the failure).
      if (!session.aborted && performance.now() - openedMs >= STABLE_CONNECTION_MS) {
        this.connect(session).catch(() => {});
      }
    });
    return connection;
  }

  private async apiKey(): Promise<string> {
    let key: string;
    try {
      key = typeof this.options.apiKey === 'string' ? this.options.apiKey : await this.options.apiKey();
    } catch (e) {
      throw new TTSConfigurationError(
        `no Cartesia API key: ${e instanceof Error ? e.message : String(e)}; set CARTESIA_API_KEY or the agent's tts.credential`,
        { cause: e },
      );
    }
    if (!key) {
      throw new TTSConfigurationError(
        "no Cartesia API key: set CARTESIA_API_KEY or the agent's tts.credential",
      );
    }
    return key;
  }

  /** The context for the next sentence: the current response's when it can still take input, else a new one. */
  private turnFor(connection: CartesiaConnection, continuing: boolean): Turn {
    const current = this.turn;
    if (
      continuing &&
      current &&
      !current.ended &&
      current.connection === connection &&
      performance.now() - current.lastMessageMs < CONTEXT_REUSE_WINDOW_MS
    ) {
      return current;
    }
    if (current) this.forget(current); // expired: Cartesia closed it already
    const turn: Turn = {
      id: randomUUID(),
      connection,
      sentences: 0,
      samples: 0,
      lastMessageMs: performance.now(),
      ended: false,
    };
    if (continuing) this.turn = turn;
    return turn;
  }

  /** Sends one sentence: a continuation plus a flush inside a response, else a whole context. */
  private async send(turn: Turn, text: string, continuing: boolean): Promise<void> {
    const transcript = turn.sentences > 0 ? ` ${text}` : text; // continuations are joined verbatim
    turn.sentences++;
    if (!continuing) {
      await turn.connection.send(this.request(turn.id, transcript, false));
      return;
    }
    await turn.connection.send(this.request(turn.id, transcript, true));
    await turn.connection.send({ ...this.request(turn.id, '', true), flush: true });
  }

  /** Closes a response's context (empty transcript, `continue: false`); its `done` is not awaited. */
  private async endTurn(turn: Turn): Promise<void> {
    this.forget(turn);
    if (!turn.connection.isOpen) return;
    await turn.connection.send(this.request(turn.id, '', false)).catch(() => {});
  }

  /** Cancels a context at Cartesia (`{ context_id, cancel: true }`) unless it was already cancelled or finished. */
  private cancel(turn: Turn): void {
    const open = !turn.ended;
    this.forget(turn);
    if (!open || !turn.connection.isOpen) return;
    turn.connection.send({ context_id: turn.id, cancel: true }).catch(() => {});
  }

  private forget(turn: Turn): void {
    turn.ended = true;
    if (this.turn === turn) this.turn = undefined;
  }

  /** A generation request; every input of a context repeats the same fields but `transcript` and `continue`. */
  private request(contextId: string, transcript: string, more: boolean): GenerationRequest {
    return {
      context_id: contextId,
      model_id: this.model,
      transcript,
      voice: { mode: 'id', id: this.voiceId },
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: this.sampleRateHz },
      add_timestamps: true,
      continue: more,
      ...(this.language ? { language: this.language } : {}),
      ...(this.generationConfig ? { generation_config: this.generationConfig } : {}),
    };
  }
}

/** Little-endian 16-bit PCM bytes as samples (copied: the SDK's buffer may be unaligned). An odd last byte is dropped. */
function pcm16(bytes: Uint8Array): Int16Array {
  const samples = new Int16Array(bytes.length >> 1);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 2));
  return samples;
}

function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && !(value >= min && value <= max)) {
    throw new TTSConfigurationError(`Cartesia ${name} must be between ${min} and ${max}, got ${value}`);
  }
}
