import { DEFAULT_BACKCHANNELS } from './backchannel.ts';

/**
 * When the caller's speech interrupts the bot (see {@link UserTurnProcessor} for the rules).
 * These apply only while the bot is speaking; otherwise the caller's speech starts a turn.
 */
export interface InterruptionOptions {
  /** Whether the caller can interrupt the bot at all. Default true. */
  readonly enabled?: boolean;
  /**
   * Speech without words must last this long, s (from when it began, by the VAD), before it
   * pauses the bot (a possible interruption) — or, when `falseInterruptionTimeoutSecs` is 0,
   * interrupts it. Only applies when `minWords` is 0. Default 0.5.
   */
  readonly minSpeechSecs?: number;
  /**
   * Words (not counting backchannels) needed to interrupt. 0: any word interrupts, and speech
   * of `minSpeechSecs` pauses the bot until words come; ≥ 1: only this many words interrupt and
   * wordless speech never pauses the bot. Default 0.
   */
  readonly minWords?: number;
  /**
   * After the caller paused the bot with speech that brought no words, resume the bot's audio
   * this long after the caller went silent, s. 0 turns pause/resume off. Default 2.
   */
  readonly falseInterruptionTimeoutSecs?: number;
  /**
   * Phrases that neither interrupt nor get a reply when said while the bot speaks.
   * Default {@link DEFAULT_BACKCHANNELS}; `[]` turns backchannel detection off.
   */
  readonly backchannels?: readonly string[];
}

/** {@link InterruptionOptions} with every default filled in. */
export type ResolvedInterruptionOptions = Required<InterruptionOptions>;

/** The defaults: enabled, 0.5 s, 0 words, resume after 2 s, {@link DEFAULT_BACKCHANNELS}. */
export const DEFAULT_INTERRUPTIONS: Readonly<ResolvedInterruptionOptions> = Object.freeze({
  enabled: true,
  minSpeechSecs: 0.5,
  minWords: 0,
  falseInterruptionTimeoutSecs: 2,
  backchannels: DEFAULT_BACKCHANNELS,
});

/**
 * Fill in defaults and check ranges.
 * @throws RangeError when `minSpeechSecs` or `falseInterruptionTimeoutSecs` is negative or not
 *   finite, or `minWords` is not a whole number ≥ 0.
 */
export function resolveInterruptionOptions(options: InterruptionOptions = {}): ResolvedInterruptionOptions {
  const d = DEFAULT_INTERRUPTIONS;
  const o: ResolvedInterruptionOptions = {
    enabled: options.enabled ?? d.enabled,
    minSpeechSecs: options.minSpeechSecs ?? d.minSpeechSecs,
    minWords: options.minWords ?? d.minWords,
    falseInterruptionTimeoutSecs: options.falseInterruptionTimeoutSecs ?? d.falseInterruptionTimeoutSecs,
    backchannels: options.backchannels ?? d.backchannels,
  };
  const duration = (v: number) => Number.isFinite(v) && v >= 0;
  if (!duration(o.minSpeechSecs)) throw new RangeError(`minSpeechSecs must be ≥ 0 s, got ${o.minSpeechSecs}`);
  if (!duration(o.falseInterruptionTimeoutSecs)) {
    throw new RangeError(`falseInterruptionTimeoutSecs must be ≥ 0 s, got ${o.falseInterruptionTimeoutSecs}`);
  }
  if (!Number.isInteger(o.minWords) || o.minWords < 0) {
    throw new RangeError(`minWords must be a whole number ≥ 0, got ${o.minWords}`);
  }
  return o;
}
