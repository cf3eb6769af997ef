/**
 * A voice-activity model for one audio stream: it turns fixed-size windows of audio into
 * speech probabilities. Implementations keep per-stream state (recurrent state, context
 * samples), so use one analyzer per call and feed it consecutive windows in order.
 */
export interface VadAnalyzer {
  /** Sample rate the analyzer expects, Hz. */
  readonly sampleRateHz: number;
  /** Samples per window given to {@link probability} (mono). */
  readonly windowSamples: number;
  /**
   * Speech probability of the next window of the stream, in [0, 1]. Call one at a time
   * (await each) and in stream order. Implementations read `window` before their first
   * await, so callers may refill the same buffer as soon as the call has returned its promise.
   *
   * @param window exactly {@link windowSamples} mono samples: 16-bit PCM, or floats in [-1, 1).
   */
  probability(window: Float32Array | Int16Array): Promise<number>;
  /**
   * The next window of the stream, not analyzed: it is too quiet to count as speech whatever
   * the model would say. Optional; where it exists the detector calls it instead of
   * {@link probability} for such windows while no speech is under way, sparing the model run.
   * Implementations keep what the next window needs (e.g. context samples) and may start their
   * recurrent memory afresh, as at the start of a stream.
   *
   * @param window exactly {@link windowSamples} mono samples, as for {@link probability}.
   */
  skip?(window: Float32Array | Int16Array): void;
  /** Forget the stream's state (start a new stream). */
  reset(): void;
  /** Release per-stream resources. The analyzer cannot be used afterwards. */
  dispose(): void;
}

/**
 * Makes an analyzer for a stream at `sampleRateHz` (Hz). The default is
 * `SileroVad.create`; tests inject scripted analyzers.
 */
export type VadAnalyzerFactory = (sampleRateHz: number) => Promise<VadAnalyzer>;
