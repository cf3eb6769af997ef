/**
 * Replays the provider side of the protocol notes' sequences (docs/telephony-protocols.md §5)
 * against a running server over a bare WebSocket: `in` steps are sent as written, `out` steps
 * are awaited and compared with what the server sent.
 */
import { expect } from 'vitest';
import WebSocket from 'ws';
import {
  expandPayloadTokens,
  type SequenceStep,
} from '../../../../packages/telephony/test/fixtures/sequence-steps.ts';
import { ArrivalWaiter } from '../../src/tools/arrival-waiter.ts';
import { websocketOpen } from '../../src/tools/websocket-open.ts';

export type { SequenceStep };
export { expandPayloadTokens };

/** A JSON message, as sent or received. */
export type Message = Record<string, unknown>;

/** A message the server sent. */
export interface ServerMessage {
  /** ms since the socket opened. */
  readonly atMs: number;
  readonly event: string;
  readonly raw: Message;
}

/**
 * Values that differ from the notes by nature: audio bytes, mark names (the server names its
 * own; see {@link SequenceReplay.send}), and the clock and counters of Exotel's camelCase media.
 */
const VARYING = new Set(['payload', 'name', 'timestamp', 'chunk', 'sequenceNumber']);

/** Plays one stream: a provider's messages in, the server's out. */
export class SequenceReplay {
  /** Every message the server sent, in order. */
  readonly received: ServerMessage[] = [];
  /** Mark names of the notes (`greeting-1`) → the server's names for the same marks. */
  private readonly markNames = new Map<string, string>();
  /** Index in {@link received} after the last message an `out` step matched. */
  private cursor = 0;
  private readonly t0 = performance.now();
  private readonly arrivals = new ArrivalWaiter();
  private readonly closedPromise: Promise<{ code: number; reason: string }>;

