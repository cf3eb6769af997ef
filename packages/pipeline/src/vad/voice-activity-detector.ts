import type { VadAnalyzer } from './vad-analyzer.ts';
import type { VadParams } from './vad-params.ts';
import { type VadState, VadStateMachine } from './vad-state-machine.ts';
import { VolumeMeter } from './volume.ts';

/** A start or end of speech found by {@link VoiceActivityDetector}. */
export interface VoiceActivityEvent {
  /** `started`: the caller began speaking; `stopped`: the caller stopped. */
  readonly type: 'started' | 'stopped';
  /** Stream time at the end of the window that completed the transition, ms (when it was decided). */
  readonly atMs: number;
  /**
   * Stream time where the run behind it began, ms: the start of the first speech window
   * (`started`, i.e. about `atMs − startSecs`) or of the first silent window (`stopped`).
   */
  readonly sinceMs: number;
}

/**
 * Voice activity for one stream: runs each window through the analyzer (speech probability),
 * a {@link VolumeMeter} (smoothed volume) and the {@link VadStateMachine}. Stream time counts
 * the windows analyzed plus the samples reported with {@link skip}.
 */
export class VoiceActivityDetector {
  /** Samples per window to pass to {@link analyze}. */
  readonly windowSamples: number;
  private readonly machine: VadStateMachine;
  private readonly meter = new VolumeMeter();
  private positionSamples = 0;
  private confidence = 0;

  /**
   * @param analyzer the stream's model (its `sampleRateHz` and `windowSamples` set the timing).
   * @param params overrides of the default VAD parameters.
   * @throws VadError `invalid_params` for parameters out of range.
   */
  constructor(
    readonly analyzer: VadAnalyzer,
    params: Partial<VadParams> = {},
  ) {
    this.windowSamples = analyzer.windowSamples;
    this.machine = new VadStateMachine(analyzer.windowSamples / analyzer.sampleRateHz, params);
  }

  /** The state machine's state. */
  get state(): VadState {
    return this.machine.state;
  }

  /** True between a `started` and the next `stopped` event. */
  get speaking(): boolean {
    return this.machine.speaking;
  }

  /** Speech probability of the last window, 0–1. */
  get lastConfidence(): number {
    return this.confidence;
  }

  /** Smoothed volume after the last window, 0–1. */
  get lastVolume(): number {
    return this.meter.value;
  }

  /** Stream time analyzed or skipped so far, ms. */
  get positionMs(): number {
    return (this.positionSamples * 1000) / this.analyzer.sampleRateHz;
  }

  /**
   * Analyze the next window of the stream. Call one at a time, in order. `window` is read
   * before the first await, so the caller may refill it once this returned its promise.
   * While no speech is under way, a window quieter than `minVolume` is not run through the
   * model where the analyzer can skip it (`VadAnalyzer.skip`): it could not start speech.
   *
   * @param window exactly `windowSamples` mono 16-bit samples at the analyzer's rate.
   * @returns the transition this window completed, if any.
   * @throws whatever the analyzer throws (e.g. VadError `bad_window`).
   */
  async analyze(window: Int16Array): Promise<VoiceActivityEvent | undefined> {
    const volume = this.meter.update(window);
    const start = this.positionSamples;
    this.positionSamples += window.length;
    if (this.analyzer.skip && this.machine.state === 'quiet' && volume < this.machine.params.minVolume) {
      // Speech needs the volume too: whatever the model says, this window leaves the state quiet.
      this.analyzer.skip(window);
      this.confidence = 0;
      this.machine.update(0, volume);
      return undefined;
    }
    this.confidence = await this.analyzer.probability(window);
    const t = this.machine.update(this.confidence, volume);
    if (!t) return undefined;
    const msPerWindow = (this.windowSamples * 1000) / this.analyzer.sampleRateHz;
    const windowsBack = t.atWindow - t.sinceWindow;
    const atMs = ((start + window.length) * 1000) / this.analyzer.sampleRateHz;
    return { type: t.type, atMs, sinceMs: atMs - (windowsBack + 1) * msPerWindow };
  }

  /**
   * Account for samples that were dropped instead of analyzed, so stream times stay true.
   * @param samples samples at the analyzer's rate.
   */
  skip(samples: number): void {
    this.positionSamples += samples;
  }

  /** Start a new stream: analyzer, volume and state machine are reset, time goes back to 0. */
  reset(): void {
    this.analyzer.reset();
    this.meter.reset();
    this.machine.reset();
    this.positionSamples = 0;
    this.confidence = 0;
  }
}
