import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { LoopbackServer, pollUntil, refuseHandshake } from './loopback-server.ts';

/** The JSON body of one `POST /v1/audio/speech`, as received. */
export interface FakeSpeechBody {
  readonly model: string;
  readonly input: string;
  readonly voice: string;
  readonly response_format?: string;
  readonly instructions?: string;
  readonly speed?: number;
  readonly [key: string]: unknown;
}

/** What the fake saw of one speech request. */
export interface FakeSpeechRequest {
  readonly body: FakeSpeechBody;
  /** The request's `Authorization` header. */
  readonly authorization: string | undefined;
  /** Audio bytes written so far. */
  bytesSent: number;
  /** The client closed the response before its end (an aborted synthesis). */
  aborted: boolean;
}

/**
 * How the fake answers one speech request:
 * - `{ audioMs }` (or `{}`): a 440 Hz tone of that length as 24 kHz PCM16LE (default 10 ms per
 *   input character), in `chunkBytes` pieces (default 4801: odd, so samples straddle chunks),
 *   `chunkDelayMs` apart (default 0), the first after `latencyMs` (default 0);
 * - `{ error: status }`: that HTTP status with an OpenAI-style error body;
 * - `{ hang: true }`: headers, then nothing until the client gives up.
 */
export type FakeSpeechReply =
  | {
      readonly audioMs?: number;
      readonly chunkBytes?: number;
      readonly chunkDelayMs?: number;
      readonly latencyMs?: number;
    }
  | { readonly error: number; readonly message?: string }
  | { readonly hang: true };

/**
 * One scripted transcription of {@link FakeOpenAIAudioServer.transcribe}: the transcript of the
 * next utterance, streamed as `deltas` (default: word by word) then `completed`; or
 * `{ fail }`, a `conversation.item.input_audio_transcription.failed` with that message.
 * With server VAD it fires once the connection received `afterBytes` bytes of audio in total
 * (default: any audio after the previous step), with the VAD events before it; with turn
 * detection off it answers the next `input_audio_buffer.commit`. `delayMs` pauses before it.
 */
export type FakeTranscriptionStep = (
  | { readonly transcript: string; readonly deltas?: readonly string[] }
  | { readonly fail: string }
) & { readonly afterBytes?: number; readonly delayMs?: number };

/** What the fake saw on one Realtime WebSocket. */
export interface FakeRealtimeConnection {
  /** The handshake's query parameters (`intent=transcription`). */
  readonly query: URLSearchParams;
  /** The handshake's `Authorization` header. */
  readonly authorization: string | undefined;
  /** `session` of every `session.update`, in order. */
  readonly sessions: Record<string, unknown>[];
  /** Bytes of audio received in `input_audio_buffer.append` (base64-decoded). */
  audioBytes: number;
  /** `type` of every client event, in order. */
  readonly events: string[];
  /** The socket closed (either side). */
  closed: boolean;
}

/** Options of {@link FakeOpenAIAudioServer.start}. */
export interface FakeOpenAIAudioServerOptions {
  /** When set, requests and handshakes must carry `Authorization: Bearer <apiKey>` or get 401. */
  readonly apiKey?: string;
  /** Speech voices accepted; others get HTTP 400. Default: the built-in voices. */
  readonly voices?: readonly string[];
  /** Transcription models accepted in `session.update`; others get an `error` event. Default: the gpt-4o family and whisper-1. */
  readonly transcriptionModels?: readonly string[];
}

interface Live {
  readonly record: FakeRealtimeConnection;
  readonly ws: WebSocket;
  /** The upgraded TCP socket, destroyed to simulate a dropped connection. */
  readonly tcp: Socket;
  /** Audio bytes since the last commit. */
  uncommittedBytes: number;
  items: number;
  dropAfterBytes: number | undefined;
}

const SPEECH_RATE_HZ = 24_000;
const VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'onyx',
  'nova',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
];
const TRANSCRIPTION_MODELS = [
  'gpt-4o-transcribe',
  'gpt-4o-mini-transcribe',
  'gpt-4o-mini-transcribe-2025-12-15',
  'gpt-realtime-whisper',
  'whisper-1',
];

