import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pcmToBytes, pcmToMulaw } from '@parley/pipeline';
import type { RawData, WebSocket } from 'ws';
import { LoopbackServer, pollUntil, refuseHandshake } from './loopback-server.ts';

/**
 * One scripted server message of {@link FakeDeepgramServer.script}:
 * - `{ transcript }`: a `Results` message (interim unless `isFinal`; `speechFinal` marks the
 *   endpointing pause and implies `isFinal`);
 * - `{ utteranceEnd: true }`: an `UtteranceEnd` message.
 *
 * It is sent once the connection has received `afterBytes` bytes of audio in total (default:
 * any audio after the previous step), then `delayMs` later (default 0).
 */
export type FakeDeepgramStep = (
  | { readonly transcript: string; readonly isFinal?: boolean; readonly speechFinal?: boolean }
  | { readonly utteranceEnd: true }
) & { readonly afterBytes?: number; readonly delayMs?: number };

/** Options of {@link FakeDeepgramServer.start}. */
export interface FakeDeepgramServerOptions {
  /** When set, the handshake must carry `Authorization: Token <apiKey>` or is refused with 401. */
  readonly apiKey?: string;
  /** The models `GET /v1/models` lists by kind (canonical names). Default: `nova-3` and `aura-2-thalia-en`. */
  readonly models?: { readonly stt?: readonly string[]; readonly tts?: readonly string[] };
}

/** What the fake saw on one `/v1/listen` connection. */
export interface FakeDeepgramConnection {
  /** The handshake's query parameters (`model`, `encoding`, `sample_rate`, repeated `keyterm`, …). */
  readonly query: URLSearchParams;
  /** The handshake's `Authorization` header. */
  readonly authorization: string | undefined;
  /** Bytes of binary audio received. */
  audioBytes: number;
  /** `type` of every text (control) message received, in order: `KeepAlive`, `Finalize`, `CloseStream`. */
  readonly controls: string[];
  /** The socket closed (either side). */
  closed: boolean;
}

/**
 * How the fake answers one `POST /v1/speak` (see {@link FakeDeepgramServer.speak}):
 * - `{ audioMs }` (or `{}`): a 440 Hz tone of that length (default 10 ms per character) at the
 *   requested `encoding` and `sample_rate`, in `chunkBytes` pieces (default 801: odd, so
 *   16-bit samples straddle chunks), `chunkDelayMs` apart (default 0), the first after
 *   `latencyMs` (default 0);
 * - `{ error: status }`: that HTTP status with a Deepgram error body;
 * - `{ hang: true }`: headers, then nothing until the client gives up.
 */
export type FakeDeepgramSpeakReply =
  | {
      readonly audioMs?: number;
      readonly chunkBytes?: number;
      readonly chunkDelayMs?: number;
      readonly latencyMs?: number;
    }
  | { readonly error: number; readonly message?: string }
  | { readonly hang: true };

/** What the fake saw of one `POST /v1/speak`. */
export interface FakeDeepgramSpeakRequest {
  /** The query parameters (`model`, `encoding`, `sample_rate`, `container`, …). */
  readonly query: URLSearchParams;
  /** The request's `Authorization` header. */
  readonly authorization: string | undefined;
  /** `text` of the JSON body. */
  readonly text: string;
  /** Audio bytes written so far. */
  bytesSent: number;
  /** The client closed the response before its end (an aborted synthesis). */
  aborted: boolean;
}

interface Live {
  readonly record: FakeDeepgramConnection;
  readonly ws: WebSocket;
  /** The upgraded TCP socket, destroyed to simulate a dropped connection. */
  readonly tcp: Socket;
  /** Audio seconds at the end of the last final result (the next result's `start`). */
  finalEndSecs: number;
  /** The last interim transcript not yet made final (what `Finalize` flushes). */
  pendingInterim: string;
  dropAfterBytes: number | undefined;
}

