import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { WebSocket } from 'ws';
import { LoopbackServer, pollUntil, refuseHandshake } from './loopback-server.ts';
import { fetchTrusting } from './trusting-fetch.ts';

/** How the fake answers one transcript (see {@link FakeCartesiaServer.reply}). */
export interface FakeCartesiaReply {
  /** Length of the audio, ms. Default 80 ms per word. */
  readonly durationMs?: number;
  /** Wait before the first audio chunk, ms. Default 0. */
  readonly latencyMs?: number;
  /** Answer with an `error` message instead of audio (e.g. `{ status: 429, title: 'Rate limited' }`). */
  readonly error?: { readonly status: number; readonly title?: string; readonly message?: string };
  /**
   * Destroy the connection's TCP socket (no close frame): `'on_receipt'` as soon as the
   * transcript arrives, `'mid_audio'` after its first audio chunk.
   */
  readonly drop?: 'on_receipt' | 'mid_audio';
  /** Never answer this transcript, nor anything after it on its context. */
  readonly hang?: boolean;
  /** Keep sending this transcript's audio after a cancel of its context, as audio already in flight would arrive. */
  readonly ignoreCancel?: boolean;
}

/** Options of {@link FakeCartesiaServer.start}. */
export interface FakeCartesiaServerOptions {
  /**
   * When set, the handshake must carry this key (`Authorization: Bearer <key>`, `X-API-Key`
   * or the `api_key` query parameter) or is refused with 401.
   */
  readonly apiKey?: string;
  /**
   * When set, generation requests for other voice ids get an `error` message (status 400), and
   * `GET /voices/{id}` answers 404 for them.
   */
  readonly voiceIds?: readonly string[];
  /** Length of the audio chunks sent, ms. Default 40. */
  readonly chunkMs?: number;
}

/** A generation request as the fake received it (https://docs.cartesia.ai/api-reference/tts/websocket). */
export interface FakeCartesiaRequest {
  readonly context_id: string;
  readonly transcript: string;
  readonly continue?: boolean;
  readonly flush?: boolean;
  readonly model_id?: string;
  readonly voice?: { readonly mode?: string; readonly id?: string } | string;
  readonly output_format?: {
    readonly container?: string;
    readonly encoding?: string;
    readonly sample_rate?: number;
  };
  readonly language?: string;
  readonly add_timestamps?: boolean;
  readonly generation_config?: Record<string, unknown>;
}

/** What the fake saw on one `/tts/websocket` connection. */
export interface FakeCartesiaConnection {
  /** The handshake's headers (`authorization`, `cartesia-version`, …). */
  readonly headers: IncomingHttpHeaders;
  /** The handshake's query parameters (browsers send `api_key` and `cartesia_version` here). */
  readonly query: URLSearchParams;
  /** The `Cartesia-Version` the client asked for (header or query). */
  readonly version: string;
  /** Generation requests received, in order. */
  readonly requests: FakeCartesiaRequest[];
  /** `context_id`s of the cancel messages received, in order. */
  readonly cancels: string[];
  /** Audio `chunk` messages sent. */
  chunksSent: number;
  /** The socket closed (either side). */
  closed: boolean;
}

/** One input of a context, as {@link FakeCartesiaServer.contexts} lists it. */
export interface FakeCartesiaInput {
  readonly transcript: string;
  readonly continue: boolean;
  readonly flush: boolean;
}

interface Context {
  readonly id: string;
  /** Inputs are answered in order, each after the previous one. */
  chain: Promise<void>;
  /** Audio sent so far, samples: word timestamps count from the context's first sample. */
  samples: number;
  flushId: number;
  /** Cancelled, failed, hung or done: nothing more is sent. */
  over: boolean;
  /** A reply with `ignoreCancel` is being answered: a cancel does not stop it. */
  ignoresCancel: boolean;
}

interface Live {
  readonly record: FakeCartesiaConnection;
  readonly ws: WebSocket;
  readonly tcp: Socket;
  readonly contexts: Map<string, Context>;
}

