import { mulawToPcm, pcmToMulaw } from '@parley/pipeline';
import WebSocket from 'ws';

/** A message the simulator received from the server. */
export interface ReceivedMessage {
  /** ms since the simulator connected. */
  readonly atMs: number;
  readonly event: string;
  readonly raw: Record<string, unknown>;
}

/** Options of {@link TwilioCallSimulator}. */
export interface TwilioCallSimulatorOptions {
  /** The media stream URL, e.g. `ws://127.0.0.1:8080/ws/twilio/demo`. */
  readonly url: string;
  /** `start.customParameters` (what `<Parameter>`s would carry). */
  readonly customParameters?: Record<string, string>;
  /** Extra upgrade headers (e.g. `X-Twilio-Signature`). */
  readonly headers?: Record<string, string>;
  readonly callSid?: string;
  readonly streamSid?: string;
}

const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
const FRAME_MS = 20;

/**
 * Plays the Twilio side of a Media Streams call against a Parley server: sends `connected`,
 * `start`, 20 ms µ-law `media` frames in real time, `dtmf`, `stop`; emulates the phone's
 * playback of the bot's audio (a real-time queue), echoes each `mark` when the audio before it
 * was played, and honours `clear` (drops queued audio and echoes the pending marks, as Twilio
 * does). Protocol: https://www.twilio.com/docs/voice/media-streams/websocket-messages
 */
export class TwilioCallSimulator {
  readonly received: ReceivedMessage[] = [];
  /** The bot's audio as the caller heard it (cleared audio excluded), 8 kHz PCM chunks. */
  readonly heard: Int16Array[] = [];
  readonly callSid: string;
  readonly streamSid: string;
  private ws: WebSocket | undefined;
  private t0 = 0;
  private seq = 0;
  private chunk = 0;
  private mediaTimestampMs = 0;
  /** When the phone's playback queue runs dry, `performance.now()` ms. */
  private playbackEndsAt = 0;
  private readonly pendingMarks = new Map<string, NodeJS.Timeout>();
  private readonly queuedAudio: Array<{ pcm: Int16Array; timer: NodeJS.Timeout }> = [];
  private closedPromise: Promise<{ code: number; reason: string }> | undefined;
  private listeners: Array<() => void> = [];

