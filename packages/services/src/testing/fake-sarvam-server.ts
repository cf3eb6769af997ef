import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { LoopbackServer, pollUntil, refuseHandshake } from './loopback-server.ts';

/**
 * One scripted message of the fake's speech-to-text socket ({@link FakeSarvamServer.scriptStt}):
 * - `{ transcript }`: a `data` message with the transcript (and `languageCode`, default the
 *   connection's `language-code`, or `hi-IN` for `unknown`);
 * - `{ vad }`: an `events` message with that `signal_type`;
 * - `{ error }`: an `error` message with `code` (default `'500'`).
 *
 * It is sent once the connection received `afterBytes` bytes of audio in total (default: any
 * audio after the previous step) and, with `afterFlush`, a `flush` message; then `delayMs` later.
 */
export type FakeSarvamSTTStep = (
  | { readonly transcript: string; readonly languageCode?: string }
  | { readonly vad: 'START_SPEECH' | 'END_SPEECH' }
  | { readonly error: string; readonly code?: string }
) & { readonly afterBytes?: number; readonly afterFlush?: boolean; readonly delayMs?: number };

/**
 * How the fake answers one `flush` on a text-to-speech socket ({@link FakeSarvamServer.scriptTts}):
 * audio after `latencyMs` (default {@link FakeSarvamServer.ttsLatencyMs}); or an `error` message;
 * or nothing (`hang`); or, with `dropAfterChunks`, the TCP socket destroyed after that many audio
 * chunks (0: before any).
 */
export interface FakeSarvamSynthesis {
  readonly latencyMs?: number;
  readonly error?: { readonly message: string; readonly code?: number };
  readonly hang?: true;
  readonly dropAfterChunks?: number;
}

/** Options of {@link FakeSarvamServer.start}. */
export interface FakeSarvamServerOptions {
  /**
   * When set, a handshake must carry this key in the `api-subscription-key` header or the
   * `api-subscription-key.<key>` subprotocol, or is refused with 403 as Sarvam does; a REST
   * read, in the header.
   */
  readonly apiKey?: string;
}

/** What the fake saw on one WebSocket. */
interface FakeSarvamConnection {
  /** The handshake's query parameters. */
  readonly query: URLSearchParams;
  /** The handshake's `api-subscription-key` header. */
  readonly apiKeyHeader: string | undefined;
  /** The subprotocols the client offered (the SDK offers `api-subscription-key.<key>`). */
  readonly protocols: readonly string[];
  /** The socket closed (either side). */
  closed: boolean;
  /** The client closed it (a close frame from the client, not a drop or the fake's own close). */
  closedByClient: boolean;
}

/** What the fake saw on one `/speech-to-text/ws` connection. */
export interface FakeSarvamSTTConnection extends FakeSarvamConnection {
  /** Bytes of audio received (decoded from base64). */
  audioBytes: number;
  /** `sample_rate` and `encoding` of every audio message, in order. */
  readonly audioFormats: { readonly sampleRate: unknown; readonly encoding: unknown }[];
  /** `type` of every control message, in order: `flush`, `config`. */
  readonly controls: string[];
  /** Prompts received in `config` messages. */
  readonly prompts: string[];
}

/** What the fake saw on one `/text-to-speech/ws` connection. */
export interface FakeSarvamTTSConnection extends FakeSarvamConnection {
  /** `data` of the last `config` message. */
  config: Record<string, unknown> | undefined;
  /** Text of every `text` message, in order. */
  readonly texts: string[];
  /** `type` of every other message, in order: `config`, `flush`, `ping`. */
  readonly controls: string[];
  /** Audio messages sent. */
  audioChunks: number;
}

interface Live<C extends FakeSarvamConnection> {
  readonly record: C;
  readonly ws: WebSocket;
  /** The upgraded TCP socket, destroyed to simulate a dropped connection. */
  readonly tcp: Socket;
}

