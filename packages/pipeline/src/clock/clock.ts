/** An opaque timer handle of a {@link Clock}. */
export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout;

/**
 * Time for processors' timing rules (endpointing delays, idle prompts, timeouts). Processors
 * read it from the start frame so tests can run them on a {@link VirtualClock}.
 * Real-time pacing of audio (the output transport) stays on the system clock.
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Run `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** The process clock: `performance.now()` and Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};