  constructor(private readonly options: TwilioCallSimulatorOptions) {
    const hex = () => [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
    this.callSid = options.callSid ?? `CA${hex()}`;
    this.streamSid = options.streamSid ?? `MZ${hex()}`;
  }

  /** Open the WebSocket. @throws Error when the upgrade is refused. */
  async connect(): Promise<void> {
    const ws = new WebSocket(this.options.url, { headers: this.options.headers ?? {} });
    this.ws = ws;
    this.closedPromise = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data) => this.onMessage(String(data)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
      );
    });
    ws.on('error', () => {});
    this.t0 = performance.now();
  }

  /** Send `connected` and `start` (µ-law, 8000 Hz, mono). */
  start(): void {
    this.sendJson({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.sendJson({
      event: 'start',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      start: {
        streamSid: this.streamSid,
        accountSid: 'AC00000000000000000000000000000001',
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: this.options.customParameters ?? {},
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
  }

  /** Stream 8 kHz PCM as 20 ms media frames in real time (the last frame zero-padded). */
  async streamAudio(pcm: Int16Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    const frames = Math.ceil(pcm.length / FRAME_SAMPLES);
    const begin = performance.now();
    for (let i = 0; i < frames; i++) {
      if (options.signal?.aborted || !this.isOpen) return;
      const frame = new Int16Array(FRAME_SAMPLES);
      frame.set(pcm.subarray(i * FRAME_SAMPLES, Math.min(pcm.length, (i + 1) * FRAME_SAMPLES)));
      this.sendMedia(frame);
      const due = begin + (i + 1) * FRAME_MS - performance.now();
      if (due > 0) await sleep(due);
    }
  }

  /** Stream `ms` of silence in real time. */
  streamSilence(ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.streamAudio(new Int16Array(Math.round((ms * 8000) / 1000)), options);
  }

  /**
   * Run `fn` while the line carries silence in real time (a phone always streams audio),
   * and stop the silence when it settles.
   */
  async withSilence<T>(fn: () => Promise<T>): Promise<T> {
    const stop = new AbortController();
    const line = (async () => {
      while (!stop.signal.aborted && this.isOpen) await this.streamSilence(100, { signal: stop.signal });
    })();
    try {
      return await fn();
    } finally {
      stop.abort();
      await line;
    }
  }

  /** Send one raw text message (for protocol-abuse tests). */
  sendRaw(text: string): void {
    this.ws?.send(text);
  }

  sendDtmf(digit: string): void {
    this.sendJson({
      event: 'dtmf',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      dtmf: { track: 'inbound_track', digit },
    });
  }

  /** Send `stop` (the caller hung up) and close the socket. */
  stop(): void {
    this.sendJson({
      event: 'stop',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      stop: { accountSid: 'AC00000000000000000000000000000001', callSid: this.callSid },
    });
    this.close();
  }

  /** Close the socket without `stop` (a dropped connection). */
  close(): void {
    this.ws?.close();
  }

  /** Resolves when the socket closed (by either side). */
  closed(): Promise<{ code: number; reason: string }> {
    if (!this.closedPromise) throw new Error('not connected');
    return this.closedPromise;
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Received messages of one event type. */
  messages(event: string): ReceivedMessage[] {
    return this.received.filter((m) => m.event === event);
  }

  /** ms since connect. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Wait until `predicate` holds (checked on every message), or throw after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** All the bot audio the caller heard, concatenated. */
  heardAudio(): Int16Array {
    const out = new Int16Array(this.heard.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.heard) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  private sendMedia(pcm: Int16Array): void {
    this.mediaTimestampMs += FRAME_MS;
    this.sendJson({
      event: 'media',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      media: {
        track: 'inbound',
        chunk: String(++this.chunk),
        timestamp: String(this.mediaTimestampMs),
        payload: Buffer.from(pcmToMulaw(pcm)).toString('base64'),
      },
    });
  }

  private sendJson(msg: Record<string, unknown>): void {
    if (this.isOpen) this.ws!.send(JSON.stringify(msg));
  }

  private onMessage(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      msg = { event: 'invalid', text };
    }
    const event = typeof msg.event === 'string' ? msg.event : 'invalid';
    this.received.push({ atMs: this.now(), event, raw: msg });
    if (event === 'media') this.play(msg);
    else if (event === 'mark') this.queueMarkEcho(msg);
    else if (event === 'clear') this.clearPlayback();
    for (const l of this.listeners.splice(0)) l();
  }

  /** Queue audio on the emulated phone: it is "heard" when its turn in the queue comes. */
  private play(msg: Record<string, unknown>): void {
    const media = msg.media as { payload?: string } | undefined;
    const pcm = mulawToPcm(new Uint8Array(Buffer.from(media?.payload ?? '', 'base64')));
    const now = performance.now();
    const startsAt = Math.max(now, this.playbackEndsAt);
    this.playbackEndsAt = startsAt + (pcm.length / 8000) * 1000;
    const entry = {
      pcm,
      timer: setTimeout(() => {
        this.heard.push(pcm);
        this.queuedAudio.splice(this.queuedAudio.indexOf(entry), 1);
      }, startsAt - now),
    };
    this.queuedAudio.push(entry);
  }

  private queueMarkEcho(msg: Record<string, unknown>): void {
    const name = (msg.mark as { name?: string } | undefined)?.name ?? '';
    const delay = Math.max(0, this.playbackEndsAt - performance.now());
    this.pendingMarks.set(
      name,
      setTimeout(() => this.echoMark(name), delay),
    );
  }

  private echoMark(name: string): void {
    const t = this.pendingMarks.get(name);
    if (t) clearTimeout(t);
    this.pendingMarks.delete(name);
    this.sendJson({
      event: 'mark',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      mark: { name },
    });
  }

  private clearPlayback(): void {
    for (const q of this.queuedAudio.splice(0)) clearTimeout(q.timer);
    this.playbackEndsAt = performance.now();
    for (const name of [...this.pendingMarks.keys()]) this.echoMark(name);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