/**
 * A fake Deepgram live transcription server on 127.0.0.1 (random port) for tests, speaking the
 * WebSocket protocol of https://developers.deepgram.com/reference/speech-to-text/listen-streaming
 * closely enough for the official `@deepgram/sdk`: `GET /v1/listen?<params>` upgrades to a
 * WebSocket after checking `Authorization: Token <key>`; binary frames are audio; text frames
 * are control messages (`KeepAlive`, `Finalize` → a final `Results` with `from_finalize`,
 * `CloseStream` → remaining final, `Metadata`, close 1000). `Results` carry `is_final`,
 * `speech_final`, `start`, `duration` (from the audio received at the declared `encoding` and
 * `sample_rate`) and `channel.alternatives[0].transcript`.
 *
 * Scripted messages come from {@link script}; {@link rejectNext} refuses handshakes with an
 * HTTP status; {@link dropAfter} cuts a connection's TCP socket (no close frame) after some audio.
 *
 * It also answers Aura's REST `POST /v1/speak?model=…&encoding=…&sample_rate=…&container=none`
 * (https://developers.deepgram.com/reference/text-to-speech-api/speak) with streamed raw audio as
 * scripted by {@link speak}, recording each request in {@link speakRequests}.
 *
 * @example
 * const dg = await FakeDeepgramServer.start({ apiKey: 'test' });
 * dg.script({ transcript: 'hel' }, { transcript: 'hello', speechFinal: true });
 * const client = new DeepgramClient({ apiKey: 'test', baseUrl: dg.url });
 * await dg.close();
 */
