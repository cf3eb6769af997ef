import WebSocket from 'ws';
import { ArrivalWaiter } from './arrival-waiter.ts';
import { websocketOpen } from './websocket-open.ts';

/** A message the simulator received from the server. */
export interface ReceivedMessage {
  /** ms since the simulator connected. */
  readonly atMs: number;
  /** The message's `event` field; `'invalid'` when the text was not a JSON object with a string `event`. */
  readonly event: string;
  /** The parsed message; `{ event: 'invalid', text }` when it was not a JSON object. */
  readonly raw: Record<string, unknown>;
}

/** What every simulator needs to open the provider's WebSocket. */
export interface CallSimulatorOptions {
  /** The media stream URL, e.g. `ws://127.0.0.1:8080/ws/twilio/demo`. */
  readonly url: string;
  /** Extra upgrade request headers (e.g. `X-Twilio-Signature`, `Authorization`). */
  readonly headers?: Record<string, string>;
}

/** The audio a simulator exchanges with the server. */
export interface CallSimulatorAudio {
  /** Rate of the PCM given to {@link CallSimulator.streamAudio} and kept in `heard`, Hz. */
  readonly sampleRateHz: number;
  /** Length of one inbound media frame, ms (the provider's packet interval). */
  readonly frameMs: number;
}

/** A checkpoint (mark) waiting for the audio queued before it to be played. */
interface Checkpoint {
  readonly name: string;
  readonly onPlayed: () => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The provider-neutral part of a simulated phone call: the WebSocket, a real-time sender clock
 * for the caller's audio, the phone's playback queue for the bot's audio (heard in order, in
 * real time; checkpoints fire when the audio queued before them was played), the log of
 * received messages and test helpers. Subclasses speak one provider's wire format; see
 * `twilio-call-simulator.ts`, `exotel-call-simulator.ts` and `vobiz-call-simulator.ts`.
 *
 * Audio is 16-bit signed PCM, mono, at {@link CallSimulator.sampleRateHz}. Times are
 * `performance.now()` ms; `atMs` and {@link CallSimulator.now} count from {@link CallSimulator.connect}.
 */
export abstract class CallSimulator {
  /** Every message received from the server, in arrival order. */
  readonly received: ReceivedMessage[] = [];
  /** The bot's audio as the caller heard it (cleared audio excluded), PCM chunks at `sampleRateHz`. */
  readonly heard: Int16Array[] = [];
  /** Rate of the PCM streamed and heard, Hz. */
  readonly sampleRateHz: number;
  /** Length of one inbound media frame, ms. */
  readonly frameMs: number;
  private ws: WebSocket | undefined;
  private t0 = 0;
  /** When the phone's playback queue runs dry, `performance.now()` ms. */
  private playbackEndsAt = 0;
  private readonly queuedAudio: Array<{ pcm: Int16Array; timer: NodeJS.Timeout }> = [];
  private readonly pendingCheckpoints: Checkpoint[] = [];
  private closedPromise: Promise<{ code: number; reason: string }> | undefined;
  private readonly arrivals = new ArrivalWaiter();

  protected constructor(
    private readonly connection: CallSimulatorOptions,
    audio: CallSimulatorAudio,
  ) {
    this.sampleRateHz = audio.sampleRateHz;
    this.frameMs = audio.frameMs;
  }

  /** Send the provider's opening messages (e.g. `connected` and `start`). */
  abstract start(): void;

  /** End the call as the caller hanging up does with this provider. */
  abstract hangUp(): void;

  /** Send one inbound media frame of `sampleRateHz * frameMs / 1000` samples. */
  protected abstract sendFrame(pcm: Int16Array): void;

  /** React to a message from the server (already logged in `received`). */
  protected abstract onServerMessage(message: ReceivedMessage): void;