/**
 * A fake of OpenAI's audio APIs on 127.0.0.1 (random port) for tests, close enough to the wire
 * protocol for the official `openai` SDK and a Realtime WebSocket client:
 *
 * - `POST /v1/audio/speech` (https://platform.openai.com/docs/api-reference/audio/createSpeech):
 *   checks `Authorization: Bearer <key>` and the voice, then streams raw 24 kHz PCM16LE
 *   (`response_format: 'pcm'`) as scripted by {@link speak}; records each request and whether
 *   the client aborted it.
 * - `GET /v1/realtime?intent=transcription` upgraded to a WebSocket
 *   (https://platform.openai.com/docs/guides/realtime-transcription): sends `session.created`,
 *   answers `session.update` with `session.updated` (or an `error` event for an unknown
 *   transcription model), decodes `input_audio_buffer.append` audio, and produces the
 *   transcriptions scripted by {@link transcribe} with server VAD (`speech_started`,
 *   `speech_stopped`, `committed`, deltas, `completed` with token usage) or on
 *   `input_audio_buffer.commit` when turn detection is off (`error`
 *   `input_audio_buffer_commit_empty` under 100 ms of audio). {@link rejectNext} refuses
 *   handshakes with an HTTP status; {@link dropAfter} cuts a connection's TCP socket.
 *
 * @example
 * const fake = await FakeOpenAIAudioServer.start({ apiKey: 'test' });
 * const client = new OpenAI({ apiKey: 'test', baseURL: fake.url });
 * await fake.close();
 */
