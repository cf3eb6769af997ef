import type { TimerHandle } from '../clock/clock.ts';
import { type FrameType, frame } from '../frames/frames.ts';
import { CALLER_AUDIO, FrameProcessor, type HandlerResult } from '../processors/frame-processor.ts';

/** Options of {@link MaxDurationProcessor}. */
export interface MaxDurationOptions {
  /** Longest call, s, counted from the start frame. Required. */
  readonly maxDurationSecs: number;
  /** Said before hanging up; none by default. */
  readonly goodbye?: string;
  /** Processor name. Default `MaxDurationProcessor`. */
  readonly name?: string;
}

/**
 * Ends the call after `maxDurationSecs` (by the start frame's clock): pushes `tts_speak` of
 * `goodbye` downstream when set, then `end_task` with reason `max_duration` upstream (the task
 * ends the call after what is queued was said). Every frame passes through unchanged. Place it
 * anywhere before the TTS service (for the goodbye); the timer stops when the pipeline stops.
 */
export class MaxDurationProcessor extends FrameProcessor {
  private readonly maxDurationMs: number;
  private readonly goodbye: string | undefined;
  private timer: TimerHandle | undefined;

  /** @throws RangeError when `maxDurationSecs` is not a finite number > 0. */
  constructor(options: MaxDurationOptions) {
    super(options.name ?? 'MaxDurationProcessor');
    const secs = options.maxDurationSecs;
    if (!(secs > 0 && Number.isFinite(secs)))
      throw new RangeError(`maxDurationSecs must be > 0, got ${secs}`);
    this.maxDurationMs = secs * 1000;
    this.goodbye = options.goodbye;
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override onStart(): HandlerResult {
    this.timer = this.clock.setTimeout(() => this.expire(), this.maxDurationMs);
  }

  protected override onStop(): HandlerResult {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private expire(): void {
    this.timer = undefined;
    if (!this.isRunning) return;
    if (this.goodbye) this.push(frame('tts_speak', { text: this.goodbye }));
    this.push(frame('end_task', { reason: 'max_duration' }), 'upstream');
  }
}