export class FakeDeepgramServer {
  /** Every accepted connection, oldest first. */
  readonly connections: FakeDeepgramConnection[] = [];
  /** Handshakes refused (bad key or {@link rejectNext}). */
  rejected = 0;
  private readonly steps: FakeDeepgramStep[] = [];
  private readonly rejections: number[] = [];
  private dropBytes: number | undefined;
  private readonly live = new Set<Live>();
  private sending = false;
  /** Every `POST /v1/speak`, oldest first. */
  readonly speakRequests: FakeDeepgramSpeakRequest[] = [];
  private readonly speakReplies: FakeDeepgramSpeakReply[] = [];

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeDeepgramServerOptions,
    /** Base URL, e.g. `ws://127.0.0.1:41234`: pass it as the SDK's `baseUrl`. */
    readonly url: string,
  ) {}

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(options: FakeDeepgramServerOptions = {}): Promise<FakeDeepgramServer> {
    let fake: FakeDeepgramServer | undefined;
    const loop = await LoopbackServer.start({
      request: (req, res) => fake?.request(req, res),
      upgrade: (req, socket, head) => fake?.upgrade(req, socket, head),
    });
    fake = new FakeDeepgramServer(loop, options, loop.url('ws'));
    return fake;
  }

  /** Queue server messages, sent in order to the open connection (see {@link FakeDeepgramStep}). Returns `this`. */
  script(...steps: FakeDeepgramStep[]): this {
    this.steps.push(...steps);
    this.pump();
    return this;
  }

  /** Queue answers to the next `POST /v1/speak` requests, one each (then the default `{}`). Returns `this`. */
  speak(...replies: FakeDeepgramSpeakReply[]): this {
    this.speakReplies.push(...replies);
    return this;
  }

  /** Refuse the next handshakes with these HTTP statuses, one per handshake. Returns `this`. */
  rejectNext(...statuses: number[]): this {
    this.rejections.push(...statuses);
    return this;
  }

  /** Destroy the next connection's TCP socket once it received `bytes` of audio (the open one if any). */
  dropAfter(bytes: number): void {
    const open = [...this.live].at(-1);
    if (open) open.dropAfterBytes = open.record.audioBytes + bytes;
    else this.dropBytes = bytes;
  }

  /** The most recent connection (throws when none was accepted). */
  get last(): FakeDeepgramConnection {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no connection was accepted');
    return c;
  }

  /** Resolves once `count` connections were accepted (polls every 10 ms; throws after `timeoutMs`, default 5000). */
  async waitForConnections(count: number, timeoutMs = 5000): Promise<void> {
    await this.until(() => this.connections.length >= count, timeoutMs, `${count} connections`);
  }

  /** Resolves once `test` holds (polls every 10 ms; throws after `timeoutMs`, default 5000). */
  async until(test: () => boolean, timeoutMs = 5000, what = 'the condition'): Promise<void> {
    await pollUntil(test, timeoutMs, what, 'FakeDeepgramServer');
  }

  /** Close every connection and stop listening. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      if (this.options.apiKey !== undefined && req.headers.authorization !== `Token ${this.options.apiKey}`) {
        speakError(res, 401, 'INVALID_AUTH', 'Invalid credentials.');
        return;
      }
      const names = (list: readonly string[]) => list.map((name) => ({ name, canonical_name: name }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          stt: names(this.options.models?.stt ?? ['nova-3']),
          tts: names(this.options.models?.tts ?? ['aura-2-thalia-en']),
        }),
      );
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/speak') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let text = '';
      try {
        text = String((JSON.parse(Buffer.concat(chunks).toString()) as { text?: unknown }).text ?? '');
      } catch {}
      const record: FakeDeepgramSpeakRequest = {
        query: url.searchParams,
        authorization: req.headers.authorization,
        text,
        bytesSent: 0,
        aborted: false,
      };
      this.speakRequests.push(record);
      const reply = this.speakReplies.shift() ?? {};
      if (this.options.apiKey !== undefined && record.authorization !== `Token ${this.options.apiKey}`) {
        speakError(res, 401, 'INVALID_AUTH', 'Invalid credentials.');
      } else if ('error' in reply) {
        speakError(
          res,
          reply.error,
          reply.error === 400 ? 'UNSUPPORTED_MODEL' : 'FAKE_ERROR',
          reply.message ?? `HTTP ${reply.error}`,
        );
      } else {
        this.streamSpeech(res, record, reply);
      }
    });
  }

  private streamSpeech(
    res: ServerResponse,
    record: FakeDeepgramSpeakRequest,
    reply: Exclude<FakeDeepgramSpeakReply, { error: number }>,
  ): void {
    let finished = false;
    res.on('close', () => {
      if (!finished) record.aborted = true;
    });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'dg-request-id': 'fake' });
    res.flushHeaders();
    if ('hang' in reply) return;
    const rate = Number(record.query.get('sample_rate') ?? 24000);
    const audio = toneBytes(
      ((reply.audioMs ?? record.text.length * 10) * rate) / 1000,
      rate,
      record.query.get('encoding') === 'mulaw',
    );
    const chunkBytes = reply.chunkBytes ?? 801;
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
    let status = url.pathname === '/v1/listen' ? this.rejections.shift() : 404;
    if (
      status === undefined &&
      this.options.apiKey !== undefined &&
      authorization !== `Token ${this.options.apiKey}`
    ) {
      status = 401;
    }
    if (status !== undefined) {
      this.rejected++;
      refuseHandshake(socket, status, {
        err_code: status === 401 ? 'INVALID_AUTH' : 'REFUSED',
        err_msg: `HTTP ${status}`,
      });
      return;
    }
    this.loop.accept(req, socket, head, (ws) => {
      const record: FakeDeepgramConnection = {
        query: url.searchParams,
        authorization,
        audioBytes: 0,
        controls: [],
        closed: false,
      };
      this.connections.push(record);
      const live: Live = {
        record,
        ws,
        tcp: socket,
        finalEndSecs: 0,
        pendingInterim: '',
        dropAfterBytes: this.dropBytes,
      };
      this.dropBytes = undefined;
      this.live.add(live);
      ws.on('message', (data, isBinary) => this.receive(live, data, isBinary));
      ws.on('close', () => {
        record.closed = true;
        this.live.delete(live);
      });
      ws.on('error', () => {}); // a dropped client shows up as `close`
      this.pump();
    });
  }

  private receive(live: Live, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      live.record.audioBytes += Array.isArray(data)
        ? data.reduce((n, b) => n + b.length, 0)
        : data.byteLength;
      if (live.dropAfterBytes !== undefined && live.record.audioBytes >= live.dropAfterBytes) {
        live.record.closed = true;
        this.live.delete(live);
        live.tcp.destroy();
        return;
      }
      this.pump();
      return;
    }
    let type = 'unknown';
    try {
      type = String((JSON.parse(data.toString()) as { type?: unknown }).type);
    } catch {}
    live.record.controls.push(type);
    if (type === 'Finalize') {
      this.sendResult(live, live.pendingInterim, true, false, true);
    } else if (type === 'CloseStream') {
      if (live.pendingInterim) this.sendResult(live, live.pendingInterim, true, false, false);
      live.ws.send(
        JSON.stringify({
          type: 'Metadata',
          transaction_key: 'deprecated',
          request_id: `fake-${this.connections.indexOf(live.record)}`,
          sha256: '',
          created: new Date().toISOString(),
          duration: this.audioSecs(live),
          channels: 1,
        }),
      );
      live.ws.close(1000);
    }
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
      if ('utteranceEnd' in step) {
        live.ws.send(
          JSON.stringify({ type: 'UtteranceEnd', channel: [0, 1], last_word_end: live.finalEndSecs }),
        );
      } else {
        const final = step.isFinal === true || step.speechFinal === true;
        this.sendResult(live, step.transcript, final, step.speechFinal === true, false);
      }
      this.pump();
    };
    if (step.delayMs) setTimeout(send, step.delayMs);
    else send();
  }

  private sendResult(
    live: Live,
    transcript: string,
    final: boolean,
    speechFinal: boolean,
    fromFinalize: boolean,
  ): void {
    if (live.ws.readyState !== live.ws.OPEN) return;
    const end = this.audioSecs(live);
    live.ws.send(
      JSON.stringify({
        type: 'Results',
        channel_index: [0, 1],
        duration: Math.max(0, end - live.finalEndSecs),
        start: live.finalEndSecs,
        is_final: final,
        speech_final: speechFinal,
        from_finalize: fromFinalize,
        channel: { alternatives: [{ transcript, confidence: 0.99, words: [] }] },
        metadata: {
          request_id: 'fake',
          model_info: { name: live.record.query.get('model') ?? '', version: 'fake', arch: 'fake' },
          model_uuid: 'fake',
        },
      }),
    );
    if (final) {
      live.finalEndSecs = end;
      live.pendingInterim = '';
    } else {
      live.pendingInterim = transcript;
    }
  }

  /** Audio seconds received on the connection, at its declared encoding and rate. */
  private audioSecs(live: Live): number {
    const rate = Number(live.record.query.get('sample_rate') ?? 16000);
    const bytesPerSample = live.record.query.get('encoding') === 'linear16' ? 2 : 1;
    return live.record.audioBytes / bytesPerSample / rate;
  }
}

/** `samples` of a 440 Hz tone at `rateHz`: 16-bit little-endian PCM, or G.711 µ-law bytes. */
function toneBytes(samples: number, rateHz: number, mulaw: boolean): Buffer {
  const pcm = new Int16Array(Math.round(samples));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rateHz));
  return mulaw ? Buffer.from(pcmToMulaw(pcm)) : Buffer.from(pcmToBytes(pcm));
}

/** A Deepgram REST error: `{ err_code, err_msg, request_id }` with that status. */
function speakError(res: ServerResponse, status: number, code: string, message: string): void {
  const json = JSON.stringify({ err_code: code, err_msg: message, request_id: 'fake' });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
