import type { TimerHandle } from '../clock/clock.ts';
import { type Frame, type FrameType, frame } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';

/** Options of {@link DtmfAggregator}. */
export interface DtmfAggregatorOptions {
  /** Key that sends the entry at once (it is kept at the end of the text); `null` for none. Default `'#'`. */
  readonly terminator?: string | null;
  /** Time after the last key press before the entry is sent anyway, ms. Default 2000. */
  readonly timeoutMs?: number;
  /** Text put before the keys. Default `'DTMF: '`. */
  readonly prefix?: string;
  /** Processor name. Default `'DtmfAggregator'`. */
  readonly name?: string;
}

/**
 * Turns the caller's key presses into text for the LLM. It collects the digits of
 * `dtmf_input` frames (which it passes on) and pushes them as one final `transcription`,
 * `"DTMF: 1234#"`, when the terminator key is pressed, when `timeoutMs` passed since the
 * last key (measured on the pipeline's clock), or at `end`; `stop` and `cancel` drop them. Placed before
 * the user context aggregator, the entry then ends the caller's turn like speech would.
 *
 * An interruption loses no digits: the entry keeps collecting across it, and the
 * `transcription` is marked uninterruptible so no processor drops it while queued.
 */
export class DtmfAggregator extends FrameProcessor {
  private readonly terminator: string | null;
  private readonly timeoutMs: number;
  private readonly prefix: string;
  private digits = '';
  private timer: TimerHandle | undefined;

  /** @throws RangeError when `timeoutMs` is not a positive number. */
  constructor(options: DtmfAggregatorOptions = {}) {
    super(options.name ?? 'DtmfAggregator');
    this.terminator = options.terminator === undefined ? '#' : options.terminator;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.prefix = options.prefix ?? 'DTMF: ';
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${this.timeoutMs}`);
  }

  /** Keys collected and not yet sent. */
  get pending(): string {
    return this.digits;
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    this.push(f, direction);
    if (f.type === 'dtmf_input' && direction === 'downstream') this.add(f.digit);
  }

  protected override onStop(reason: 'end' | 'stop' | 'cancel'): HandlerResult {
    if (reason === 'end') this.flush();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.digits = '';
  }

  private add(digit: string): void {
    this.digits += digit;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (digit === this.terminator) this.flush();
    else this.timer = this.clock.setTimeout(() => this.flush(), this.timeoutMs);
  }

  private flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.digits) return;
    const text = `${this.prefix}${this.digits}`;
    this.digits = '';
    this.push(frame('transcription', { text, endOfUtterance: true, uninterruptible: true }));
  }
}
