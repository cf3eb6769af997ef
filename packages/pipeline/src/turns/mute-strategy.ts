import type { Frame } from '../frames/frames.ts';
import type { Direction } from '../processors/frame-processor.ts';

/**
 * Decides whether the caller is muted, from the frames a {@link UserTurnProcessor} sees. While
 * any of its strategies is muted, the caller's speech neither interrupts the bot nor starts a
 * turn, but it is not lost: the processor keeps its transcriptions and, when muting ends, takes
 * it up as if the caller had begun speaking then (a turn if the bot is silent, tentative speech
 * if it speaks; only backchannels or wordless noise are dropped). Caller audio keeps flowing,
 * e.g. to the recorder.
 *
 * Strategies hold per-call state: give each call (each processor) its own instances.
 */
export interface MuteStrategy {
  /** Name for logs and tests. */
  readonly name: string;
  /** True while the caller is muted. */
  readonly muted: boolean;
  /**
   * Sees every frame reaching the turn processor, in either direction, before the processor
   * acts on it. Must not throw.
   */
  observe(f: Frame, direction: Direction): void;
}
