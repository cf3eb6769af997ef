import { type Clock, systemClock } from '../clock/clock.ts';
import type { FrameType } from '../frames/frames.ts';
import type { FrameEvent, TaskObserver } from '../processors/task.ts';

/** One line of a call transcript. */
export interface TranscriptEntry {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  /**
   * When the entry began, ms since the call's media stream started (the task's `start` frame),
   * on the start frame's clock, rounded to whole ms. Before any start frame is seen: ms since
   * the collector was created, on the system clock.
   */
  readonly atMs: number;
  /** The bot was cut short; `text` holds only what the caller heard. */
  readonly interrupted?: boolean;
}

/**
 * Builds the transcript from the frames of a task: the caller's final transcriptions, and what
 * the caller heard of the bot (`spoken_text`, one entry per bot turn). Calls `onEntry` as each
 * entry completes. Times come from the start frame's clock (a `VirtualClock` in tests; the
 * system clock when the start frame has none).
 */
export class TranscriptCollector implements TaskObserver {
  /** Completed entries, in order. */
  readonly entries: TranscriptEntry[] = [];
  private clock: Clock = systemClock;
  /** Start of the call on {@link clock}, ms; creation time until the start frame is seen. */
  private t0 = systemClock.now();
  private started = false;
  private readonly seen = new Set<number>();
  private assistant: { parts: string[]; atMs: number; interrupted: boolean } | undefined;
  /** When the bot's current reply started playing: its line is timed there, not when its first sentence ended. */
  private botStartedAtMs: number | undefined;

  /**
   * @param onEntry Called synchronously with each entry as it completes (a user entry at its
   *   final transcription; an assistant entry when the bot stops speaking, is interrupted, the
   *   caller's next final transcription arrives, or the task ends), after it is appended to
   *   {@link entries}. Optional.
   */
  constructor(private readonly onEntry?: (entry: TranscriptEntry) => void) {}

  /** The frames {@link onFrame} reads (see `TaskObserver.frameTypes`). */
  static readonly FRAME_TYPES: readonly FrameType[] = [
    'start',
    'transcription',
    'bot_started_speaking',
    'spoken_text',
    'bot_stopped_speaking',
    'interruption',
  ];
  readonly frameTypes = TranscriptCollector.FRAME_TYPES;

  onFrame({ frame: f }: FrameEvent): void {
    switch (f.type) {
      case 'start':
        if (!this.started) {
          this.started = true;
          if (f.clock) this.clock = f.clock;
          this.t0 = this.clock.now();
        }
        break;
      case 'transcription':
        if (this.firstSight(f.id)) {
          this.closeAssistant();
          this.add({ role: 'user', text: f.text, atMs: this.now() });
        }
        break;
      case 'bot_started_speaking':
        this.botStartedAtMs ??= this.now();
        break;
      case 'spoken_text':
        if (this.firstSight(f.id)) {
          // Never before the line above it, so entries stay in time order.
          const atMs = Math.max(this.botStartedAtMs ?? this.now(), this.entries.at(-1)?.atMs ?? 0);
          this.assistant ??= { parts: [], atMs, interrupted: false };
          this.assistant.parts.push(f.text);
          if (f.partial) this.assistant.interrupted = true;
        }
        break;
      case 'bot_stopped_speaking':
      case 'interruption':
        this.closeAssistant();
        break;
    }
  }

  onEnd(): void {
    this.closeAssistant();
  }

  private firstSight(id: number): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    return true;
  }

  private closeAssistant(): void {
    const a = this.assistant;
    if (!a) return;
    this.assistant = undefined;
    this.botStartedAtMs = undefined;
    const text = a.parts.join(' ');
    this.add(
      a.interrupted
        ? { role: 'assistant', text, atMs: a.atMs, interrupted: true }
        : { role: 'assistant', text, atMs: a.atMs },
    );
  }

  private add(entry: TranscriptEntry): void {
    this.entries.push(entry);
    this.onEntry?.(entry);
  }

  private now(): number {
    return Math.round(this.clock.now() - this.t0);
  }
}