export class FakeOpenAIAudioServer {
  /** Every speech request, oldest first. */
  readonly speechRequests: FakeSpeechRequest[] = [];
  /** Every accepted Realtime connection, oldest first. */
  readonly connections: FakeRealtimeConnection[] = [];
  /** Realtime handshakes refused (bad key or {@link rejectNext}). */
  rejected = 0;
  private readonly replies: FakeSpeechReply[] = [];
  private readonly steps: FakeTranscriptionStep[] = [];
  private readonly rejections: number[] = [];
  private dropBytes: number | undefined;
  private readonly live = new Set<Live>();
  private sending = false;

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeOpenAIAudioServerOptions,
    /** Base URL with the version path, e.g. `http://127.0.0.1:41234/v1`: the SDK's `baseURL`. */
    readonly url: string,
  ) {}

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(options: FakeOpenAIAudioServerOptions = {}): Promise<FakeOpenAIAudioServer> {
    let fake: FakeOpenAIAudioServer | undefined;
    const loop = await LoopbackServer.start({
      request: (req, res) => fake?.request(req, res),
      upgrade: (req, socket, head) => fake?.upgrade(req, socket, head),
    });
    fake = new FakeOpenAIAudioServer(loop, options, loop.url('http', '/v1'));
    return fake;
  }

  /** Queue answers to the next speech requests, one each (then the default `{}`). Returns `this`. */
  speak(...replies: FakeSpeechReply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** Queue transcriptions, produced in order on the open Realtime connection. Returns `this`. */
  transcribe(...steps: FakeTranscriptionStep[]): this {
    this.steps.push(...steps);
    this.pump();
    return this;
  }

  /** Refuse the next Realtime handshakes with these HTTP statuses, one per handshake. Returns `this`. */
  rejectNext(...statuses: number[]): this {
    this.rejections.push(...statuses);
    return this;
  }

  /** Destroy the open (else the next) Realtime connection's TCP socket once it received `bytes` more audio. */
  dropAfter(bytes: number): void {
    const open = [...this.live].at(-1);
    if (open) open.dropAfterBytes = open.record.audioBytes + bytes;
    else this.dropBytes = bytes;
  }

  /** The most recent Realtime connection (throws when none was accepted). */
  get last(): FakeRealtimeConnection {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no Realtime connection was accepted');
    return c;
  }

  /** Resolves once `test` holds (polls every 10 ms; throws after `timeoutMs`, default 5000). */
  async until(test: () => boolean, timeoutMs = 5000, what = 'the condition'): Promise<void> {
    await pollUntil(test, timeoutMs, what, 'FakeOpenAIAudioServer');
  }

  /** Close every connection and stop listening. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  private authorized(authorization: string | undefined): boolean {
    return this.options.apiKey === undefined || authorization === `Bearer ${this.options.apiKey}`;
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST' || req.url !== '/v1/audio/speech') {
      sendError(res, 404, `Unknown path ${req.url}`);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: FakeSpeechBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as FakeSpeechBody;
      } catch {
        sendError(res, 400, 'Invalid JSON body');
        return;
      }
      const record: FakeSpeechRequest = {
        body,
        authorization: req.headers.authorization,
        bytesSent: 0,
        aborted: false,
      };
      this.speechRequests.push(record);
      const reply = this.replies.shift() ?? {};
      if (!this.authorized(record.authorization)) {
        sendError(res, 401, 'Incorrect API key provided');
      } else if (!(this.options.voices ?? VOICES).includes(body.voice)) {
        sendError(res, 400, `Invalid value for 'voice': ${body.voice}`, 'voice');
      } else if ('error' in reply) {
        sendError(res, reply.error, reply.message ?? `Fake error ${reply.error}`);
      } else {
        this.streamSpeech(res, record, reply);
      }
    });
  }

  private streamSpeech(
    res: ServerResponse,
    record: FakeSpeechRequest,
    reply: Exclude<FakeSpeechReply, { error: number }>,
  ): void {
    let finished = false;
    res.on('close', () => {
      if (!finished) record.aborted = true;
    });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if ('hang' in reply) return;
    const audio = tone(((reply.audioMs ?? record.body.input.length * 10) * SPEECH_RATE_HZ) / 1000);
    const chunkBytes = reply.chunkBytes ?? 4801;
    let offset = 0;
    const next = () => {
      if (record.aborted) return;
      if (offset >= audio.length) {
        finished = true;
        res.end();
        return;
      }
      const piece = audio.subarray(offset, offset + chunkBytes);
      offset += piece.length;
      record.bytesSent += piece.length;
      res.write(piece);
      setTimeout(next, reply.chunkDelayMs ?? 0);
    };
    setTimeout(next, reply.latencyMs ?? 0);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const authorization = req.headers.authorization;
    let status = url.pathname === '/v1/realtime' ? this.rejections.shift() : 404;
    if (status === undefined && !this.authorized(authorization)) status = 401;
    if (status !== undefined) {
      this.rejected++;
      refuseHandshake(socket, status, {
        error: { message: `HTTP ${status}`, type: 'invalid_request_error', code: null },
      });
      return;
    }
    this.loop.accept(req, socket, head, (ws) => {
      const record: FakeRealtimeConnection = {
        query: url.searchParams,
        authorization,
        sessions: [],
        audioBytes: 0,
        events: [],
        closed: false,
      };
      this.connections.push(record);
      const live: Live = {
        record,
        ws,
        tcp: socket,
        uncommittedBytes: 0,
        items: 0,
        dropAfterBytes: this.dropBytes,
      };
      this.dropBytes = undefined;
      this.live.add(live);
      ws.on('message', (data) => this.receive(live, data));
      ws.on('close', () => {
        record.closed = true;
        this.live.delete(live);
      });
      ws.on('error', () => {}); // a dropped client shows up as `close`
      this.send(live, 'session.created', { session: this.session(live) });
    });
  }

  private receive(live: Live, data: RawData): void {
    let event: { type?: unknown; session?: unknown; audio?: unknown };
    try {
      event = JSON.parse(data.toString()) as typeof event;
    } catch {
      this.sendEventError(live, 'invalid_json', 'The event is not valid JSON');
      return;
    }
    const type = String(event.type);
    live.record.events.push(type);
    if (type === 'session.update') {
      const session = (event.session ?? {}) as Record<string, unknown>;
      live.record.sessions.push(session);
      const model = transcriptionModel(session);
      if (
        model !== undefined &&
        !(this.options.transcriptionModels ?? TRANSCRIPTION_MODELS).includes(model)
      ) {
        this.sendEventError(
          live,
          'invalid_value',
          `Invalid value: '${model}'. Supported values are: ${(this.options.transcriptionModels ?? TRANSCRIPTION_MODELS).join(', ')}.`,
          'session.audio.input.transcription.model',
        );
        return;
      }
      this.send(live, 'session.updated', { session: this.session(live) });
    } else if (type === 'input_audio_buffer.append') {
      const bytes = Buffer.from(String(event.audio ?? ''), 'base64').byteLength;
      live.record.audioBytes += bytes;
      live.uncommittedBytes += bytes;
      if (live.dropAfterBytes !== undefined && live.record.audioBytes >= live.dropAfterBytes) {
        live.record.closed = true;
        this.live.delete(live);
        live.tcp.destroy();
        return;
      }
      if (!this.manual(live)) this.pump();
    } else if (type === 'input_audio_buffer.commit') {
      if (live.uncommittedBytes < this.bytesPerSecond(live) / 10) {
        this.sendEventError(
          live,
          'input_audio_buffer_commit_empty',
          'Error committing input audio buffer: buffer too small. Expected at least 100ms of audio.',
        );
        return;
      }
      const item = this.commit(live);
      const step = this.steps.shift();
      if (step) this.after(step, () => this.deliver(live, item, step));
      else this.deliver(live, item, { transcript: '' });
    }
  }

  /** Sends the next scripted step once its audio threshold is met (server VAD). */
  private pump(): void {
    if (this.sending) return;
    const step = this.steps[0];
    const live = [...this.live].at(-1);
    if (!step || !live || this.manual(live) || live.record.audioBytes < (step.afterBytes ?? 1)) return;
    this.steps.shift();
    this.sending = true;
    this.after(step, () => {
      this.sending = false;
      if (live.ws.readyState !== live.ws.OPEN) return;
      const endMs = Math.round((live.record.audioBytes / this.bytesPerSecond(live)) * 1000);
      this.send(live, 'input_audio_buffer.speech_started', {
        audio_start_ms: 0,
        item_id: `item_${live.items + 1}`,
      });
      this.send(live, 'input_audio_buffer.speech_stopped', {
        audio_end_ms: endMs,
        item_id: `item_${live.items + 1}`,
      });
      this.deliver(live, this.commit(live), step);
      this.pump();
    });
  }

  private after(step: FakeTranscriptionStep, run: () => void): void {
    if (step.delayMs) setTimeout(run, step.delayMs);
    else run();
  }

  private commit(live: Live): string {
    live.uncommittedBytes = 0;
    const item = `item_${++live.items}`;
    this.send(live, 'input_audio_buffer.committed', {
      item_id: item,
      previous_item_id: live.items > 1 ? `item_${live.items - 1}` : null,
    });
    return item;
  }

  private deliver(live: Live, item: string, step: FakeTranscriptionStep): void {
    if (live.ws.readyState !== live.ws.OPEN) return;
    if ('fail' in step) {
      this.send(live, 'conversation.item.input_audio_transcription.failed', {
        item_id: item,
        content_index: 0,
        error: { type: 'transcription_error', code: 'audio_unintelligible', message: step.fail, param: null },
      });
      return;
    }
    const deltas = step.deltas ?? step.transcript.split(/(?<= )/);
    for (const delta of deltas) {
      if (delta)
        this.send(live, 'conversation.item.input_audio_transcription.delta', {
          item_id: item,
          content_index: 0,
          delta,
        });
    }
    this.send(live, 'conversation.item.input_audio_transcription.completed', {
      item_id: item,
      content_index: 0,
      transcript: step.transcript,
      usage: {
        type: 'tokens',
        input_tokens: 20,
        output_tokens: Math.max(1, deltas.length),
        total_tokens: 20 + Math.max(1, deltas.length),
        input_token_details: { audio_tokens: 20, text_tokens: 0 },
      },
    });
  }

  /** True when the latest `session.update` turned turn detection off (`turn_detection: null`). */
  private manual(live: Live): boolean {
    const input = audioInput(live.record.sessions.at(-1));
    return input !== undefined && input.turn_detection === null;
  }

  /** Audio bytes per second of the session's input format (`audio/pcm` 24 kHz, `audio/pcmu`/`audio/pcma` 8 kHz). */
  private bytesPerSecond(live: Live): number {
    const format = audioInput(live.record.sessions.at(-1))?.format as { type?: string } | undefined;
    return format?.type === 'audio/pcmu' || format?.type === 'audio/pcma' ? 8000 : SPEECH_RATE_HZ * 2;
  }

  private session(live: Live): Record<string, unknown> {
    return {
      type: 'transcription',
      object: 'realtime.transcription_session',
      id: `sess_fake_${this.connections.indexOf(live.record)}`,
      ...(live.record.sessions.at(-1) ?? {}),
    };
  }

  private send(live: Live, type: string, fields: Record<string, unknown>): void {
    if (live.ws.readyState !== live.ws.OPEN) return;
    live.ws.send(
      JSON.stringify({ type, event_id: `event_${Math.random().toString(36).slice(2)}`, ...fields }),
    );
  }

  private sendEventError(live: Live, code: string, message: string, param: string | null = null): void {
    this.send(live, 'error', {
      error: { type: 'invalid_request_error', code, message, param, event_id: null },
    });
  }
}

function audioInput(session: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const audio = session?.audio as { input?: Record<string, unknown> } | undefined;
  return audio?.input;
}

function transcriptionModel(session: Record<string, unknown>): string | undefined {
  const model = (audioInput(session)?.transcription as { model?: unknown } | undefined)?.model;
  return typeof model === 'string' ? model : undefined;
}

/** `samples` of a 440 Hz tone at 24 kHz as PCM16LE bytes. */
function tone(samples: number): Buffer {
  const n = Math.round(samples);
  const bytes = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    bytes.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / SPEECH_RATE_HZ)), i * 2);
  }
  return bytes;
}

function sendError(res: ServerResponse, status: number, message: string, param: string | null = null): void {
  const type =
    status === 401
      ? 'invalid_request_error'
      : status === 429
        ? 'rate_limit_exceeded'
        : status >= 500
          ? 'server_error'
          : 'invalid_request_error';
  const json = JSON.stringify({
    error: {
      message,
      type,
      param,
      code: status === 401 ? 'invalid_api_key' : param ? 'invalid_value' : null,
    },
  });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
