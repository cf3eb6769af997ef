import type { Subscription } from 'rxjs';
import { type Frame, frame, type StartFrame } from '../../frames/frames.ts';
import type { Direction, FrameProcessor, StopReason } from '../../processors/frame-processor.ts';

/**
 * A service run by a failover chain without being linked into the pipeline: the chain hands it
 * frames (`start`, the stop, for STT the caller's audio) and receives what it makes. Frames it
 * merely passes on (the ones handed to it) are swallowed; everything it makes (transcripts,
 * metrics, errors) goes to `relay`, except a fatal error during its start, which rejects
 * {@link start} instead.
 */
export class ChainMember<S extends FrameProcessor> {
  private readonly handed = new WeakSet<Frame>();
  private readonly passed = new Map<Frame, () => void>();
  private readonly subscriptions: Subscription[];
  private started: Promise<void> | undefined;
  private starting = false;
  private startError: unknown;
  private stopped: Promise<void> | undefined;

  /**
   * @param service The service; never linked to another processor.
   * @param relay Receives each frame the service makes, in the direction it pushed it.
   */
  constructor(
    readonly service: S,
    relay: (f: Frame, direction: Direction) => void,
  ) {
    this.subscriptions = [
      service.downstream$.subscribe((f) => {
        if (!this.handed.has(f)) relay(f, 'downstream');
        else this.passed.get(f)?.();
      }),
      service.upstream$.subscribe((f) => {
        if (this.starting && f.type === 'error' && f.fatal) this.startError = f.cause ?? new Error(f.message);
        else if (!this.handed.has(f)) relay(f, 'upstream');
      }),
    ];
  }

  /** Whether {@link start} was called (a processor starts once: a stopped member cannot run again). */
  get used(): boolean {
    return this.started !== undefined;
  }

  /**
   * Start the service with the pipeline's start frame (once; later calls return the same
   * promise). Frames handed to it meanwhile wait in its queue.
   * @throws the error that made its start fail (e.g. a rejected key, an unreachable provider).
   */
  start(f: StartFrame): Promise<void> {
    this.started ??= this.begin(f);
    return this.started;
  }

  /** Hand the service a frame (it is swallowed when the service passes it on). */
  send(f: Frame, direction: Direction = 'downstream'): void {
    this.handed.add(f);
    this.service.queueFrame(f, direction);
  }

  /**
   * Stop the service (`end` lets it finish what it holds; `stop` and `cancel` do not) and wait
   * until it has, then stop listening to it. Nothing to do when it never started.
   */
  stop(reason: StopReason): Promise<void> {
    this.stopped ??= this.end(reason);
    return this.stopped;
  }

  private async begin(f: StartFrame): Promise<void> {
    this.starting = true;
    try {
      await this.handOver(f);
    } finally {
      this.starting = false;
    }
    if (this.startError !== undefined) throw this.startError;
    if (this.stopped) throw new Error(`${this.service.name} was stopped before it started`);
  }

  private async end(reason: StopReason): Promise<void> {
    if (this.started) {
      const why = 'failover chain stopped';
      // A start that has not settled holds back an `end` or `stop`: cancel it instead.
      const how = this.starting ? 'cancel' : reason;
      const f =
        how === 'cancel'
          ? frame('cancel', { reason: why })
          : how === 'end'
            ? frame('end', { reason: why })
            : frame('stop', { reason: why });
      await this.handOver(f);
      // A start that was cancelled is never passed on: settle its wait (begin then fails).
      for (const settle of [...this.passed.values()]) settle();
    }
    for (const s of this.subscriptions) s.unsubscribe();
  }

  /** Hands `f` over and resolves when the service passed it on. */
  private handOver(f: Frame): Promise<void> {
    return new Promise<void>((resolve) => {
      this.passed.set(f, () => {
        this.passed.delete(f);
        resolve();
      });
      this.send(f);
    });
  }
}
