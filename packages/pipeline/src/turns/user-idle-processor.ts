import type { TimerHandle } from '../clock/clock.ts';
import { type Frame, type FrameType, frame } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';

/** Options of {@link UserIdleProcessor}. */
export interface UserIdleOptions {
  /** Silence on both sides before the caller is prompted (and, after the last prompt, before hanging up), s. Default 15. */
  readonly timeoutSecs?: number;
  /** Prompts before hanging up; 0 hangs up after the first silence. Default 2. */
  readonly maxPrompts?: number;
  /**
   * What the bot says to prompt the caller. Default `"Are you still there?"`. A function is
   * asked each time the prompt is said (e.g. a template whose variables are filled later).
   */
  readonly prompt?: string | (() => string);
  /** Said before hanging up; none by default. A function is asked when it is said. */
  readonly goodbye?: string | (() => string | undefined);
  /** Processor name. Default `UserIdleProcessor`. */
  readonly name?: string;
}

/** The defaults: 15 s, 2 prompts, "Are you still there?", no goodbye. */
export const DEFAULT_USER_IDLE = Object.freeze({
  timeoutSecs: 15,
  maxPrompts: 2,
  prompt: 'Are you still there?',
});

/**
 * Prompts a silent caller and hangs up when they stay silent. Place it after the
 * `UserTurnProcessor` (it reads `user_started_speaking`/`user_stopped_speaking` downstream and
 * `bot_started_speaking`/`bot_stopped_speaking` upstream).
 *
 * The idle clock runs only while nobody speaks and no function call runs (between
 * `function_calls_started`/`function_call_in_progress` and their result or cancel, in either
 * direction); it starts at the start of the call and restarts, from zero, whenever it runs
 * again. After `timeoutSecs` of it: a `tts_speak` of `prompt` goes downstream, up to
 * `maxPrompts` times; the next time, `goodbye` is spoken (when set) and an `end_task` with
 * reason `user_idle` goes upstream (the task ends the call after what is queued was said).
 * The caller speaking resets the prompt count. Times use the start frame's clock.
 *
 * With the defaults: "Are you still there?" after 15 s of silence, again 15 s after it was
 * said, and the call ends 15 s after the second one.
 */
export class UserIdleProcessor extends FrameProcessor {
  private readonly timeoutMs: number;
  private readonly maxPrompts: number;
  private readonly prompt: string | (() => string);
  private readonly goodbye: string | (() => string | undefined) | undefined;
  private userSpeaking = false;
  private botSpeaking = false;
  private readonly calls = new Set<string>();
  private prompts = 0;
  private done = false;
  private timer: TimerHandle | undefined;

  /** @throws RangeError when `timeoutSecs` is not > 0 or `maxPrompts` is not a whole number ≥ 0. */
  constructor(options: UserIdleOptions = {}) {
    super(options.name ?? 'UserIdleProcessor');
    const secs = options.timeoutSecs ?? DEFAULT_USER_IDLE.timeoutSecs;
    if (!(secs > 0 && Number.isFinite(secs))) throw new RangeError(`timeoutSecs must be > 0, got ${secs}`);
    this.timeoutMs = secs * 1000;
    this.maxPrompts = options.maxPrompts ?? DEFAULT_USER_IDLE.maxPrompts;
    if (!Number.isInteger(this.maxPrompts) || this.maxPrompts < 0) {
      throw new RangeError(`maxPrompts must be a whole number ≥ 0, got ${this.maxPrompts}`);
    }
    this.prompt = options.prompt ?? DEFAULT_USER_IDLE.prompt;
    this.goodbye = options.goodbye;
  }

  /** Prompts said since the caller last spoke. */
  get promptsSaid(): number {
    return this.prompts;
  }

  protected override onStart(): HandlerResult {
    this.rearm();
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    this.push(f, direction);
    switch (f.type) {
      case 'user_started_speaking':
        this.userSpeaking = true;
        this.prompts = 0;
        break;
      case 'user_stopped_speaking':
        this.userSpeaking = false;
        break;
      case 'bot_started_speaking':
        this.botSpeaking = true;
        break;
      case 'bot_stopped_speaking':
        this.botSpeaking = false;
        break;
      case 'function_calls_started':
        for (const call of f.calls) this.calls.add(call.id);
        break;
      case 'function_call_in_progress':
        this.calls.add(f.call.id);
        break;
      case 'function_call_result':
      case 'function_call_cancel':
        this.calls.delete(f.toolCallId);
        break;
      default:
        return;
    }
    this.rearm();
  }

  protected override onStop(): HandlerResult {
    this.done = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the idle clock, and restarts it from zero when nobody speaks and no call runs. */
  private rearm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.done || this.userSpeaking || this.botSpeaking || this.calls.size > 0) return;
    this.timer = this.clock.setTimeout(() => this.onIdle(), this.timeoutMs);
  }

  private onIdle(): void {
    this.timer = undefined;
    if (!this.isRunning || this.done) return;
    if (this.prompts < this.maxPrompts) {
      this.prompts++;
      this.push(
        frame('tts_speak', { text: typeof this.prompt === 'function' ? this.prompt() : this.prompt }),
      );
      this.rearm(); // the prompt's bot_started_speaking stops the clock; if it never plays, the clock goes on
      return;
    }
    this.done = true;
    const goodbye = typeof this.goodbye === 'function' ? this.goodbye() : this.goodbye;
    if (goodbye) this.push(frame('tts_speak', { text: goodbye }));
    this.push(frame('end_task', { reason: 'user_idle' }), 'upstream');
  }
}
