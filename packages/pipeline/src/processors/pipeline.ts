import type { Observable } from 'rxjs';
import type { Frame } from '../frames/frames.ts';
import { type Direction, FrameProcessor, link } from './frame-processor.ts';

/** Forwards everything; stands in for an empty pipeline. */
class PassThrough extends FrameProcessor {}

/**
 * A chain of processors that is itself a processor. Downstream frames enter the first
 * processor and leave from the last; upstream frames the other way. The pipeline adds
 * no queue and no hop of its own.
 */
export class Pipeline extends FrameProcessor {
  /** The chained processors, in downstream order (never empty). */
  readonly processors: readonly FrameProcessor[];

  constructor(processors: readonly FrameProcessor[], name = 'Pipeline') {
    super(name);
    this.processors = processors.length > 0 ? processors : [new PassThrough()];
    for (let i = 1; i < this.processors.length; i++) link(this.processors[i - 1]!, this.processors[i]!);
  }

  override get downstream$(): Observable<Frame> {
    return this.processors[this.processors.length - 1]!.downstream$;
  }

  override get upstream$(): Observable<Frame> {
    return this.processors[0]!.upstream$;
  }

  override onPush(direction: Direction, receiver: (f: Frame) => void): () => void {
    const end =
      direction === 'downstream' ? this.processors[this.processors.length - 1]! : this.processors[0]!;
    return end.onPush(direction, receiver);
  }

  override get isRunning(): boolean {
    return this.processors.some((p) => p.isRunning);
  }

  override inlet(direction: Direction): (f: Frame) => void {
    const end =
      direction === 'downstream' ? this.processors[0]! : this.processors[this.processors.length - 1]!;
    return end.inlet(direction);
  }

  override queueFrame(f: Frame, direction: Direction): void {
    if (direction === 'downstream') this.processors[0]!.queueFrame(f, direction);
    else this.processors[this.processors.length - 1]!.queueFrame(f, direction);
  }

  /** Every leaf processor, depth first, in downstream order. */
  override leaves(): FrameProcessor[] {
    return this.processors.flatMap((p) => p.leaves());
  }
}
