import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pcmToBytes, pcmToMulaw } from '@parley/pipeline';
import type { RawData, WebSocket } from 'ws';
import { LoopbackServer, pollUntil, refuseHandshake } from './loopback-server.ts';

/**
 * How the fake answers one TTS request (see {@link FakeElevenLabsServer.replyNext}):
 * - `{ status, body? }`: an error answer with that HTTP status and JSON body (default
 *   `{"detail":{"status":"fake_error","message":"HTTP <status>"}}`), `Retry-After` when given;
 * - `{ hang: true }`: never answers (for timeouts);
 * - otherwise a stream (all fields optional): each character lasts `msPerChar` (default 20),
 *   the text is cut into `chunks` lines (default 3), the first sent after `firstChunkDelayMs`
 *   and the next ones `chunkDelayMs` apart (default 0); `stallAfterChunks` keeps the response
 *   open without more lines after that many (for cancellation); `alignment: 'normalized'` sends
 *   only `normalized_alignment`, `'none'` neither.
 */
export type FakeElevenLabsTTSReply =
  | { readonly status: number; readonly body?: unknown; readonly retryAfterSecs?: number }
  | { readonly hang: true }
  | {
      readonly msPerChar?: number;
      readonly chunks?: number;
      readonly firstChunkDelayMs?: number;
      readonly chunkDelayMs?: number;
      readonly stallAfterChunks?: number;
      readonly alignment?: 'original' | 'normalized' | 'none';
    };

/** What the fake saw of one `POST /v1/text-to-speech/{voice_id}/stream/with-timestamps`. */
export interface FakeElevenLabsTTSRequest {
  readonly voiceId: string;
  /** Query parameters (`output_format`, `optimize_streaming_latency`, …). */
  readonly query: URLSearchParams;
  /** The `xi-api-key` header. */
  readonly apiKey: string | undefined;
  /** The JSON body (`text`, `model_id`, `language_code`, `voice_settings`, …). */
  readonly body: Record<string, unknown>;
  /** HTTP status answered (0 while hanging). */
  status: number;
  /** JSON lines sent. */
  linesSent: number;
  /** The response ended normally. */
  completed: boolean;
  /** The client went away before the response ended (a cancelled synthesis). */
  aborted: boolean;
}

/**
 * One scripted message of the realtime STT socket ({@link FakeElevenLabsServer.script}):
 * `{ partial }` → `partial_transcript`, `{ committed }` → `committed_transcript`,
 * `{ error, message?, close? }` → an error message of that `message_type` (e.g. `rate_limited`),
 * then, with `close`, the socket closed (code 1011). Sent once the connection has received
 * `afterBytes` bytes of audio in total (default: any audio after the previous step), then
 * `delayMs` later (default 0).
 */
export type FakeElevenLabsSTTStep = (
  | { readonly partial: string }
  | { readonly committed: string }
  | { readonly error: string; readonly message?: string; readonly close?: boolean }
) & { readonly afterBytes?: number; readonly delayMs?: number };

/** What the fake saw on one `/v1/speech-to-text/realtime` connection. */
export interface FakeElevenLabsSTTConnection {
  /** Handshake query (`model_id`, `audio_format`, `commit_strategy`, `language_code`, repeated `keyterms`, …). */
  readonly query: URLSearchParams;
  /** The handshake's `xi-api-key` header. */
  readonly apiKey: string | undefined;
  /** Bytes of audio received (base64-decoded `audio_base_64`). */
  audioBytes: number;
  /** `sample_rate` of the last audio chunk. */
  sampleRate: number | undefined;
  /** Manual commits received (`commit: true`). */
  commits: number;
  /** The socket closed (either side). */
  closed: boolean;
}