interface SttLive extends Live<FakeSarvamSTTConnection> {
  flushes: number;
  flushesUsed: number;
  /** Audio bytes up to the last transcript (its `audio_duration` counts from there). */
  transcribedBytes: number;
  dropAfterBytes: number | undefined;
}

interface TtsLive extends Live<FakeSarvamTTSConnection> {
  /** Text received since the last flush. */
  pending: string;
  /** A synthesis is being sent: flushes queue behind it. */
  busy: Promise<void>;
}

const STT_PATH = '/speech-to-text/ws';
const TTS_PATH = '/text-to-speech/ws';
const DICTIONARIES_PATH = '/text-to-speech/pronunciation-dictionary';

/**
 * A fake Sarvam streaming server on 127.0.0.1 (random port) for tests, speaking the WebSocket
 * protocols the official `sarvamai` SDK uses (https://docs.sarvam.ai/api-reference-docs/speech-to-text/transcribe/ws,
 * https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream): the upgrade checks the key
 * (`api-subscription-key` header or subprotocol, which it echoes) and answers 403 when it is wrong.
 *
 * `GET /speech-to-text/ws?language-code&model&sample_rate&input_audio_codec&…`: JSON messages
 * `{"audio":{"data","sample_rate","encoding"}}`, `{"type":"flush"}`, `{"type":"config","prompt"}`;
 * answers are scripted with {@link scriptStt}.
 *
 * `GET /text-to-speech/ws?model&send_completion_event`: `config` (first), `text`, `flush`, `ping`.
 * Each `flush` synthesizes the text received since the previous one: a 440 Hz tone of
 * {@link ttsMsPerChar} per character as base64 `linear16` at the config's `speech_sample_rate`,
 * in `audio` messages of {@link ttsChunkMs}, then `{"type":"event","data":{"event_type":"final"}}`
 * when `send_completion_event=true`; {@link scriptTts} changes the answer of the next flushes.
 *
 * {@link rejectNext} refuses handshakes with an HTTP status; {@link dropSttAfter} and
 * {@link dropOpen} cut TCP sockets (no close frame).
 *
 * `GET /text-to-speech/pronunciation-dictionary` (https://docs.sarvam.ai/api-reference-docs/pronunciation-dictionary/list),
 * the service check's free read: `{"dictionary_count":0,"dictionaries":[]}`, or 403 for a wrong key.
 *
 * @example
 * const sarvam = await FakeSarvamServer.start({ apiKey: 'test' });
 * sarvam.scriptStt({ vad: 'END_SPEECH' }, { transcript: 'नमस्ते' });
 * const client = new SarvamAIClient({ apiSubscriptionKey: 'test', baseUrl: sarvam.url });
 * await sarvam.close();
 */
