import { allocSamples } from '../audio/sample-slab.ts';
import type { TimerHandle } from '../clock/clock.ts';
import { type Frame, type FrameType, frame, type StartFrame, type WordTiming } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';
import { heardPrefix, heardWordsPrefix } from './heard-text.ts';

/** Where the output transport sends audio: a provider socket through its serializer. */
export interface AudioSink {
  /** Send one chunk of 16-bit mono PCM at `sampleRateHz` (exactly `chunkMs` long, the last one zero-padded). */
  sendAudio(pcm: Int16Array, sampleRateHz: number): void;
  /** Send a mark; the provider echoes it (as a `playback_mark` frame) once the audio before it was played. */
  sendMark?(name: string): void;
  /** Drop the audio the provider buffered but has not played (barge-in). */
  clearAudio(): void;
}

/** Options of {@link OutputTransport}. */
export interface OutputTransportOptions {
  readonly sink: AudioSink;
  /** Chunk length sent to the provider, ms. Default 20 (Twilio, Vobiz); Exotel needs 100. */
  readonly chunkMs?: number;
  /**
   * Audio sent ahead of the playback clock after each send, ms, and at least two chunks (so the
   * provider holds the next chunk while one plays: Exotel's 200 ms chunks exceed the default). An
   * event-loop stall up to the lead minus one chunk leaves no gap at the caller; a `clear` drops
   * it at once, and heard-only accounting does not depend on it (marks, or the playback clock).
   * Default 80.
   */
  readonly leadMs?: number;
  /** Silence after the last audio before `bot_stopped_speaking`, ms. Default 350. */
  readonly botStopDelayMs?: number;
  /** Use provider marks to learn what was played. Default: true when the sink can send marks. */
  readonly useMarks?: boolean;
}

interface Segment {
  readonly id: string;
  readonly text: string;
  /** Position of the segment's first sample on the output timeline (all samples ever sent), or -1 before its audio. */
  start: number;
  /** Samples of the segment queued so far. */
  length: number;
  /** TTS finished this segment (no more audio will come). */
  complete: boolean;
  /** Its mark was sent (and not withdrawn by a pause). */
  marked: boolean;
  /** Name of the mark in flight: the id, then `id#2`, `id#3`… when a pause withdrew earlier ones. */
  markName: string | undefined;
  /** Marks sent for it so far. */
  marks: number;
  /** Word timings the TTS reported, ms from the segment's first sample. */
  words: WordTiming[];
  /** Words whose mark was sent (in the current generation). */
  wordsMarked: number;
  /** Words whose mark the provider echoed: played for certain. */
  wordsHeard: number;
  /** Bumped when a pause withdraws the word marks in flight; their echoes are then stale. */
  wordMarkGen: number;
}

/**
 * Sends bot audio to the caller in fixed chunks paced by a clock, a bounded lead ahead of real
 * time (`leadMs`), and learns what the caller heard.
 *
 * - Consumes `output_audio` (resampling is the TTS's job: audio must be at the start frame's
 *   `outputSampleRateHz`) and `tts_started`/`tts_stopped`, which delimit the sentences.
 * - Pushes `bot_started_speaking` / `bot_stopped_speaking` both ways; after sending each chunk
 *   pushes it downstream as `output_audio` (for the recorder).
 * - After a sentence's last chunk it sends a mark; when the provider echoes it (a `playback_mark`
 *   frame) the sentence's text goes downstream as `spoken_text`. Without marks, the playback clock
 *   decides.
 * - On `interruption` it drops queued audio, tells the sink to clear, and pushes `spoken_text`
 *   with only the words played so far (`partial: true`); stale mark echoes are ignored. When
 *   the TTS reported word timings (`output_audio.words`), the words are exact: with marks, a
 *   mark goes out after each word's audio and only words whose mark the provider echoed count;
 *   without, words whose end the playback clock passed. Otherwise the share of the sentence's
 *   audio played decides, words taken in proportion to their length.
 * - On `output_pause` it stops sending and tells the sink to clear what the provider buffered;
 *   the chunks sent but not yet played (by the playback clock, from the start of the chunk
 *   being played) go back to the front of the queue, the playback clock stops there, and marks
 *   of sentences not fully played are withdrawn (their echoes are ignored; new marks, named
 *   `<id>#2`…, follow the re-sent audio). Audio arriving meanwhile is queued. `output_resume`
 *   starts sending again from where playback stopped; an `interruption` during a pause clears as
 *   above, counting only what was played before the pause. Replayed chunks are not pushed
 *   downstream again (the recorder gets each chunk once). No `bot_stopped_speaking` while paused.
 * - On `end` it waits until the queued audio was played (a pause is lifted); on `stop` and
 *   `cancel` it drops it.
 *
 * Pacing and the playback clock use the start frame's clock (the system clock in production).
 * The playback clock follows the provider: when it ran dry (a stall longer than the lead, or
 * audio that came late), the provider plays the next chunk from its arrival, so the clock
 * restarts there; the lead stays bounded (a gap is never made up by a burst) and clock-based
 * heard text stays exact.
 */
