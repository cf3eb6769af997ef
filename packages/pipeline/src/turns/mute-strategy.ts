import type { Frame } from '../frames/frames.ts';
import type { Direction } from '../processors/frame-processor.ts';

/**
 * Decides whether the caller is muted, from the frames a {@link UserTurnProcessor} sees. While
 * any of its strategies is muted, the caller's speech neither interrupts the bot nor starts a
 * turn: the processor drops the `vad_user_*` edges and the transcriptions of speech that begins
 * then (caller audio keeps flowing, e.g. to the recorder).
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