const RATES_HZ = [8000, 16000, 22050, 24000, 44100, 48000];
const BYTES_PER_SAMPLE: Record<string, number> = { pcm_s16le: 2, pcm_f32le: 4, pcm_mulaw: 1, pcm_alaw: 1 };
const run = promisify(execFile);

/**
 * A fake Cartesia TTS WebSocket server on 127.0.0.1 (random port) for tests, speaking the
 * protocol of https://docs.cartesia.ai/api-reference/tts/websocket closely enough for the
 * official `@cartesia/cartesia-js` SDK.
 *
 * TLS: the SDK always connects with `wss://`, so the fake serves HTTPS with a self-signed
 * certificate for 127.0.0.1, made with the `openssl` command when it starts; pass {@link url}
 * as the SDK's `baseURL` and trust {@link ca}.
 *
 * `GET /tts/websocket` upgrades after checking the key (`Authorization: Bearer`, `X-API-Key` or
 * `api_key`) and that a `Cartesia-Version` header or `cartesia_version` parameter is present
 * (400 without). Each context's inputs are answered in order: a transcript with `chunk`
 * messages (base64 audio: a 440 Hz tone for `pcm_s16le`, silence otherwise, at the requested
 * `sample_rate`) and, with `add_timestamps`, one `timestamps` message whose `word_timestamps`
 * (seconds) count from the context's first sample; `flush: true` with `flush_done` (`flush_id`
 * 1, 2, …); `continue: false` with `done`. `{ context_id, cancel: true }` stops a context.
 *
 * `GET /voices/{id}` (https://docs.cartesia.ai/api-reference/voices/get), the service check's
 * read, checks the key and version as the handshake does (401 / 400) and answers the voice, or
 * 404 for an id outside `voiceIds`, errors as Cartesia's JSON error object
 * (https://docs.cartesia.ai/use-the-api/api-errors); {@link fetch} trusts the certificate.
 *
 * Scripting: {@link reply} per transcript (audio length, latency, `error` messages, dropped
 * sockets, hangs), {@link rejectNext} for refused handshakes, {@link hangNextHandshake},
 * {@link dropAll}. Recording: {@link connections} (headers, requests, cancels), {@link contexts}.
 *
 * @example
 * const fake = await FakeCartesiaServer.start({ apiKey: 'test' });
 * const tts = new CartesiaTTSService({ apiKey: 'test', baseUrl: fake.url, ca: fake.ca });
 */
