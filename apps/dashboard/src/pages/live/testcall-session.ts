/**
 * One browser test call: the microphone to the server as 16 kHz PCM frames of 20 ms (through
 * the capture AudioWorklet), the bot's PCM played through an AudioContext queue (dropped at
 * `clear`), marks echoed once played, and the server's transcript lines and errors reported.
 * The protocol is `packages/telephony/src/browser/protocol.ts`.
 */
// Its own file (not inlined as a data: URL, which the dashboard's CSP refuses for scripts).
import workletUrl from './testcall-capture-worklet.js?url&no-inline';
import type { TranscriptMessage } from './testcall-transcript.ts';

/** Wire rate, both ways, Hz. */
const WIRE_RATE_HZ = 16_000;
/** How often played marks are looked for, ms. */
const MARK_POLL_MS = 50;

/** What a close code of the server means, for the caller (mirrors `BROWSER_CLOSE_CODES`). */
const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1008: 'The server refused the call stream.',
  1009: 'A message was too large for the server.',
  1011: 'The server failed during the call.',
  4401: 'The call had no token.',
  4403: 'The server refused the call token.',
  4409: 'The call token was used already: start a new call.',
  4410: 'The call token expired: start a new call.',
};

/** What the session tells the page. */
export interface TestCallEvents {
  readonly onTranscript: (message: TranscriptMessage) => void;
  /** A message of ours was refused (the call goes on), or the call ended abnormally. */
  readonly onError: (message: string) => void;
  /** The socket closed; `error` says why when the call did not end normally. */
  readonly onEnded: (error: string | undefined) => void;
}

/**
 * One test call. Construct it in the click that starts the call (browsers let an AudioContext
 * made then play), then {@link start} it once with the stream's path; {@link stop} hangs up
 * (idempotent).
 */
export class TestCallSession {
  private context: AudioContext | undefined = new AudioContext();
  private microphone: MediaStream | undefined;
  private capture: AudioWorkletNode | undefined;
  private socket: WebSocket | undefined;
  private playing: AudioBufferSourceNode[] = [];
  /** When the queued bot audio ends, on the context's clock, s. */
  private playEnd = 0;
  /** Marks to echo once the context's time passes `at`. */
  private marks: Array<{ name: string; at: number }> = [];
  private markTimer: number | undefined;
  private ended = false;

  constructor(private readonly events: TestCallEvents) {}

  /**
   * Asks for the microphone, loads the worklet and opens the stream at `streamPath`
   * (`/ws/browser/<agent>?callId=&token=`).
   * @throws Error when the microphone is refused or audio cannot start (nothing is left open).
   */
  async start(streamPath: string): Promise<void> {
    try {
      const context = this.context;
      if (!context) throw new Error('the call was stopped');
      this.microphone = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      await context.audioWorklet.addModule(workletUrl);
      await context.resume();
      const source = context.createMediaStreamSource(this.microphone);
      const capture = new AudioWorkletNode(context, 'testcall-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
      });
      this.capture = capture;
      source.connect(capture);
      this.open(streamPath, context, capture);
    } catch (error) {
      this.release();
      throw error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Hangs up: says `stop`, then closes (the server stores the call as ended by the caller). */
  stop(): void {
    const socket = this.socket;
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ event: 'stop' }));
      socket.close(1000, 'caller hung up');
    } else socket?.close();
    this.release();
  }

  private open(streamPath: string, context: AudioContext, capture: AudioWorkletNode): void {
    const url = new URL(streamPath, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ event: 'start' }));
      capture.port.onmessage = (e: MessageEvent<ArrayBuffer>) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(e.data);
      };
    };
    socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data === 'string') this.onControl(e.data);
      else this.play(context, e.data);
    };
    socket.onclose = (e) => {
      const normal = e.code === 1000 || e.code === 1005;
      if (!this.ended)
        this.events.onEnded(normal ? undefined : (CLOSE_REASONS[e.code] ?? `The call was cut (${e.code}).`));
      this.ended = true;
      this.release();
    };
    this.markTimer = window.setInterval(() => this.echoPlayedMarks(), MARK_POLL_MS);
  }

  private onControl(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (msg.event) {
      case 'transcript':
        if ((msg.role === 'user' || msg.role === 'bot') && typeof msg.text === 'string') {
          this.events.onTranscript({ role: msg.role, text: msg.text, final: msg.final === true });
        }
        break;
      case 'mark':
        if (typeof msg.name === 'string') this.marks.push({ name: msg.name, at: this.playEnd });
        break;
      case 'clear':
        this.clearPlayback();
        break;
      case 'error':
        this.events.onError(`The server refused a message: ${String(msg.message)}`);
        break;
    }
  }

  /** Queues one frame of bot audio (16-bit little-endian PCM at 16 kHz) after what is queued. */
  private play(context: AudioContext, data: ArrayBuffer): void {
    const view = new DataView(data);
    const samples = Math.floor(data.byteLength / 2);
    if (samples === 0) return;
    const buffer = context.createBuffer(1, samples, WIRE_RATE_HZ);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples; i++) channel[i] = view.getInt16(2 * i, true) / 32768;
    const node = context.createBufferSource();
    node.buffer = buffer;
    node.connect(context.destination);
    const at = Math.max(context.currentTime, this.playEnd);
    node.start(at);
    this.playEnd = at + buffer.duration;
    this.playing.push(node);
    node.onended = () => {
      this.playing = this.playing.filter((n) => n !== node);
    };
  }

  /** Barge-in: stops the queued audio; its marks are echoed (the protocol's "played or dropped"). */
  private clearPlayback(): void {
    for (const node of this.playing) node.stop();
    this.playing = [];
    this.playEnd = 0;
    for (const mark of this.marks) this.sendMark(mark.name);
    this.marks = [];
  }

  private echoPlayedMarks(): void {
    const now = this.context?.currentTime ?? 0;
    while (this.marks.length > 0 && this.marks[0]!.at <= now) this.sendMark(this.marks.shift()!.name);
  }

  private sendMark(name: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ event: 'mark', name }));
  }

  /** Stops the microphone and audio; the socket is closed by {@link stop} or by the server. */
  private release(): void {
    window.clearInterval(this.markTimer);
    for (const track of this.microphone?.getTracks() ?? []) track.stop();
    this.capture?.port.close();
    this.capture?.disconnect();
    void this.context?.close().catch(() => undefined);
    this.microphone = undefined;
    this.capture = undefined;
    this.context = undefined;
  }
}
