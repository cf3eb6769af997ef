/**
 * Volume of a window on Pipecat's normalised loudness scale, 0–1.
 *
 * Pipecat feeds the raw int16 sample values to pyloudnorm (ITU-R BS.1770 loudness) and maps
 * −20…80 to 0…1. We keep that scale with a plain RMS instead of K-weighting (a few dB of
 * difference on speech):
 *
 *   L = 20·log10(rms) − 0.691   (rms of the samples on the int16 scale)
 *   volume = clamp((L + 20) / 100, 0, 1)   ⇔   volume = (dBFS + 109.6) / 100
 *
 * So 0.6 ≈ −49.6 dBFS (rms ≈ 108), 0.8 ≈ −29.6 dBFS; ±30 LSB of noise (−65.6 dBFS) is 0.44;
 * digital silence is 0.
 *
 * @param window mono samples: 16-bit PCM, or floats in [-1, 1) (scaled by 32768).
 * @returns the volume in [0, 1]; 0 for an empty window.
 */
export function windowVolume(window: Int16Array | Float32Array): number {
  if (window.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < window.length; i++) sum += window[i]! * window[i]!;
  const scale = window instanceof Float32Array ? 32768 * 32768 : 1;
  const meanSquare = (sum * scale) / window.length;
  if (meanSquare <= 0) return 0;
  const loudness = 10 * Math.log10(meanSquare) - 0.691;
  return Math.min(1, Math.max(0, (loudness + 20) / 100));
}

/** Smoothing factors of {@link VolumeMeter}: the weight of the new value, 0–1. */
export interface VolumeMeterOptions {
  /** Weight of a louder window (default 0.5: a speech onset registers within one window). */
  readonly attack?: number;
  /** Weight of a quieter window (default 0.2, Pipecat's factor: short dips inside words are bridged). */
  readonly release?: number;
}

/**
 * Smoothed {@link windowVolume}: an exponential moving average with a fast attack and a slow
 * release, `v ← v + k·(volume − v)` with `k = attack` when rising and `release` when falling.
 * The first window sets the value directly, so a caller who speaks at once is not delayed.
 */
export class VolumeMeter {
  private readonly attack: number;
  private readonly release: number;
  private current: number | undefined;

  constructor(options: VolumeMeterOptions = {}) {
    this.attack = options.attack ?? 0.5;
    this.release = options.release ?? 0.2;
  }

  /** The smoothed volume, 0–1 (0 before the first window). */
  get value(): number {
    return this.current ?? 0;
  }

  /**
   * Add the next window of the stream.
   * @returns the smoothed volume, 0–1.
   */
  update(window: Int16Array | Float32Array): number {
    const v = windowVolume(window);
    const prev = this.current;
    this.current = prev === undefined ? v : prev + (v > prev ? this.attack : this.release) * (v - prev);
    return this.current;
  }

  /** Forget the history (start a new stream). */
  reset(): void {
    this.current = undefined;
  }
}
