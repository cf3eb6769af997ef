import { setFlagsFromString } from 'node:v8';

/** Options of {@link tuneGcForRealTime}. */
export interface RealTimeGcOptions {
  /**
   * How far the old generation may grow past the heap that survived a major collection before
   * the next one starts, percent: the next limit is `(1 + p / 100) ×` the live heap. Default
   * {@link REALTIME_HEAP_GROWING_PERCENT}.
   */
  readonly heapGrowingPercent?: number;
}

/**
 * The default of {@link RealTimeGcOptions.heapGrowingPercent}: the next major collection at 4×
 * the live heap, the largest factor V8 picks by itself (on a 64-bit machine with a large heap
 * limit), so a workload V8 would have given more room never gets less.
 */
export const REALTIME_HEAP_GROWING_PERCENT = 300;

/**
 * Tunes V8's garbage collector of this process for real-time audio: rarer major (mark-compact)
 * collections, for a larger heap (up to about 4× what is live, by default).
 *
 * Why: V8 sizes the old generation from how fast it collects compared with how fast the program
 * promotes. A voice server promotes little but steadily (audio queued for playback, timers,
 * promises of requests in flight), so V8 keeps the limit near 1.3× the live heap and starts a
 * major collection every one to two seconds at 100 calls. Each one stalls the event loop 30–150
 * ms on a busy core (incremental marking steps, the atomic pause, V8's marking and sweeping
 * threads taking the core): caller audio is handled late and the bot's audio has gaps. In the
 * capacity bench (BENCHMARKS.md, 2026-12-08) at 100 calls per core, 8 major collections in 20 s
 * and 4.3–4.6% late input frames became one collection and 0.4–0.6% with the limit at 2×, and
 * none and 0.0–0.2% at 4× (with the recorder's buffers reused as well).
 *
 * Call once, early in the process (the Parley server does, first thing in `main.ts`). It sets
 * the V8 flag `--heap-growing-percent` (`node --v8-options`), which V8 reads whenever it
 * recomputes the limit, after each major collection; it overrides V8's own choice of factor,
 * and the same flag given on the command line.
 *
 * @throws RangeError when `heapGrowingPercent` is not an integer from 10 to 1000.
 */
export function tuneGcForRealTime(options: RealTimeGcOptions = {}): void {
  const percent = options.heapGrowingPercent ?? REALTIME_HEAP_GROWING_PERCENT;
  if (!Number.isInteger(percent) || percent < 10 || percent > 1000) {
    throw new RangeError(`heapGrowingPercent must be an integer from 10 to 1000, got ${percent}`);
  }
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