/** Options of {@link FakeElevenLabsServer.start}. */
export interface FakeElevenLabsServerOptions {
  /**
   * When set, requests and handshakes must carry `xi-api-key: <apiKey>`: TTS answers 401
   * `invalid_api_key`; the STT socket sends `auth_error` and closes (code 1008).
   */
  readonly apiKey?: string;
  /**
   * Voice ids the fake knows; others get `voice_not_found`: 404 from the TTS, 400 from
   * `GET /v1/voices/{voice_id}` (as ElevenLabs answers each). Default: any.
   */
  readonly voices?: readonly string[];
  /**
   * Model ids `GET /v1/models` lists (as TTS models). Default: ElevenLabs' current ones,
   * `eleven_flash_v2_5`, `eleven_turbo_v2_5`, `eleven_multilingual_v2`, `eleven_v3`.
   */
  readonly models?: readonly string[];
  /**
   * Permissions the key lacks (ElevenLabs keys may be restricted per endpoint): with
   * `voices_read`, `GET /v1/voices/{voice_id}` answers 401 `missing_permissions`.
   */
  readonly missingPermissions?: readonly string[];
}

/** The TTS models the fake lists by default. */
const FAKE_ELEVENLABS_TTS_MODELS: readonly string[] = [
  'eleven_flash_v2_5',
  'eleven_turbo_v2_5',
  'eleven_multilingual_v2',
  'eleven_v3',
];

interface LiveSTT {
  readonly record: FakeElevenLabsSTTConnection;
  readonly ws: WebSocket;
  readonly tcp: Socket;
  pendingPartial: string;
  dropAfterBytes: number | undefined;
}

const STT_PATH = '/v1/speech-to-text/realtime';
const TTS_PATH = /^\/v1\/text-to-speech\/([^/]+)\/stream\/with-timestamps$/;
const VOICE_PATH = /^\/v1\/voices\/([^/]+)$/;
const MODELS_PATH = '/v1/models';

/**
 * A fake ElevenLabs API on 127.0.0.1 (random port) for tests, speaking what the official
 * `@elevenlabs/elevenlabs-js` SDK sends and expects, with `xi-api-key` auth:
 * - TTS `POST /v1/text-to-speech/{voice_id}/stream/with-timestamps?output_format=…`
 *   (https://elevenlabs.io/docs/api-reference/text-to-speech/stream-with-timestamps): newline-
 *   delimited JSON `{"audio_base64","alignment","normalized_alignment"}`, alignment as
 *   `characters` / `character_start_times_seconds` / `character_end_times_seconds` from the
 *   request's first sample; audio a 440 Hz tone of the text's length in the requested
 *   `pcm_<rate>` (16-bit LE) or `ulaw_8000`. Scripted with {@link replyNext}.
 * - Realtime STT `GET /v1/speech-to-text/realtime` WebSocket
 *   (https://elevenlabs.io/docs/api-reference/speech-to-text/v-1-speech-to-text-realtime):
 *   `session_started` on connect; `input_audio_chunk` messages counted; a manual commit
 *   answers `committed_transcript` with the last partial; scripted messages from
 *   {@link script}; {@link rejectNextStt} refuses handshakes; {@link dropAfter} cuts the TCP
 *   socket (no close frame) after some audio.
 * - Reads for service checks: `GET /v1/voices/{voice_id}` (https://elevenlabs.io/docs/api-reference/voices/get;
 *   `{"voice_id","name","category"}`, unknown voice → 400 `voice_not_found`) and `GET /v1/models`
 *   (https://elevenlabs.io/docs/api-reference/models/list), recorded in {@link reads}.
 *
 * @example
 * const el = await FakeElevenLabsServer.start({ apiKey: 'test' });
 * const client = new ElevenLabsClient({ apiKey: 'test', baseUrl: el.url });
 * await el.close();
 */
