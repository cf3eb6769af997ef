/**
 * The capacity bench's measurements, kept free of I/O so a test can check them: percentiles,
 * outbound underruns at the emulated phone, and late input frames at the server.
 */

/**
 * The `p`-th percentile (0–100) of `values` by nearest rank (the smallest value with at least
 * p% of the values at or below it); `null` for no values. Does not change `values`.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0–100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * The caller's phone playing the bot's audio, for one call: chunks play back to back in real
 * time; a chunk that arrives after the previous one finished playing is an *underrun* (the
 * caller hears a gap of the difference). Only gaps inside a sentence count: a sentence's audio
 * is produced at once by the fake TTS, so a gap there is the server's doing, while a pause
 * between sentences or turns is not an underrun. The server's sentence marks (names without
 * `@`; word marks are `<id>@<gen>.<n>`) and `clear` end a sentence.
 */
export class PlaybackMeter {
  /** Chunks received. */
  chunks = 0;
  /** Gaps inside sentences, ms, one per underrun. */
  readonly gapsMs: number[] = [];
  private playEndMs = 0;
  private inSentence = false;
  private marks: Array<{ name: string; atMs: number }> = [];

  constructor(private readonly chunkMs: number) {}

  /** A `media` chunk arrived at `nowMs`. */
  audio(nowMs: number): void {
    this.chunks++;
    if (this.inSentence && nowMs > this.playEndMs) this.gapsMs.push(nowMs - this.playEndMs);
    this.playEndMs = Math.max(nowMs, this.playEndMs) + this.chunkMs;
    this.inSentence = true;
  }

  /** A `mark` arrived at `nowMs`: it is due back when the audio before it was played. */
  mark(name: string, nowMs: number): void {
    if (!name.includes('@')) this.inSentence = false;
    this.marks.push({ name, atMs: Math.max(nowMs, this.playEndMs) });
  }

  /** A `clear` arrived: the buffered audio is dropped and every pending mark is due now. */
  clear(nowMs: number): void {
    this.playEndMs = Math.min(this.playEndMs, nowMs);
    this.inSentence = false;
    for (const m of this.marks) m.atMs = nowMs;
  }

  /** Marks whose audio was played by `nowMs` (to echo), in order; they leave the queue. */
  dueMarks(nowMs: number): string[] {
    let n = 0;
    while (n < this.marks.length && this.marks[n]!.atMs <= nowMs) n++;
    if (n === 0) return [];
    return this.marks.splice(0, n).map((m) => m.name);
  }

  /** True while the phone still has bot audio to play at `nowMs`. */
  playing(nowMs: number): boolean {
    return this.playEndMs > nowMs;
  }
}

/**
 * Late input frames of one media stream, at the server: a frame is late when it is handled
 * more than `thresholdMs` after it was due. It is due at the stream's earliest
 * handling-time-minus-media-timestamp (the emulator sends in real time, so the best-placed frame
 * shows the transport's own delay) plus its media timestamp.
 */
export class InputLateness {
  frames = 0;
  late = 0;
  private offsetMs = Number.POSITIVE_INFINITY;

  constructor(private readonly thresholdMs = 20) {}

  /** A frame with media `timestampMs` handled at `handledMs`; returns whether it was late. */
  frame(handledMs: number, timestampMs: number): boolean {
    this.frames++;
    const offset = handledMs - timestampMs;
    if (offset < this.offsetMs) this.offsetMs = offset;
    const isLate = offset - this.offsetMs > this.thresholdMs;
    if (isLate) this.late++;
    return isLate;
  }
}

const TIMESTAMP_KEY = Buffer.from('"timestamp":"');

/**
 * The `media.timestamp` of a raw Twilio `media` message (ms), or `undefined` when the message
 * has none; reads the bytes without decoding the message, so measuring costs the server little.
 */
export function mediaTimestampMs(message: Buffer): number | undefined {
  const at = message.indexOf(TIMESTAMP_KEY);
  if (at < 0) return undefined;
  let value = 0;
  let i = at + TIMESTAMP_KEY.length;
  const start = i;
  for (; i < message.length; i++) {
    const c = message[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return i > start ? value : undefined;
}

/**
 * Garbage-collection pauses of a span, from `perf_hooks` `gc` entries: the total and longest
 * pause and the count of major (mark-compact) collections. Pauses stop every call at once, so
 * at high load they, more than CPU, decide whether input frames come in late.
 */
export class GcTally {
  /** Pause time over the span, ms. */
  totalMs = 0;
  /** Longest single pause, ms. */
  maxMs = 0;
  /** Collections seen. */
  count = 0;
  /** Major (mark-compact) collections seen. */
  major = 0;

  /** One collection of `durationMs`; `major` for a mark-compact. */
  add(durationMs: number, major: boolean): void {
    this.totalMs += durationMs;
    if (durationMs > this.maxMs) this.maxMs = durationMs;
    this.count++;
    if (major) this.major++;
  }
}
