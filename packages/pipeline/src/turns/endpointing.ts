/** Options of {@link AdaptiveEndpointing} (the wait after the caller's speech before the turn ends). */
export interface EndpointingOptions {
  /** Shortest wait after the caller's speech ended before the turn may end, s. Default 0.5. */
  readonly minDelaySecs?: number;
  /**
   * Longest wait, s. Default 3. It also bounds how long a turn waits for a final transcript
   * after the speech ended: at `maxDelaySecs` the turn ends with whatever text it has.
   */
  readonly maxDelaySecs?: number;
  /** Learn the caller's pauses (see {@link AdaptiveEndpointing}). Default true; false keeps `minDelaySecs`. */
  readonly adaptive?: boolean;
  /** How far beyond the caller's typical pause to wait, s. Default 0.25. */
  readonly marginSecs?: number;
  /** Weight of the newest pause in the running average, in (0, 1]. Default 0.3. */
  readonly smoothing?: number;
}

/** {@link EndpointingOptions} with every default filled in. */
export type ResolvedEndpointingOptions = Required<EndpointingOptions>;

/** The defaults: 0.5 s to 3 s, adaptive, 0.25 s beyond the typical pause, smoothing 0.3. */
export const DEFAULT_ENDPOINTING: Readonly<ResolvedEndpointingOptions> = Object.freeze({
  minDelaySecs: 0.5,
  maxDelaySecs: 3,
  adaptive: true,
  marginSecs: 0.25,
  smoothing: 0.3,
});

/**
 * Fill in defaults and check ranges.
 * @throws RangeError when a delay is negative or not finite, `maxDelaySecs < minDelaySecs`,
 *   `marginSecs < 0`, or `smoothing` is outside (0, 1].
 */
export function resolveEndpointingOptions(options: EndpointingOptions = {}): ResolvedEndpointingOptions {
  const d = DEFAULT_ENDPOINTING;
  const o: ResolvedEndpointingOptions = {
    minDelaySecs: options.minDelaySecs ?? d.minDelaySecs,
    maxDelaySecs: options.maxDelaySecs ?? d.maxDelaySecs,
    adaptive: options.adaptive ?? d.adaptive,
    marginSecs: options.marginSecs ?? d.marginSecs,
    smoothing: options.smoothing ?? d.smoothing,
  };
  const duration = (v: number) => Number.isFinite(v) && v >= 0;
  if (!duration(o.minDelaySecs)) throw new RangeError(`minDelaySecs must be ≥ 0 s, got ${o.minDelaySecs}`);
  if (!duration(o.maxDelaySecs) || o.maxDelaySecs < o.minDelaySecs) {
    throw new RangeError(`maxDelaySecs must be ≥ minDelaySecs (${o.minDelaySecs} s), got ${o.maxDelaySecs}`);
  }
  if (!duration(o.marginSecs)) throw new RangeError(`marginSecs must be ≥ 0 s, got ${o.marginSecs}`);
  if (!(o.smoothing > 0 && o.smoothing <= 1))
    throw new RangeError(`smoothing must be in (0, 1], got ${o.smoothing}`);
  return o;
}

/**
 * The endpointing delay of one call: how long to wait after the caller's speech ended before
 * deciding their turn is over, adapted to how this caller pauses.
 *
 * Rule: `delay = clamp(typicalPause + marginSecs, minDelaySecs, maxDelaySecs)`, where
 * `typicalPause` is an exponential moving average (weight `smoothing` for the newest) of the
 * caller's observed within-turn pauses, seeded with `minDelaySecs − marginSecs` (so the delay
 * starts at `minDelaySecs` and one odd pause moves it only part of the way: with the defaults a
 * 1.5 s pause takes it from 0.5 s to 0.875 s).
 * A pause is the silence between two stretches of the caller's speech that belong to one turn:
 * either the turn stayed open across it, or the turn was ended during it and the caller went on
 * speaking before the bot answered (the delay was too short: the sample raises it).
 * Pauses longer than `maxDelaySecs` are ignored (the caller was not pausing mid-turn).
 * With `adaptive: false` the delay stays at `minDelaySecs`.
 */
export class AdaptiveEndpointing {
  private readonly options: ResolvedEndpointingOptions;
  private average: number;
  private samples = 0;

  /** @throws RangeError for options out of range (see {@link resolveEndpointingOptions}). */
  constructor(options: EndpointingOptions = {}) {
    this.options = resolveEndpointingOptions(options);
    this.average = Math.max(0, this.options.minDelaySecs - this.options.marginSecs);
  }

  /** The delay to use now, s, in [`minDelaySecs`, `maxDelaySecs`]. */
  get delaySecs(): number {
    const { minDelaySecs, maxDelaySecs, marginSecs } = this.options;
    return Math.min(maxDelaySecs, Math.max(minDelaySecs, this.average + marginSecs));
  }

  /** The longest wait, s (`maxDelaySecs`). */
  get maxDelaySecs(): number {
    return this.options.maxDelaySecs;
  }

  /** The caller's typical within-turn pause so far (the seeded average), s. */
  get typicalPauseSecs(): number {
    return this.average;
  }

  /** Pauses learned so far. */
  get pausesLearned(): number {
    return this.samples;
  }

  /** Learn from one within-turn pause of `secs` seconds (ignored when not adaptive, negative or > max). */
  recordPause(secs: number): void {
    if (!this.options.adaptive || !(secs >= 0) || secs > this.options.maxDelaySecs) return;
    const a = this.options.smoothing;
    this.average = a * secs + (1 - a) * this.average;
    this.samples++;
  }
}