export class FakeCartesiaServer {
  /** Every accepted connection, oldest first. */
  readonly connections: FakeCartesiaConnection[] = [];
  /** Handshakes refused (bad key, no version, {@link rejectNext}). */
  rejected = 0;
  /** Paths of the REST requests (`/voices/{id}`), oldest first. */
  readonly reads: string[] = [];
  /** A `fetch` that trusts the fake's certificate, for the SDK's REST calls (its `fetch` option). */
  readonly fetch: typeof fetch;
  private readonly replies = new Map<string, FakeCartesiaReply[]>();
  private readonly rejections: number[] = [];
  private hangHandshakes = 0;
  private readonly live = new Set<Live>();

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeCartesiaServerOptions,
    /** Base URL, `https://127.0.0.1:<port>`: pass it as the SDK's `baseURL` (the service's `baseUrl`). */
    readonly url: string,
    /** The server's self-signed certificate (PEM), to trust as the client's `ca`. */
    readonly ca: string,
  ) {
    this.fetch = fetchTrusting(ca);
  }

  /**
   * Start listening on 127.0.0.1 on a free port.
   * @throws when the `openssl` command is missing (it makes the TLS certificate)
   */
  static async start(options: FakeCartesiaServerOptions = {}): Promise<FakeCartesiaServer> {
    const { key, cert } = await selfSignedCertificate();
    let fake: FakeCartesiaServer | undefined;
    const loop = await LoopbackServer.start({
      tls: { key, cert },
      request: (req, res) => fake?.http(req, res),
      upgrade: (req, socket, head) => fake?.upgrade(req, socket, head),
    });
    fake = new FakeCartesiaServer(loop, options, loop.url('https'), cert);
    return fake;
  }

  /** Answer the next inputs whose transcript (trimmed) is `transcript` with these replies, one each, in order. Returns `this`. */
  reply(transcript: string, ...replies: FakeCartesiaReply[]): this {
    const key = transcript.trim();
    this.replies.set(key, [...(this.replies.get(key) ?? []), ...replies]);
    return this;
  }

  /** Refuse the next handshakes with these HTTP statuses, one per handshake. Returns `this`. */
  rejectNext(...statuses: number[]): this {
    this.rejections.push(...statuses);
    return this;
  }

  /** Never answer the next handshake (the client's handshake timeout must end it). Returns `this`. */
  hangNextHandshake(): this {
    this.hangHandshakes++;
    return this;
  }

  /** Destroy every open connection's TCP socket now (no close frame). */
  dropAll(): void {
    for (const l of this.live) this.drop(l);
  }

  /** The most recent connection (throws when none was accepted). */
  get last(): FakeCartesiaConnection {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no connection was accepted');
    return c;
  }

  /** Every generation request received, on all connections, in order. */
  get requests(): FakeCartesiaRequest[] {
    return this.connections.flatMap((c) => c.requests);
  }

  /** Every `context_id` cancelled, on all connections, in order. */
  get cancels(): string[] {
    return this.connections.flatMap((c) => c.cancels);
  }

  /** The inputs of each context, in the order the contexts began (all connections). */
  contexts(): Array<{ readonly contextId: string; readonly inputs: FakeCartesiaInput[] }> {
    const byId = new Map<string, FakeCartesiaInput[]>();
    for (const r of this.requests) {
      const inputs = byId.get(r.context_id) ?? [];
      inputs.push({ transcript: r.transcript, continue: r.continue === true, flush: r.flush === true });
      byId.set(r.context_id, inputs);
    }
    return [...byId].map(([contextId, inputs]) => ({ contextId, inputs }));
  }

  /** Resolves once `count` connections were accepted (polls every 10 ms; throws after `timeoutMs`, default 5000). */
  async waitForConnections(count: number, timeoutMs = 5000): Promise<void> {
    await this.until(() => this.connections.length >= count, timeoutMs, `${count} connections`);
  }

  /** Resolves once `test` holds (polls every 10 ms; throws after `timeoutMs`, default 5000). */
  async until(test: () => boolean, timeoutMs = 5000, what = 'the condition'): Promise<void> {
    await pollUntil(test, timeoutMs, what, 'FakeCartesiaServer');
  }

  /** Close every connection and stop listening. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  /** `GET /voices/{id}`; anything else 404. */
  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://localhost');
    this.reads.push(url.pathname);
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    const fail = (status: number, title: string, message: string) =>
      send(status, { error_code: null, title, message, request_id: randomUUID() });
    const voice = /^\/voices\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !voice) {
      fail(404, 'Not found', `no route ${req.method} ${url.pathname}`);
      return;
    }
    const key = bearer(req.headers.authorization) ?? header(req.headers['x-api-key']);
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      fail(401, 'Unauthorized', 'Invalid API key');
      return;
    }
    if (!header(req.headers['cartesia-version'])) {
      fail(400, 'Bad request', 'Cartesia-Version header is required');
      return;
    }
    const id = decodeURIComponent(voice[1] ?? '');
    if (this.options.voiceIds && !this.options.voiceIds.includes(id)) {
      fail(404, 'Not found', `Voice ${id} not found`);
      return;
    }
    send(200, {
      id,
      name: 'Fake voice',
      description: '',
      language: 'en',
      is_owner: false,
      access: 'public',
      created_at: '2026-01-01T00:00:00Z',
    });
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.hangHandshakes > 0) {
      this.hangHandshakes--;
      return; // the socket stays open, unanswered, until the client gives up or close()
    }
    const url = new URL(req.url ?? '/', 'https://localhost');
    const key =
      bearer(req.headers.authorization) ??
      header(req.headers['x-api-key']) ??
      url.searchParams.get('api_key');
    const version = header(req.headers['cartesia-version']) ?? url.searchParams.get('cartesia_version');
    let status = url.pathname === '/tts/websocket' ? this.rejections.shift() : 404;
    if (status === undefined && this.options.apiKey !== undefined && key !== this.options.apiKey)
      status = 401;
    if (status === undefined && !version) status = 400;
    if (status !== undefined) {
      this.rejected++;
      refuseHandshake(socket, status, { error: `HTTP ${status}` });
      return;
    }
    this.loop.accept(req, socket, head, (ws) => {
      const record: FakeCartesiaConnection = {
        headers: req.headers,
        query: url.searchParams,
        version: version ?? '',
        requests: [],
        cancels: [],
        chunksSent: 0,
        closed: false,
      };
      this.connections.push(record);
      const live: Live = { record, ws, tcp: socket, contexts: new Map() };
      this.live.add(live);
      ws.on('message', (data) => this.receive(live, data.toString()));
      ws.on('close', () => {
        record.closed = true;
        this.live.delete(live);
      });
      ws.on('error', () => {}); // a dropped client shows up as `close`
    });
  }

  private receive(live: Live, text: string): void {
    let m: FakeCartesiaRequest & { cancel?: boolean };
    try {
      m = JSON.parse(text) as FakeCartesiaRequest & { cancel?: boolean };
    } catch {
      this.send(live, {
        type: 'error',
        status_code: 400,
        title: 'Invalid JSON',
        message: 'not JSON',
        done: true,
      });
      return;
    }
    const context = live.contexts.get(m.context_id) ?? this.newContext(live, m.context_id);
    if (m.cancel === true) {
      live.record.cancels.push(m.context_id);
      if (!context.ignoresCancel) context.over = true;
      return;
    }
    live.record.requests.push(m);
    const refusal = this.refusal(m);
    const transcript = (m.transcript ?? '').trim();
    const reply = transcript ? this.replies.get(transcript)?.shift() : undefined;
    if (reply?.ignoreCancel) context.ignoresCancel = true;
    if (reply?.drop === 'on_receipt') {
      this.drop(live);
      return;
    }
    this.enqueue(context, async () => {
      if (refusal) {
        this.fail(live, context, refusal.status, refusal.title);
      } else if (reply?.error) {
        this.fail(live, context, reply.error.status, reply.error.title ?? 'Error', reply.error.message);
      } else if (reply?.hang) {
        context.over = true;
      } else {
        if (transcript) await this.speak(live, context, m, reply ?? {});
        if (context.over) return;
        if (m.flush === true) {
          this.send(live, {
            type: 'flush_done',
            context_id: context.id,
            done: false,
            flush_done: true,
            flush_id: context.flushId,
            status_code: 206,
          });
          context.flushId++;
        }
        if (m.continue !== true) {
          this.send(live, { type: 'done', context_id: context.id, done: true, status_code: 206 });
          context.over = true;
        }
      }
    });
  }

  private newContext(live: Live, id: string): Context {
    const context: Context = {
      id,
      chain: Promise.resolve(),
      samples: 0,
      flushId: 1,
      over: false,
      ignoresCancel: false,
    };
    live.contexts.set(id, context);
    return context;
  }

  /** Runs `step` after the context's earlier inputs were answered, unless the context is over by then. */
  private enqueue(context: Context, step: () => Promise<void>): void {
    context.chain = context.chain.then(() => (context.over ? undefined : step()));
  }

  /** Why Cartesia would refuse this request, if it would. */
  private refusal(m: FakeCartesiaRequest): { status: number; title: string } | undefined {
    const format = m.output_format;
    if (!m.model_id || !m.voice || !format)
      return { status: 400, title: 'model_id, voice and output_format are required' };
    if (format.container !== 'raw' || !RATES_HZ.includes(format.sample_rate ?? 0)) {
      return { status: 400, title: 'Invalid output format' };
    }
    const voiceId = typeof m.voice === 'string' ? m.voice : m.voice.id;
    if (this.options.voiceIds && !this.options.voiceIds.includes(voiceId ?? '')) {
      return { status: 400, title: `Voice ${voiceId} not found` };
    }
    return undefined;
  }

  /** Sends the transcript's audio in chunks, with its word timestamps after the first chunk. */
  private async speak(
    live: Live,
    context: Context,
    m: FakeCartesiaRequest,
    reply: FakeCartesiaReply,
  ): Promise<void> {
    const rate = m.output_format?.sample_rate ?? 8000;
    const encoding = m.output_format?.encoding ?? 'pcm_s16le';
    const words = m.transcript.trim().split(/\s+/);
    const durationMs = reply.durationMs ?? 80 * words.length;
    const total = Math.round((durationMs * rate) / 1000);
    const chunk = Math.max(1, Math.round(((this.options.chunkMs ?? 40) * rate) / 1000));
    if (reply.latencyMs) await new Promise((r) => setTimeout(r, reply.latencyMs));
    const startSecs = context.samples / rate;
    for (let at = 0; at < total; at += chunk) {
      if (context.over || live.ws.readyState !== live.ws.OPEN) return;
      const samples = Math.min(chunk, total - at);
      const data = audioBytes(encoding, context.samples, samples, rate).toString('base64');
      context.samples += samples;
      live.record.chunksSent++;
      this.send(live, {
        type: 'chunk',
        context_id: context.id,
        data,
        done: false,
        status_code: 206,
        step_time: 1,
        flush_id: context.flushId,
      });
      if (at === 0 && reply.drop === 'mid_audio') {
        this.drop(live);
        return;
      }
      if (at === 0 && m.add_timestamps === true) {
        const slotSecs = durationMs / 1000 / words.length;
        this.send(live, {
          type: 'timestamps',
          context_id: context.id,
          done: false,
          status_code: 206,
          flush_id: context.flushId,
          word_timestamps: {
            words,
            start: words.map((_, i) => startSecs + i * slotSecs),
            end: words.map((_, i) => startSecs + (i + 0.8) * slotSecs),
          },
        });
      }
    }
  }

  private fail(live: Live, context: Context, status: number, title: string, message = title): void {
    this.send(live, {
      type: 'error',
      context_id: context.id,
      status_code: status,
      title,
      message,
      done: true,
    });
    context.over = true;
  }

  private send(live: Live, message: Record<string, unknown>): void {
    if (live.ws.readyState === live.ws.OPEN) live.ws.send(JSON.stringify(message));
  }

  private drop(live: Live): void {
    live.record.closed = true;
    this.live.delete(live);
    for (const c of live.contexts.values()) c.over = true;
    live.tcp.destroy();
  }
}

/** `count` samples of audio from sample `offset` on: a 440 Hz tone in 16-bit PCM, silence in other encodings. */
function audioBytes(encoding: string, offset: number, count: number, rateHz: number): Buffer {
  const bytes = Buffer.alloc(count * (BYTES_PER_SAMPLE[encoding] ?? 2));
  if (encoding !== 'pcm_s16le') return bytes;
  for (let i = 0; i < count; i++) {
    bytes.writeInt16LE(Math.round(4000 * Math.sin((2 * Math.PI * 440 * (offset + i)) / rateHz)), i * 2);
  }
  return bytes;
}

function bearer(authorization: string | undefined): string | undefined {
  return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;

/** A self-signed EC certificate for 127.0.0.1, valid one day, made once per process with `openssl`. */
function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  certificate ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-cartesia-'));
    try {
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]);
      return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
}
