import { resolveVadParams, type VadParams } from './vad-params.ts';

/**
 * Where the caller is: `quiet` → `starting` (speech heard, not yet long enough) → `speaking`
 * → `stopping` (silence heard, not yet long enough) → `quiet`.
 */
export type VadState = 'quiet' | 'starting' | 'speaking' | 'stopping';

/** A change reported by {@link VadStateMachine.update}. */
export interface VadTransition {
  /** `started`: the caller began speaking; `stopped`: the caller stopped. */
  readonly type: 'started' | 'stopped';
  /** Index of the window that completed the transition (0-based, counting every window given). */
  readonly atWindow: number;
  /** Index of the first window of the run behind it: the first speech window (`started`) or the first non-speech window (`stopped`). */
  readonly sinceWindow: number;
}

/**
 * Pipecat's VAD state machine, as pure logic (no audio, no I/O): feed it one
 * (confidence, volume) pair per window and it reports when speech starts and stops.
 *
 * A window is speech when `confidence ≥ params.confidence` and `volume ≥ params.minVolume`.
 * Speech starts after `round(startSecs / windowSecs)` consecutive speech windows; one
 * non-speech window in `starting` goes back to `quiet` (blips are ignored). Speech stops after
 * `round(stopSecs / windowSecs)` consecutive non-speech windows; one speech window in
 * `stopping` goes back to `speaking` (short pauses are bridged).
 */
export class VadStateMachine {
  /** The parameters in use (defaults filled in). */
  readonly params: VadParams;
  /** Consecutive speech windows needed to start. */
  readonly startWindows: number;
  /** Consecutive non-speech windows needed to stop. */
  readonly stopWindows: number;
  private current: VadState = 'quiet';
  private startingCount = 0;
  private stoppingCount = 0;
  private index = -1;

  /**
   * @param windowSecs duration of one analysis window, s (Silero: 0.032).
   * @param params overrides of `DEFAULT_VAD_PARAMS`.
   * @throws VadError `invalid_params` for parameters out of range.
   * @throws RangeError when `windowSecs` is not positive.
   */
  constructor(windowSecs: number, params: Partial<VadParams> = {}) {
    if (!(windowSecs > 0)) throw new RangeError(`windowSecs must be > 0, got ${windowSecs}`);
    this.params = resolveVadParams(params);
    this.startWindows = Math.round(this.params.startSecs / windowSecs);
    this.stopWindows = Math.round(this.params.stopSecs / windowSecs);
  }

  /** The current state. */
  get state(): VadState {
    return this.current;
  }

  /** True between a `started` and the next `stopped` transition (`speaking` or `stopping`). */
  get speaking(): boolean {
    return this.current === 'speaking' || this.current === 'stopping';
  }

  /** Windows seen so far. */
  get windows(): number {
    return this.index + 1;
  }

  /**
   * Advance by one window.
   *
   * @param confidence the model's speech probability for the window, 0–1.
   * @param volume the window's (smoothed) volume, 0–1.
   * @returns the transition this window completed, if any.
   */
  update(confidence: number, volume: number): VadTransition | undefined {
    this.index++;
    const speech = confidence >= this.params.confidence && volume >= this.params.minVolume;
    if (speech) {
      if (this.current === 'quiet') {
        this.current = 'starting';
        this.startingCount = 1;
      } else if (this.current === 'starting') {
        this.startingCount++;
      } else if (this.current === 'stopping') {
        this.current = 'speaking';
        this.stoppingCount = 0;
      }
    } else if (this.current === 'starting') {
      this.current = 'quiet';
      this.startingCount = 0;
    } else if (this.current === 'speaking') {
      this.current = 'stopping';
      this.stoppingCount = 1;
    } else if (this.current === 'stopping') {
      this.stoppingCount++;
    }

    if (this.current === 'starting' && this.startingCount >= this.startWindows) {
      const run = this.startingCount;
      this.current = 'speaking';
      this.startingCount = 0;
      return { type: 'started', atWindow: this.index, sinceWindow: this.index - run + 1 };
    }
    if (this.current === 'stopping' && this.stoppingCount >= this.stopWindows) {
      const run = this.stoppingCount;
      this.current = 'quiet';
      this.stoppingCount = 0;
      return { type: 'stopped', atWindow: this.index, sinceWindow: this.index - run + 1 };
    }
    return undefined;
  }

  /** Back to `quiet` with no history (a new stream). */
  reset(): void {
    this.current = 'quiet';
    this.startingCount = 0;
    this.stoppingCount = 0;
    this.index = -1;
  }
}
