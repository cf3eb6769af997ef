/**
 * A browser test call's page, played by a `ws` client: it streams 16 kHz PCM in 20 ms binary
 * frames in real time (silence between clips), echoes marks at once, and keeps what the server
 * sent (bot audio bytes, transcript lines, errors, clears).
 */
import WebSocket from 'ws';
import { websocketOpen } from '../../src/tools/websocket-open.ts';

/** 20 ms at 16 kHz, samples. */
const FRAME_SAMPLES = 320;

/** A server text message, parsed, and when it came (ms since connect). */
export interface BrowserMessage {
  readonly atMs: number;
  readonly msg: Record<string, unknown>;
}

/** The page of a browser test call. */
export class BrowserCaller {
  readonly messages: BrowserMessage[] = [];
  /** Bot audio messages: byte length and arrival time. */
  readonly audio: Array<{ bytes: number; atMs: number }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly t0 = Date.now();
  private silence: NodeJS.Timeout | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.stopSilence();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('message', (data, isBinary) => {
      const atMs = this.now();
      if (isBinary) {
        this.audio.push({ bytes: (data as Buffer).length, atMs });
        return;
      }
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      this.messages.push({ atMs, msg });
      if (msg.event === 'mark') ws.send(JSON.stringify({ event: 'mark', name: msg.name }));
    });
  }

  /**
   * Opens `url` (`ws://…/ws/browser/…?callId=&token=`) with `headers` (the session `cookie` of a
   * call asked for by a signed-in user); resolves once open.
   */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<BrowserCaller> {
    const ws = new WebSocket(url, { headers });
    const caller = new BrowserCaller(ws);
    await websocketOpen(ws);
    return caller;
  }

  now(): number {
    return Date.now() - this.t0;
  }

  /** Sends a text message as it is. */
  sendText(text: string): void {
    this.ws.send(text);
  }

  /** Sends bytes as one binary message. */
  sendBinary(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  /** Sends `{"event":"start"}` and starts streaming silence. */
  start(): void {
    this.sendText('{"event":"start"}');
    this.startSilence();
  }

  /** Streams `pcm` (16 kHz) in real time in 20 ms frames, then silence again. */
  async say(pcm: Int16Array): Promise<void> {
    this.stopSilence();
    for (let i = 0; i < pcm.length; i += FRAME_SAMPLES) {
      if (this.ws.readyState !== WebSocket.OPEN) return;
      this.sendBinary(littleEndian(pcm.subarray(i, i + FRAME_SAMPLES)));
      await new Promise((r) => setTimeout(r, 20));
    }
    this.startSilence();
  }

  /** Sends `{"event":"stop"}` (the caller hangs up). */
  stop(): void {
    this.stopSilence();
    this.sendText('{"event":"stop"}');
  }

  /** Server messages with `event`. */
  events(event: string): Array<Record<string, unknown>> {
    return this.messages.filter((m) => m.msg.event === event).map((m) => m.msg);
  }

  /** Waits until `check` holds, polling every 50 ms; throws naming `what` after `timeoutMs`. */
  async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private startSilence(): void {
    this.stopSilence();
    const frame = new Uint8Array(FRAME_SAMPLES * 2);
    this.silence = setInterval(() => {
      if (this.ws.readyState === WebSocket.OPEN) this.sendBinary(frame);
    }, 20);
  }

  private stopSilence(): void {
    clearInterval(this.silence);
    this.silence = undefined;
  }
}

/** `pcm` as little-endian bytes. */
export function littleEndian(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, s] of pcm.entries()) view.setInt16(2 * i, s, true);
  return out;
}