export class OutputTransport extends FrameProcessor {
  private readonly sink: AudioSink;
  private readonly chunkMs: number;
  private readonly leadMs: number;
  private readonly botStopDelayMs: number;
  private readonly useMarks: boolean;
  private rateHz = 8000;
  private chunkSamples = 160;
  private active = false;
  /** Queued, not yet sent chunks of `chunkSamples` each. */
  private pending: Int16Array[] = [];
  private pendingHead = 0;
  private partial: Int16Array | undefined;
  private partialFill = 0;
  /** Sentences whose text has not been reported as spoken yet, in order. */
  private segments: Segment[] = [];
  private current: Segment | undefined;
  /** Samples sent since the call started (the output timeline). */
  private sentSamples = 0;
  /** Timeline position and clock time (ms) when the playback clock last started. */
  private clockBase = 0;
  private clockStartMs = 0;
  private speaking = false;
  private paused = false;
  /** Chunks sent since the bot started speaking whose playback may not be over, oldest first. */
  private history: Int16Array[] = [];
  private historyHead = 0;
  /** Timeline position up to which chunks were pushed downstream (replays after a pause are not). */
  private recordedSamples = 0;
  private timer: TimerHandle | undefined;
  /** {@link tick} bound once, for the pacing timer. */
  private readonly onTick = () => this.tick();
  private anonymous = 0;
  private drained: (() => void) | undefined;

  constructor(options: OutputTransportOptions, name = 'OutputTransport') {
    super(name);
    this.sink = options.sink;
    this.chunkMs = options.chunkMs ?? 20;
    this.leadMs = options.leadMs ?? 80;
    this.botStopDelayMs = options.botStopDelayMs ?? 350;
    this.useMarks = options.useMarks ?? options.sink.sendMark !== undefined;
  }

  /** True while bot audio is being played (or paused). */
  get botSpeaking(): boolean {
    return this.speaking;
  }

  /** True between `output_pause` and `output_resume` (or an interruption). */
  get isPaused(): boolean {
    return this.paused;
  }

  protected override onStart(f: StartFrame): HandlerResult {
    this.rateHz = f.audio.outputSampleRateHz;
    this.chunkSamples = Math.round((this.rateHz * this.chunkMs) / 1000);
    this.active = true;
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    switch (f.type) {
      case 'tts_started':
        this.openSegment(f.contextId, f.text);
        return;
      case 'output_audio':
        if (f.words && f.contextId !== undefined) this.addWords(f.contextId, f.words);
        if (f.audio.length > 0) this.enqueueAudio(f.audio, f.contextId);
        return;
      case 'tts_stopped':
        this.closeSegment(f.contextId);
        return;
      case 'playback_mark':
        this.onMark(f.name);
        return;
      case 'interruption':
        this.interruptPlayback();
        break;
      case 'output_pause':
        this.pause();
        break;
      case 'output_resume':
        this.resume();
        break;
    }
    this.push(f, direction);
  }