  /** Open the WebSocket. @throws Error when the upgrade is refused. */
  async connect(): Promise<void> {
    const ws = new WebSocket(this.connection.url, { headers: this.connection.headers ?? {} });
    this.ws = ws;
    this.closedPromise = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        // A hung-up phone plays nothing more and answers no checkpoint.
        this.clearPlayback();
        this.notify();
        resolve({ code, reason: reason.toString() });
      }),
    );
    ws.on('message', (data) => this.onMessage(String(data)));
    await websocketOpen(ws);
    this.t0 = performance.now();
  }

  /**
   * Stream PCM at `sampleRateHz` as `frameMs` media frames in real time (the last frame
   * zero-padded). Frames late because of a busy event loop are sent at once to catch up.
   */
  async streamAudio(pcm: Int16Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    const frameSamples = Math.round((this.sampleRateHz * this.frameMs) / 1000);
    const frames = Math.ceil(pcm.length / frameSamples);
    const begin = performance.now();
    for (let i = 0; i < frames; i++) {
      if (options.signal?.aborted || !this.isOpen) return;
      const frame = new Int16Array(frameSamples);
      frame.set(pcm.subarray(i * frameSamples, Math.min(pcm.length, (i + 1) * frameSamples)));
      this.sendFrame(frame);
      const due = begin + (i + 1) * this.frameMs - performance.now();
      if (due > 0) await sleep(due);
    }
  }

  /** Stream `ms` of silence in real time. */
  streamSilence(ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.streamAudio(new Int16Array(Math.round((ms * this.sampleRateHz) / 1000)), options);
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

  /** Close the socket without any goodbye message (a dropped connection). */
  close(): void {
    this.ws?.close();
  }

  /** Resolves when the socket closed (by either side). @throws Error before {@link connect}. */
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
    await this.arrivals.until(predicate, timeoutMs, what);
  }

  /** All the bot audio the caller heard, concatenated (PCM at `sampleRateHz`). */
  heardAudio(): Int16Array {
    const out = new Int16Array(this.heard.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.heard) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** Send a JSON text frame, if the socket is open. */
  protected sendJson(msg: Record<string, unknown>): void {
    if (this.isOpen) this.ws!.send(JSON.stringify(msg));
  }

  /** Queue bot audio on the emulated phone: it is "heard" when its turn in the queue comes. */
  protected play(pcm: Int16Array): void {
    const now = performance.now();
    const startsAt = Math.max(now, this.playbackEndsAt);
    this.playbackEndsAt = startsAt + (pcm.length / this.sampleRateHz) * 1000;
    const entry = {
      pcm,
      timer: setTimeout(() => {
        this.heard.push(pcm);
        this.queuedAudio.splice(this.queuedAudio.indexOf(entry), 1);
      }, startsAt - now),
    };
    this.queuedAudio.push(entry);
  }

  /**
   * Call `onPlayed` once all audio queued so far has been played, unless it is cleared first.
   * Checkpoints fire in the order they were queued, as a phone plays its queue.
   */
  protected whenPlayed(name: string, onPlayed: () => void): void {
    const entry: Checkpoint = {
      name,
      onPlayed,
      timer: setTimeout(
        () => {
          // Two checkpoints due in the same ms may time out in either order: the earlier ones go first.
          const due = this.pendingCheckpoints.splice(0, this.pendingCheckpoints.indexOf(entry) + 1);
          for (const c of due) {
            clearTimeout(c.timer);
            c.onPlayed();
          }
        },
        Math.max(0, this.playbackEndsAt - performance.now()),
      ),
    };
    this.pendingCheckpoints.push(entry);
  }

  /**
   * Drop the queued audio and the pending checkpoints.
   * @returns the names of the checkpoints dropped, in the order they were queued.
   */
  protected clearPlayback(): string[] {
    for (const q of this.queuedAudio.splice(0)) clearTimeout(q.timer);
    this.playbackEndsAt = performance.now();
    return this.pendingCheckpoints.splice(0).map((c) => {
      clearTimeout(c.timer);
      return c.name;
    });
  }

  private onMessage(text: string): void {
    let raw: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      raw =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : { event: 'invalid', text };
    } catch {
      raw = { event: 'invalid', text };
    }
    const message: ReceivedMessage = {
      atMs: this.now(),
      event: typeof raw.event === 'string' ? raw.event : 'invalid',
      raw,
    };
    this.received.push(message);
    this.onServerMessage(message);
    this.notify();
  }

  private notify(): void {
    this.arrivals.wake();
  }
}

/**
 * The string at `path` inside a received message (e.g. `['media', 'payload']`), or undefined
 * when any step is missing or the value is not a string.
 */
export function stringAt(raw: Record<string, unknown>, ...path: string[]): string | undefined {
  let value: unknown = raw;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' ? value : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