export class FakeSarvamServer {
  /** Every accepted speech-to-text connection, oldest first. */
  readonly sttConnections: FakeSarvamSTTConnection[] = [];
  /** Every accepted text-to-speech connection, oldest first. */
  readonly ttsConnections: FakeSarvamTTSConnection[] = [];
  /** Handshakes refused (bad key or {@link rejectNext}). */
  rejected = 0;
  /** Paths of the REST reads (the key check's `/text-to-speech/pronunciation-dictionary`), oldest first. */
  readonly reads: string[] = [];
  /** Default wait before a synthesis' first audio, ms. */
  ttsLatencyMs = 0;
  /** Audio per character of synthesized text, ms. */
  ttsMsPerChar = 20;
  /** Audio per `audio` message, ms. */
  ttsChunkMs = 100;
  /** Wait between `audio` messages, ms. */
  ttsChunkIntervalMs = 2;
  private readonly sttSteps: FakeSarvamSTTStep[] = [];
  private readonly syntheses: FakeSarvamSynthesis[] = [];
  private readonly rejections: number[] = [];
  private sttDropBytes: number | undefined;
  private readonly sttLive = new Set<SttLive>();
  private readonly ttsLive = new Set<TtsLive>();
  private sending = false;

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeSarvamServerOptions,
    /** Base URL, e.g. `http://127.0.0.1:41234`: pass it as the SDK's `baseUrl`. */
    readonly url: string,
  ) {}

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(options: FakeSarvamServerOptions = {}): Promise<FakeSarvamServer> {
    let fake: FakeSarvamServer | undefined;
    const loop = await LoopbackServer.start({
      request: (req, res) => fake?.http(req, res),
      upgrade: (req, socket, head) => fake?.upgrade(req, socket, head),
    });
    fake = new FakeSarvamServer(loop, options, loop.url('http'));
    return fake;
  }

  /** Queue speech-to-text messages, sent in order to the open connection. Returns `this`. */
  scriptStt(...steps: FakeSarvamSTTStep[]): this {
    this.sttSteps.push(...steps);
    this.pumpStt();
    return this;
  }

  /** Set how the next flushes are answered, one per flush (then audio again). Returns `this`. */
  scriptTts(...syntheses: FakeSarvamSynthesis[]): this {
    this.syntheses.push(...syntheses);
    return this;
  }

  /** Refuse the next handshakes (either path) with these HTTP statuses, one each. Returns `this`. */
  rejectNext(...statuses: number[]): this {
    this.rejections.push(...statuses);
    return this;
  }

  /** Destroy the open speech-to-text connection's TCP socket (or the next one's) once it received `bytes` more audio. */
  dropSttAfter(bytes: number): void {
    const open = [...this.sttLive].at(-1);
    if (open) open.dropAfterBytes = open.record.audioBytes + bytes;
    else this.sttDropBytes = bytes;
  }

  /** Destroy the TCP sockets of the open connections of one kind now. */
  dropOpen(kind: 'stt' | 'tts'): void {
    for (const live of kind === 'stt' ? this.sttLive : this.ttsLive) this.destroy(live);
  }

  /** The most recent speech-to-text connection (throws when none was accepted). */
  get lastStt(): FakeSarvamSTTConnection {
    const c = this.sttConnections.at(-1);
    if (!c) throw new Error('no speech-to-text connection was accepted');
    return c;
  }

  /** The most recent text-to-speech connection (throws when none was accepted). */
  get lastTts(): FakeSarvamTTSConnection {
    const c = this.ttsConnections.at(-1);
    if (!c) throw new Error('no text-to-speech connection was accepted');
    return c;
  }

  /** Resolves once `test` holds (polls every 10 ms; throws after `timeoutMs`, default 5000). */
  async until(test: () => boolean, timeoutMs = 5000, what = 'the condition'): Promise<void> {
    await pollUntil(test, timeoutMs, what, 'FakeSarvamServer');
  }

  /** Close every connection and stop listening. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  /** `GET /text-to-speech/pronunciation-dictionary` (the key check); anything else 404. */
  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET' || url.pathname !== DICTIONARIES_PATH) {
      send(404, { error: { message: 'Not Found', code: 'not_found_error' } });
      return;
    }
    this.reads.push(url.pathname);
    const key = req.headers['api-subscription-key'];
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      send(403, { error: { message: 'Invalid API key', code: 'invalid_api_key_error' } });
      return;
    }
    send(200, { dictionary_count: 0, dictionaries: [] });
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const known = url.pathname === STT_PATH || url.pathname === TTS_PATH;
    const header = req.headers['api-subscription-key'];
    const apiKeyHeader = Array.isArray(header) ? header[0] : header;
    const protocols = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const keys = [apiKeyHeader, ...protocols.map((p) => p.replace(/^api-subscription-key\./, ''))];
    let status = known ? this.rejections.shift() : 404;
    if (status === undefined && this.options.apiKey !== undefined && !keys.includes(this.options.apiKey)) {
      status = 403;
    }
    if (status !== undefined) {
      this.rejected++;
      const code = status === 403 ? 'invalid_api_key_error' : 'invalid_request_error';
      refuseHandshake(socket, status, { error: { message: `HTTP ${status}`, code } });
      return;
    }
    this.loop.accept(req, socket, head, (ws) => {
      const base = {
        query: url.searchParams,
        apiKeyHeader,
        protocols,
        closed: false,
        closedByClient: false,
      };
      if (url.pathname === STT_PATH) this.acceptStt(ws, socket, base);
      else this.acceptTts(ws, socket, base);
    });
  }

  private watch(live: Live<FakeSarvamConnection>, all: Set<Live<FakeSarvamConnection>>): void {
    live.ws.on('close', (code) => {
      if (!live.record.closed && code !== 1006) live.record.closedByClient = true;
      live.record.closed = true;
      all.delete(live);
    });
    live.ws.on('error', () => {}); // a dropped client shows up as `close`
  }

  private destroy(live: SttLive | TtsLive): void {
    live.record.closed = true;
    this.sttLive.delete(live as SttLive);
    this.ttsLive.delete(live as TtsLive);
    live.tcp.destroy();
  }

  // ---- speech to text ----

  private acceptStt(ws: WebSocket, tcp: Socket, base: FakeSarvamConnection): void {
    const record: FakeSarvamSTTConnection = {
      ...base,
      audioBytes: 0,
      audioFormats: [],
      controls: [],
      prompts: [],
    };
    this.sttConnections.push(record);
    const live: SttLive = {
      record,
      ws,
      tcp,
      flushes: 0,
      flushesUsed: 0,
      transcribedBytes: 0,
      dropAfterBytes: this.sttDropBytes,
    };
    this.sttDropBytes = undefined;
    this.sttLive.add(live);
    this.watch(live, this.sttLive as Set<Live<FakeSarvamConnection>>);
    ws.on('message', (data) => this.receiveStt(live, data));
    this.pumpStt();
  }

  private receiveStt(live: SttLive, data: RawData): void {
    const m = parse(data);
    const audio = m.audio;
    if (isRecord(audio)) {
      live.record.audioBytes += Buffer.from(String(audio.data ?? ''), 'base64').length;
      live.record.audioFormats.push({ sampleRate: audio.sample_rate, encoding: audio.encoding });
      if (live.dropAfterBytes !== undefined && live.record.audioBytes >= live.dropAfterBytes) {
        this.destroy(live);
        return;
      }
    } else {
      const type = String(m.type);
      live.record.controls.push(type);
      if (type === 'flush') live.flushes++;
      if (type === 'config' && typeof m.prompt === 'string') live.record.prompts.push(m.prompt);
    }
    this.pumpStt();
  }

  /** Sends the scripted steps whose conditions are met, one at a time, in order. */
  private pumpStt(): void {
    if (this.sending) return;
    const step = this.sttSteps[0];
    const live = [...this.sttLive].at(-1);
    if (!step || !live || live.record.audioBytes < (step.afterBytes ?? 1)) return;
    if (step.afterFlush && live.flushes <= live.flushesUsed) return;
    this.sttSteps.shift();
    if (step.afterFlush) live.flushesUsed = live.flushes;
    this.sending = true;
    const send = () => {
      this.sending = false;
      if (live.ws.readyState === live.ws.OPEN) live.ws.send(JSON.stringify(this.sttMessage(live, step)));
      this.pumpStt();
    };
    if (step.delayMs) setTimeout(send, step.delayMs);
    else send();
  }

  private sttMessage(live: SttLive, step: FakeSarvamSTTStep): Record<string, unknown> {
    if ('vad' in step) {
      return { type: 'events', data: { signal_type: step.vad, occured_at: Date.now() / 1000 } };
    }
    if ('error' in step) return { type: 'error', data: { error: step.error, code: step.code ?? '500' } };
    const rate = Number(live.record.query.get('sample_rate') ?? 16000);
    const seconds = (live.record.audioBytes - live.transcribedBytes) / 2 / rate;
    live.transcribedBytes = live.record.audioBytes;
    const declared = live.record.query.get('language-code');
    return {
      type: 'data',
      data: {
        request_id: `fake-${this.sttConnections.indexOf(live.record)}`,
        transcript: step.transcript,
        language_code: step.languageCode ?? (declared && declared !== 'unknown' ? declared : 'hi-IN'),
        metrics: { audio_duration: seconds, processing_latency: 0.01 },
      },
    };
  }

  // ---- text to speech ----

  private acceptTts(ws: WebSocket, tcp: Socket, base: FakeSarvamConnection): void {
    const record: FakeSarvamTTSConnection = {
      ...base,
      config: undefined,
      texts: [],
      controls: [],
      audioChunks: 0,
    };
    this.ttsConnections.push(record);
    const live: TtsLive = { record, ws, tcp, pending: '', busy: Promise.resolve() };
    this.ttsLive.add(live);
    this.watch(live, this.ttsLive as Set<Live<FakeSarvamConnection>>);
    ws.on('message', (data) => this.receiveTts(live, data));
  }

  private receiveTts(live: TtsLive, data: RawData): void {
    const m = parse(data);
    const type = String(m.type);
    if (type !== 'text') live.record.controls.push(type);
    if (type === 'config') {
      live.record.config = isRecord(m.data) ? m.data : {};
      return;
    }
    if (!live.record.config) {
      sendJson(live.ws, { type: 'error', data: { message: 'the first message must be config', code: 400 } });
      return;
    }
    if (type === 'text' && isRecord(m.data)) {
      const text = String(m.data.text ?? '');
      live.record.texts.push(text);
      live.pending += text;
    } else if (type === 'flush') {
      const text = live.pending;
      live.pending = '';
      const synthesis = this.syntheses.shift() ?? {};
      live.busy = live.busy.then(() => this.synthesize(live, text, synthesis));
    }
  }

  private async synthesize(live: TtsLive, text: string, s: FakeSarvamSynthesis): Promise<void> {
    if (s.hang) return;
    if (s.dropAfterChunks === 0) {
      this.destroy(live);
      return;
    }
    await sleep(s.latencyMs ?? this.ttsLatencyMs);
    if (s.error) {
      sendJson(live.ws, { type: 'error', data: { message: s.error.message, code: s.error.code } });
      return;
    }
    const config = live.record.config ?? {};
    if (config.output_audio_codec !== 'linear16') {
      sendJson(live.ws, { type: 'error', data: { message: 'the fake speaks linear16 only', code: 400 } });
      return;
    }
    const rate = Number(config.speech_sample_rate ?? 22050);
    const pcm = tone(rate, Math.max(1, text.length) * this.ttsMsPerChar);
    const perChunk = Math.max(1, Math.round((rate * this.ttsChunkMs) / 1000));
    for (let i = 0, n = 0; i < pcm.length; i += perChunk, n++) {
      if (n > 0) await sleep(this.ttsChunkIntervalMs);
      if (live.ws.readyState !== live.ws.OPEN) return;
      if (s.dropAfterChunks !== undefined && n >= s.dropAfterChunks) {
        this.destroy(live);
        return;
      }
      const chunk = pcm.subarray(i, i + perChunk);
      const audio = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('base64');
      sendJson(live.ws, {
        type: 'audio',
        data: { content_type: 'audio/wav', audio, request_id: 'fake' },
      });
      live.record.audioChunks++;
    }
    if (live.record.query.get('send_completion_event') === 'true') {
      sendJson(live.ws, {
        type: 'event',
        data: { event_type: 'final', timestamp: new Date().toISOString() },
      });
    }
  }
}

function parse(data: RawData): Record<string, unknown> {
  try {
    const m: unknown = JSON.parse(data.toString());
    return isRecord(m) ? m : {};
  } catch {
    return {};
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sendJson(ws: WebSocket, m: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** A 440 Hz tone, 16-bit mono at `rateHz`, `durationMs` long. */
function tone(rateHz: number, durationMs: number): Int16Array {
  const pcm = new Int16Array(Math.round((rateHz * durationMs) / 1000));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / rateHz));
  return pcm;
}