  protected override onStop(reason: 'end' | 'stop' | 'cancel'): HandlerResult {
    this.flushPartial();
    if (reason !== 'end' || (!this.speaking && !this.hasPending())) {
      this.shutdown();
      return;
    }
    return new Promise<void>((resolve) => {
      this.drained = () => {
        this.shutdown();
        resolve();
      };
      if (this.paused)
        this.resume(); // play out what is queued
      else this.schedule();
    });
  }

  private shutdown(): void {
    this.active = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.pendingHead = 0;
    this.clearHistory();
  }

  private hasPending(): boolean {
    return this.pendingHead < this.pending.length || this.partialFill > 0;
  }

  private openSegment(id: string, text: string): void {
    const seg: Segment = {
      id,
      text,
      start: -1,
      length: 0,
      complete: false,
      marked: false,
      markName: undefined,
      marks: 0,
      words: [],
      wordsMarked: 0,
      wordsHeard: 0,
      wordMarkGen: 0,
    };
    this.segments.push(seg);
    this.current = seg;
  }

  private closeSegment(id: string): void {
    const seg = this.segments.find((s) => s.id === id);
    if (!seg) return;
    seg.complete = true;
    this.flushPartial();
    this.schedule();
  }

  private addWords(contextId: string, words: readonly WordTiming[]): void {
    const seg = this.segments.find((s) => s.id === contextId);
    if (!seg) return; // reported already, or cleared
    seg.words.push(...words);
    if (this.speaking && !this.paused) this.sendDueMarks();
  }

  private enqueueAudio(audio: Int16Array, contextId: string | undefined): void {
    if (!this.current || (contextId !== undefined && this.current.id !== contextId)) {
      // Audio without a sentence (e.g. a played file) gets an anonymous segment.
      this.openSegment(contextId ?? `audio-${++this.anonymous}`, '');
    }
    const seg = this.current!;
    if (seg.start < 0) seg.start = this.queuedEnd();
    seg.length += audio.length;
    let offset = 0;
    while (offset < audio.length) {
      if (!this.partial) {
        this.partial = allocSamples(this.chunkSamples); // zeroed: the padding of a last chunk
        this.partialFill = 0;
      }
      const n = Math.min(this.chunkSamples - this.partialFill, audio.length - offset);
      this.partial.set(audio.subarray(offset, offset + n), this.partialFill);
      this.partialFill += n;
      offset += n;
      if (this.partialFill === this.chunkSamples) {
        this.pending.push(this.partial);
        this.partial = undefined;
        this.partialFill = 0;
      }
    }
    this.schedule();
  }

  /** Queues the last incomplete chunk, zero-padded (the padding belongs to the current sentence). */
  private flushPartial(): void {
    if (!this.partial || this.partialFill === 0) return;
    if (this.current) this.current.length += this.chunkSamples - this.partialFill;
    this.pending.push(this.partial);
    this.partial = undefined;
    this.partialFill = 0;
  }

  /** Timeline position after everything queued, samples. */
  private queuedEnd(): number {
    return this.sentSamples + (this.pending.length - this.pendingHead) * this.chunkSamples + this.partialFill;
  }

  /** Timeline position the caller is hearing now by the playback clock (may run past what was sent; frozen while paused). */
  private clockPosition(now: number): number {
    return this.paused ? this.clockBase : this.clockPositionAt(now);
  }

