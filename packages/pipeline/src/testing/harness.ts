import type { Subscription } from 'rxjs';
import type { Clock } from '../clock/clock.ts';
import { type AudioSettings, type Frame, type FrameOf, type FrameType, frame } from '../frames/frames.ts';
import type { Direction, FrameProcessor } from '../processors/frame-processor.ts';

/**
 * Drives one processor (or pipeline) in a test: push frames in either direction and
 * capture what comes out of both ends.
 *
 * @example
 * const h = new ProcessorHarness(new MyProcessor());
 * await h.start();
 * h.send(frame('transcription', { text: 'hi' }));
 * await h.waitFor('llm_context');
 */
export class ProcessorHarness<P extends FrameProcessor = FrameProcessor> {
  /** Frames the processor pushed downstream, in order (the start frame included). */
  readonly downstream: Frame[] = [];
  /** Frames the processor pushed upstream, in order. */
  readonly upstream: Frame[] = [];
  private readonly subs: Subscription[];
  private waiters: Array<() => void> = [];

  constructor(readonly processor: P) {
    this.subs = [
      processor.downstream$.subscribe((f) => this.capture(this.downstream, f)),
      processor.upstream$.subscribe((f) => this.capture(this.upstream, f)),
    ];
  }

  /**
   * Send the start frame and wait until it came out.
   * @param audio Sample rates (Hz); each defaults to 8000.
   * @param metadata The start frame's metadata.
   * @param clock The clock timing processors use (a {@link VirtualClock} in timing tests); default the system's.
   */
  async start(
    audio: Partial<AudioSettings> = {},
    metadata: Record<string, unknown> = {},
    clock?: Clock,
  ): Promise<void> {
    this.send(
      frame('start', {
        audio: {
          inputSampleRateHz: audio.inputSampleRateHz ?? 8000,
          outputSampleRateHz: audio.outputSampleRateHz ?? 8000,
        },
        metadata,
        ...(clock ? { clock } : {}),
      }),
    );
    await this.waitFor('start');
  }

  /** Deliver a frame to the processor. */
  send(f: Frame, direction: Direction = 'downstream'): void {
    this.processor.queueFrame(f, direction);
  }

  /** Captured frames of one type, from one side (default downstream). */
  ofType<T extends FrameType>(type: T, side: Direction = 'downstream'): FrameOf<T>[] {
    const list = side === 'downstream' ? this.downstream : this.upstream;
    return list.filter((f): f is FrameOf<T> => f.type === type);
  }

  /** Types of the captured frames, in order, without the given ones (default: audio). */
  types(
    side: Direction = 'downstream',
    without: readonly FrameType[] = ['input_audio', 'output_audio'],
  ): FrameType[] {
    const list = side === 'downstream' ? this.downstream : this.upstream;
    return list.map((f) => f.type).filter((t) => !without.includes(t));
  }

  /**
   * Wait until `count` frames of `type` came out on `side`.
   * @throws Error after `timeoutMs` (default 5000) with what was captured.
   */
  async waitFor<T extends FrameType>(
    type: T,
    options: { side?: Direction; count?: number; timeoutMs?: number } = {},
  ): Promise<FrameOf<T>> {
    const side = options.side ?? 'downstream';
    const count = options.count ?? 1;
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      const found = this.ofType(type, side);
      if (found.length >= count) return found[count - 1]!;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${count}× ${type} ${side}; saw ${this.types(side).join(', ')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Stop capturing. */
  dispose(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  private capture(list: Frame[], f: Frame): void {
    list.push(f);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