export class FakeElevenLabsServer {
  /** Every TTS request, oldest first. */
  readonly ttsRequests: FakeElevenLabsTTSRequest[] = [];
  /** Every accepted STT connection, oldest first. */
  readonly sttConnections: FakeElevenLabsSTTConnection[] = [];
  /** STT handshakes refused with an HTTP status ({@link rejectNextStt}). */
  sttRejected = 0;
  /** Paths of the reads (`/v1/voices/{voice_id}`, `/v1/models`), oldest first. */
  readonly reads: string[] = [];
  private readonly replies: FakeElevenLabsTTSReply[] = [];
  private readonly steps: FakeElevenLabsSTTStep[] = [];
  private readonly rejections: number[] = [];
  private dropBytes: number | undefined;
  private readonly live = new Set<LiveSTT>();
  private sending = false;

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeElevenLabsServerOptions,
    /** Base URL, e.g. `http://127.0.0.1:41234`: pass it as the SDK's `baseUrl`. */
    readonly url: string,
  ) {}

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(options: FakeElevenLabsServerOptions = {}): Promise<FakeElevenLabsServer> {
    let fake: FakeElevenLabsServer | undefined;
    const loop = await LoopbackServer.start({
      request: (req, res) => fake?.http(req, res),
      upgrade: (req, socket, head) => fake?.upgrade(req, socket, head),
    });
    fake = new FakeElevenLabsServer(loop, options, loop.url('http'));
    return fake;
  }

  /** Answer the next TTS requests this way, one reply per request (then the default stream). Returns `this`. */
  replyNext(...replies: FakeElevenLabsTTSReply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** Queue realtime STT messages, sent in order to the open connection. Returns `this`. */
  script(...steps: FakeElevenLabsSTTStep[]): this {
    this.steps.push(...steps);
    this.pump();
    return this;
  }

  /** Refuse the next STT handshakes with these HTTP statuses, one per handshake. Returns `this`. */
  rejectNextStt(...statuses: number[]): this {
    this.rejections.push(...statuses);
    return this;
  }

  /** Destroy the STT connection's TCP socket once it received `bytes` more audio (the next one's, if none is open). */
  dropAfter(bytes: number): void {
    const open = [...this.live].at(-1);
    if (open) open.dropAfterBytes = open.record.audioBytes + bytes;
    else this.dropBytes = bytes;
  }

  /** The most recent TTS request (throws when none came). */
  get lastTts(): FakeElevenLabsTTSRequest {
    const r = this.ttsRequests.at(-1);
    if (!r) throw new Error('no TTS request came');
    return r;
  }

  /** The most recent STT connection (throws when none was accepted). */
  get lastStt(): FakeElevenLabsSTTConnection {
    const c = this.sttConnections.at(-1);
    if (!c) throw new Error('no STT connection was accepted');
    return c;
  }

  /** Resolves once `test` holds (polls every 10 ms; throws after `timeoutMs`, default 5000). */
  async until(test: () => boolean, timeoutMs = 5000, what = 'the condition'): Promise<void> {
    await pollUntil(test, timeoutMs, what, 'FakeElevenLabsServer');
  }

  /** Close every connection and stop listening. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && (url.pathname === MODELS_PATH || VOICE_PATH.test(url.pathname))) {
      this.answerRead(req, res, url.pathname);
      return;
    }
    const match = TTS_PATH.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      sendJson(res, 404, {
        detail: { status: 'not_found', message: `no route ${req.method} ${url.pathname}` },
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {}
      const record: FakeElevenLabsTTSRequest = {
        voiceId: decodeURIComponent(match[1] ?? ''),
        query: url.searchParams,
        apiKey: header(req, 'xi-api-key'),
        body,
        status: 0,
        linesSent: 0,
        completed: false,
        aborted: false,
      };
      this.ttsRequests.push(record);
      res.on('close', () => {
        if (!res.writableEnded) record.aborted = true;
      });
      this.answerTts(record, res);
    });
  }

  /** `GET /v1/voices/{voice_id}` and `GET /v1/models`, after the same key check as the TTS. */
  private answerRead(req: IncomingMessage, res: ServerResponse, path: string): void {
    this.reads.push(path);
    if (this.options.apiKey !== undefined && header(req, 'xi-api-key') !== this.options.apiKey) {
      sendJson(res, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
      return;
    }
    if (path === MODELS_PATH) {
      const ids = this.options.models ?? FAKE_ELEVENLABS_TTS_MODELS;
      sendJson(
        res,
        200,
        ids.map((id) => ({ model_id: id, name: id, can_do_text_to_speech: true })),
      );
      return;
    }
    if (this.options.missingPermissions?.includes('voices_read')) {
      sendJson(res, 401, {
        detail: {
          status: 'missing_permissions',
          message: 'The API key you used is missing the permission voices_read to execute this operation.',
        },
      });
      return;
    }
    const voiceId = decodeURIComponent(VOICE_PATH.exec(path)?.[1] ?? '');
    if (this.options.voices && !this.options.voices.includes(voiceId)) {
      sendJson(res, 400, {
        detail: { status: 'voice_not_found', message: `A voice for the voice_id ${voiceId} was not found.` },
      });
      return;
    }
    sendJson(res, 200, { voice_id: voiceId, name: 'Fake voice', category: 'premade' });
  }

  private answerTts(record: FakeElevenLabsTTSRequest, res: ServerResponse): void {
    if (this.options.apiKey !== undefined && record.apiKey !== this.options.apiKey) {
      record.status = 401;
      sendJson(res, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
      return;
    }
    if (this.options.voices && !this.options.voices.includes(record.voiceId)) {
      record.status = 404;
      sendJson(res, 404, {
        detail: {
          status: 'voice_not_found',
          code: 'voice_not_found',
          param: 'voice_id',
          message: `A voice with the voice_id ${record.voiceId} was not found.`,
        },
      });
      return;
    }
    const reply = this.replies.shift() ?? {};
    if ('hang' in reply) return;
    if ('status' in reply) {
      record.status = reply.status;
      const headers: Record<string, string> =
        reply.retryAfterSecs !== undefined ? { 'Retry-After': String(reply.retryAfterSecs) } : {};
      sendJson(
        res,
        reply.status,
        reply.body ?? { detail: { status: 'fake_error', message: `HTTP ${reply.status}` } },
        headers,
      );
      return;
    }
    const format = /^(pcm|ulaw)_(\d+)$/.exec(record.query.get('output_format') ?? 'mp3_44100_128');
    if (!format || (format[1] === 'ulaw' && format[2] !== '8000')) {
      record.status = 422;
      sendJson(res, 422, {
        detail: [
          { loc: ['query', 'output_format'], msg: 'the fake synthesizes pcm_<rate> and ulaw_8000 only' },
        ],
      });
      return;
    }
    record.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const lines = synthesizeLines(
      String(record.body.text ?? ''),
      Number(format[2]),
      format[1] === 'ulaw',
      reply.msPerChar ?? 20,
      reply.chunks ?? 3,
      reply.alignment ?? 'original',
    );
    const send = (i: number) => {
      if (res.destroyed) return;
      if (i >= lines.length) {
        record.completed = true;
        res.end();
        return;
      }
      if (reply.stallAfterChunks !== undefined && i >= reply.stallAfterChunks) return;
      res.write(`${lines[i]}\n`);
      record.linesSent++;
      setTimeout(() => send(i + 1), reply.chunkDelayMs ?? 0);
    };
    setTimeout(() => send(0), reply.firstChunkDelayMs ?? 0);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const status = url.pathname === STT_PATH ? this.rejections.shift() : 404;
    if (status !== undefined) {
      this.sttRejected++;
      refuseHandshake(socket, status, { detail: { status: 'refused', message: `HTTP ${status}` } });
      return;
    }
    this.loop.accept(req, socket, head, (ws) => {
      const record: FakeElevenLabsSTTConnection = {
        query: url.searchParams,
        apiKey: header(req, 'xi-api-key'),
        audioBytes: 0,
        sampleRate: undefined,
        commits: 0,
        closed: false,
      };
      this.sttConnections.push(record);
      ws.on('close', () => {
        record.closed = true;
        for (const l of this.live) if (l.ws === ws) this.live.delete(l);
      });
      ws.on('error', () => {}); // a dropped client shows up as `close`
      if (this.options.apiKey !== undefined && record.apiKey !== this.options.apiKey) {
        ws.send(JSON.stringify({ message_type: 'auth_error', error: 'Invalid API key' }));
        ws.close(1008, 'auth_error');
        return;
      }
      const live: LiveSTT = { record, ws, tcp: socket, pendingPartial: '', dropAfterBytes: this.dropBytes };
      this.dropBytes = undefined;
      this.live.add(live);
      ws.on('message', (data) => this.receive(live, data));
      const q = url.searchParams;
      ws.send(
        JSON.stringify({
          message_type: 'session_started',
          session_id: randomUUID(),
          config: {
            sample_rate: Number(/\d+$/.exec(q.get('audio_format') ?? '')?.[0] ?? 16000),
            audio_format: q.get('audio_format') ?? 'pcm_16000',
            language_code: q.get('language_code'),
            commit_strategy: q.get('commit_strategy') ?? 'manual',
            model_id: q.get('model_id'),
            keyterms: q.getAll('keyterms'),
          },
        }),
      );
      this.pump();
    });
  }

  private receive(live: LiveSTT, data: RawData): void {
    let m: { message_type?: unknown; audio_base_64?: unknown; commit?: unknown; sample_rate?: unknown };
    try {
      m = JSON.parse(data.toString()) as typeof m;
    } catch {
      live.ws.send(JSON.stringify({ message_type: 'input_error', error: 'messages must be JSON' }));
      return;
    }
    if (m.message_type !== 'input_audio_chunk') return;
    live.record.audioBytes += Buffer.from(String(m.audio_base_64 ?? ''), 'base64').length;
    if (typeof m.sample_rate === 'number') live.record.sampleRate = m.sample_rate;
    if (live.dropAfterBytes !== undefined && live.record.audioBytes >= live.dropAfterBytes) {
      live.record.closed = true;
      this.live.delete(live);
      live.tcp.destroy();
      return;
    }
    if (m.commit === true) {
      live.record.commits++;
      live.ws.send(JSON.stringify({ message_type: 'committed_transcript', text: live.pendingPartial }));
      live.pendingPartial = '';
    }
    this.pump();
  }

  /** Sends the scripted steps whose audio threshold is met, one at a time, in order. */
  private pump(): void {
    if (this.sending) return;
    const step = this.steps[0];
    const live = [...this.live].at(-1);
    if (!step || !live || live.record.audioBytes < (step.afterBytes ?? 1)) return;
    this.steps.shift();
    this.sending = true;
    const send = () => {
      this.sending = false;
      if (live.ws.readyState === live.ws.OPEN) {
        if ('partial' in step) {
          live.pendingPartial = step.partial;
          live.ws.send(JSON.stringify({ message_type: 'partial_transcript', text: step.partial }));
        } else if ('committed' in step) {
          live.pendingPartial = '';
          live.ws.send(JSON.stringify({ message_type: 'committed_transcript', text: step.committed }));
        } else {
          live.ws.send(JSON.stringify({ message_type: step.error, error: step.message ?? step.error }));
          if (step.close) live.ws.close(1011, step.error);
        }
      }
      this.pump();
    };
    if (step.delayMs) setTimeout(send, step.delayMs);
    else send();
  }
}

/** The JSON lines of a synthesized `text`: a tone with per-character alignment, cut into `chunks` lines. */
function synthesizeLines(
  text: string,
  rateHz: number,
  mulaw: boolean,
  msPerChar: number,
  chunks: number,
  alignment: 'original' | 'normalized' | 'none',
): string[] {
  const chars = Array.from(text);
  const samplesPerChar = (rateHz * msPerChar) / 1000;
  const count = Math.max(1, Math.min(chunks, chars.length));
  const lines: string[] = [];
  for (let k = 0; k < count; k++) {
    const from = Math.floor((k * chars.length) / count);
    const to = Math.floor(((k + 1) * chars.length) / count);
    const first = Math.round(from * samplesPerChar);
    const pcm = new Int16Array(Math.round(to * samplesPerChar) - first);
    for (let i = 0; i < pcm.length; i++)
      pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * (first + i)) / rateHz));
    const audio = Buffer.from(mulaw ? pcmToMulaw(pcm) : pcmToBytes(pcm));
    const span = {
      characters: chars.slice(from, to),
      character_start_times_seconds: chars.slice(from, to).map((_, i) => ((from + i) * msPerChar) / 1000),
      character_end_times_seconds: chars.slice(from, to).map((_, i) => ((from + i + 1) * msPerChar) / 1000),
    };
    lines.push(
      JSON.stringify({
        audio_base64: audio.toString('base64'),
        alignment: alignment === 'original' ? span : null,
        normalized_alignment: alignment === 'none' ? null : span,
      }),
    );
  }
  return lines;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