  private schedule(): void {
    if (!this.timer && this.active && !this.paused) this.tick();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.paused) return;
    const now = this.clock.now();
    if (this.pendingHead < this.pending.length) {
      if (!this.speaking) this.startSpeaking(now);
      // The provider played all it had: it plays the next chunk from when it arrives.
      if (this.clockPosition(now) > this.sentSamples) this.restartClock(now);
      const targetSamples = (Math.max(this.leadMs, 2 * this.chunkMs) * this.rateHz) / 1000;
      const position = this.clockPosition(now);
      while (this.pendingHead < this.pending.length && this.sentSamples - position < targetSamples) {
        this.sendChunk(this.pending[this.pendingHead++]!);
      }
      if (this.pendingHead === this.pending.length) {
        this.pending = [];
        this.pendingHead = 0;
      }
      this.sendDueMarks();
    }
    if (this.speaking) {
      this.pruneHistory(now);
      this.settleClock(now);
    }
    if (this.speaking && this.active) this.timer = this.clock.setTimeout(this.onTick, this.chunkMs);
  }

  private startSpeaking(now: number): void {
    this.speaking = true;
    this.restartClock(now);
    this.clearHistory();
    this.pushBoth('bot_started_speaking');
  }

  private sendChunk(chunk: Int16Array): void {
    this.sink.sendAudio(chunk, this.rateHz);
    this.sentSamples += chunk.length;
    this.history.push(chunk);
    if (this.sentSamples > this.recordedSamples) {
      this.recordedSamples = this.sentSamples;
      this.push(frame('output_audio', { audio: chunk, sampleRateHz: this.rateHz, channels: 1 }));
    }
  }

  /** Forgets sent chunks the playback clock says were played. */
  private pruneHistory(now: number): void {
    const played = this.clockPosition(now);
    let start = this.sentSamples - (this.history.length - this.historyHead) * this.chunkSamples;
    while (this.historyHead < this.history.length && start + this.chunkSamples <= played) {
      start += this.chunkSamples;
      this.historyHead++;
    }
    if (this.historyHead === this.history.length) this.clearHistory();
    else if (this.historyHead > 64) {
      this.history = this.history.slice(this.historyHead);
      this.historyHead = 0;
    }
  }

  private clearHistory(): void {
    this.history = [];
    this.historyHead = 0;
  }

  /**
   * A mark goes out right after a complete sentence's last chunk was sent, and (with word
   * timings) after the chunk holding each word's end.
   */
  private sendDueMarks(): void {
    for (const seg of this.segments) {
      if (this.useMarks && seg.start >= 0) this.sendWordMarks(seg);
      if (seg.marked || !seg.complete || seg.start < 0 || seg.start + seg.length > this.sentSamples) continue;
      seg.marked = true;
      seg.marks++;
      seg.markName = seg.marks === 1 ? seg.id : `${seg.id}#${seg.marks}`;
      if (this.useMarks) this.sink.sendMark?.(seg.markName);
    }
  }

  private sendWordMarks(seg: Segment): void {
    while (seg.wordsMarked < seg.words.length) {
      const endMs = seg.words[seg.wordsMarked]!.endMs;
      const end = seg.start + Math.min(seg.length, Math.ceil((endMs * this.rateHz) / 1000));
      if (end > this.sentSamples) return;
      this.sink.sendMark?.(`${seg.id}@${seg.wordMarkGen}.${seg.wordsMarked}`);
      seg.wordsMarked++;
    }
  }

  /**
   * Stops sending: the provider's buffer is cleared and the chunks it held go back to the front
   * of the queue, so that {@link resume} continues from what was played.
   */
  private pause(): void {
    if (this.paused) return;
    if (!this.speaking) {
      this.paused = true; // nothing plays: hold what comes until resumed
      return;
    }
    const now = this.clock.now();
    this.pruneHistory(now); // the history now starts with the chunk being played
    this.paused = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const unplayed = this.history.slice(this.historyHead);
    this.clearHistory();
    if (unplayed.length > 0) {
      this.pending = [...unplayed, ...this.pending.slice(this.pendingHead)];
      this.pendingHead = 0;
      this.sentSamples -= unplayed.length * this.chunkSamples;
    }
    this.clockBase = Math.min(this.sentSamples, this.clockPositionAt(now));
    this.sink.clearAudio();
    // Marks of sentences whose audio was not all played were cleared with it: withdraw them.
    for (const seg of this.segments) {
      if (seg.marked && seg.start + seg.length > this.sentSamples) {
        seg.marked = false;
        seg.markName = undefined;
      }
      if (seg.wordsMarked > seg.wordsHeard) {
        seg.wordMarkGen++;
        seg.wordsMarked = seg.wordsHeard;
      }
    }
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.speaking) this.restartClock(this.clock.now());
    this.schedule();
  }

  /** Starts the playback clock at `now` from the end of what was sent. */
  private restartClock(now: number): void {
    this.clockBase = this.sentSamples;
    this.clockStartMs = now;
  }

  /** The running playback clock's position at `now`, ignoring a pause. */
  private clockPositionAt(now: number): number {
    return this.clockBase + ((now - this.clockStartMs) * this.rateHz) / 1000;
  }

  /** Reports sentences the clock says were played (without marks) and stops speaking when all was played. */
  private settleClock(now: number): void {
    const position = this.clockPosition(now);
    if (!this.useMarks) {
      while (this.segments.length > 0) {
        const seg = this.segments[0]!;
        if (!seg.complete || seg.start < 0 || seg.start + seg.length > position) break;
        this.segments.shift();
        this.emitSpoken(seg.text, false);
      }
    }
    if (this.hasPending()) return;
    const tailSamples = this.drained ? 0 : (this.botStopDelayMs * this.rateHz) / 1000;
    if (position >= this.sentSamples + tailSamples) this.stopSpeaking();
  }

  private stopSpeaking(): void {
    this.speaking = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.clearHistory();
    // All sent audio was played by the clock; sentences whose mark has not come back count as heard.
    for (const seg of this.segments) {
      if (seg.start >= 0 && seg.complete) this.emitSpoken(seg.text, false);
    }
    this.segments = this.segments.filter((s) => s.start < 0 || !s.complete);
    this.pushBoth('bot_stopped_speaking');
    const drained = this.drained;
    this.drained = undefined;
    drained?.();
  }

  private onMark(name: string): void {
    const i = this.segments.findIndex((s) => s.markName === name);
    if (i < 0) {
      this.onWordMark(name);
      return; // else stale: reported already, or its audio was cleared
    }
    // Marks echo in order: everything before this one was played too.
    for (const seg of this.segments.splice(0, i + 1)) this.emitSpoken(seg.text, false);
  }

  /** A word mark (`<segment>@<generation>.<word>`) echoed: that word and those before it were played. */
  private onWordMark(name: string): void {
    const match = /^(.*)@(\d+)\.(\d+)$/.exec(name);
    if (!match) return;
    const seg = this.segments.find((s) => s.id === match[1]);
    if (!seg || seg.wordMarkGen !== Number(match[2])) return;
    seg.wordsHeard = Math.max(seg.wordsHeard, Math.min(Number(match[3]) + 1, seg.wordsMarked));
  }

  /** What the caller heard of `seg` when playback stopped at timeline `position`. */
  private heardText(seg: Segment, position: number): { text: string; partial: boolean } {
    if (seg.words.length > 0) {
      const playedMs = ((position - seg.start) * 1000) / this.rateHz;
      const count = this.useMarks ? seg.wordsHeard : seg.words.filter((w) => w.endMs <= playedMs).length;
      return { text: heardWordsPrefix(seg.text, seg.words, count), partial: true };
    }
    const share = Math.min(1, Math.max(0, position - seg.start) / seg.length);
    // With marks, only an echoed mark proves a whole sentence was heard.
    const partial = share < 1 || this.useMarks;
    return { text: partial ? heardPrefix(seg.text, share) : seg.text, partial };
  }

  private interruptPlayback(): void {
    const wasSpeaking = this.speaking;
    const position = Math.min(this.sentSamples, this.clockPosition(this.clock.now()));
    this.paused = false;
    this.clearHistory();
    for (const seg of this.segments.splice(0)) {
      if (!wasSpeaking || seg.start < 0 || seg.length === 0) continue;
      const { text, partial } = this.heardText(seg, position);
      this.emitSpoken(text, partial);
    }
    this.current = undefined;
    this.pending = [];
    this.pendingHead = 0;
    this.partial = undefined;
    this.partialFill = 0;
    if (wasSpeaking) {
      this.sink.clearAudio();
      this.speaking = false;
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.pushBoth('bot_stopped_speaking');
    }
  }

  private emitSpoken(text: string, partial: boolean): void {
    if (!text) return;
    this.push(frame('spoken_text', { text, partial, uninterruptible: true }));
  }

  private pushBoth(type: 'bot_started_speaking' | 'bot_stopped_speaking'): void {
    this.push(frame(type), 'downstream');
    this.push(frame(type), 'upstream');
  }
}