  private constructor(private readonly ws: WebSocket) {
    this.closedPromise = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.arrivals.wake();
        resolve({ code, reason: reason.toString() });
      }),
    );
    ws.on('message', (data) => {
      const raw = JSON.parse(String(data)) as Message;
      this.received.push({ atMs: this.now(), event: String(raw.event), raw });
      this.arrivals.wake();
    });
  }

  /** Opens the stream. @throws Error when the upgrade is refused (with its HTTP status). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SequenceReplay> {
    const ws = new WebSocket(url, { headers });
    await websocketOpen(ws);
    return new SequenceReplay(ws);
  }

  /**
   * Plays `steps` (payload tokens expanded): sends `in` messages (through `rewrite`, e.g. to add
   * the call's stream token to `start`), awaits each `out` message ({@link expectNext}), closes
   * for `close` by the provider and awaits the close for `close` by the server. `http` steps
   * are the caller's business and skipped.
   */
  async play(steps: readonly SequenceStep[], rewrite: (msg: Message) => Message = (m) => m): Promise<void> {
    for (const step of expandPayloadTokens(steps)) {
      if (step.dir === 'in') this.send(rewrite(step.msg));
      else if (step.dir === 'out') await this.expectNext(step.msg);
      else if (step.dir === 'close' && step.by === 'provider') await this.close();
      else if (step.dir === 'close') await this.closedWithin();
    }
  }

  /**
   * Sends one message. A mark echo (`mark.name`, Vobiz `playedStream.name`) that names a mark
   * of the notes is sent with the server's name for it.
   */
  send(msg: Message): void {
    const mark = msg.mark;
    let out = msg;
    if (isObject(mark) && typeof mark.name === 'string' && this.markNames.has(mark.name)) {
      out = { ...msg, mark: { ...mark, name: this.markNames.get(mark.name) } };
    } else if (msg.event === 'playedStream' && typeof msg.name === 'string' && this.markNames.has(msg.name)) {
      out = { ...msg, name: this.markNames.get(msg.name) };
    }
    this.ws.send(JSON.stringify(out));
  }

  /**
   * Sends `frames` in real time, one every `frameMs` (a caller speaking).
   * @param frames - Ready-made messages, e.g. `media` with the caller's audio.
   */
  async stream(frames: readonly Message[], frameMs: number): Promise<void> {
    const begin = performance.now();
    for (const [i, frame] of frames.entries()) {
      if (!this.isOpen) return;
      this.send(frame);
      const due = begin + (i + 1) * frameMs - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
    }
  }

  /**
   * Runs `fn` while `frame()` messages go out in real time, one every `frameMs`: a phone line
   * always carries audio, and the server's VAD needs the silence after speech to end a turn.
   */
  async whileStreaming<T>(frame: () => Message, frameMs: number, fn: () => Promise<T>): Promise<T> {
    let done = false;
    const line = (async () => {
      while (!done && this.isOpen) await this.stream([frame()], frameMs);
    })();
    try {
      return await fn();
    } finally {
      done = true;
      await line;
    }
  }

  /**
   * Waits for the next message of the template's event after those already matched, and
   * checks it has the template's keys, nested, and values (except {@link VARYING} ones). A
   * matched mark's name becomes the server's name for the template's mark.
   * @returns the message.
   */
  async expectNext(template: Message, timeoutMs = 15_000): Promise<Message> {
    let found = -1;
    await this.waitFor(
      () => {
        found = this.received.findIndex((m, i) => i >= this.cursor && m.event === template.event);
        return found >= 0;
      },
      timeoutMs,
      `a ${String(template.event)} message`,
    );
    this.cursor = found + 1;
    const actual = this.received[found]!.raw;
    expectSameShape(actual, template);
    const templateName = markName(template);
    const actualName = markName(actual);
    if (templateName !== undefined && actualName !== undefined) this.markNames.set(templateName, actualName);
    return actual;
  }

  /** Wait until `predicate` holds (checked on every message and every 50 ms), or throw. */
  async waitFor(predicate: () => boolean, timeoutMs = 15_000, what = 'a condition'): Promise<void> {
    await this.arrivals.until(predicate, timeoutMs, what);
  }

  /** The server's messages of one event. */
  messages(event: string): ServerMessage[] {
    return this.received.filter((m) => m.event === event);
  }

  /** The server's name for a mark of the notes, once an `out` step matched it. */
  serverMarkName(name: string): string | undefined {
    return this.markNames.get(name);
  }

  /** ms since the socket opened. */
  now(): number {
    return performance.now() - this.t0;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Closes the socket (the provider hanging up) and waits for the close. */
  async close(): Promise<{ code: number; reason: string }> {
    this.ws.close(1000);
    return this.closedPromise;
  }

  /** Resolves when the socket closed, by either side. */
  closed(): Promise<{ code: number; reason: string }> {
    return this.closedPromise;
  }

  /** The close, by the server, within `timeoutMs`. */
  async closedWithin(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    await this.waitFor(() => this.ws.readyState === WebSocket.CLOSED, timeoutMs, 'the server to close');
    return this.closedPromise;
  }
}

/**
 * Opens a stream at `url`, sends `messages`, and waits for the server to close it.
 * @returns The close code, and when it came (ms after opening).
 */
export async function closeAfterSending(
  url: string,
  ...messages: Message[]
): Promise<{ code: number; afterMs: number }> {
  const replay = await SequenceReplay.open(url);
  for (const message of messages) replay.send(message);
  const { code } = await replay.closed();
  return { code, afterMs: replay.now() };
}

/** `actual` has exactly the template's keys at every level, with its values except {@link VARYING} ones. */
export function expectSameShape(actual: Message, template: Message, path = ''): void {
  expect(Object.keys(actual).sort(), `keys of ${path || 'the message'}`).toEqual(
    Object.keys(template).sort(),
  );
  for (const [key, want] of Object.entries(template)) {
    const got = actual[key];
    if (isObject(want) && isObject(got)) expectSameShape(got, want, `${path}${key}.`);
    else if (!VARYING.has(key)) expect(got, `${path}${key}`).toEqual(want);
  }
}

/** The mark name of a `mark` (Twilio, Exotel) or `checkpoint` (Vobiz) message. */
function markName(msg: Message): string | undefined {
  if (msg.event === 'checkpoint' && typeof msg.name === 'string') return msg.name;
  const mark = msg.mark;
  return msg.event === 'mark' && isObject(mark) && typeof mark.name === 'string' ? mark.name : undefined;
}

function isObject(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The base64 `media.payload` of a message, decoded (empty when absent). */
export function payloadBytes(msg: Message): Buffer {
  const media = msg.media;
  return Buffer.from(isObject(media) && typeof media.payload === 'string' ? media.payload : '', 'base64');
}
