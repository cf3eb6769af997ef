import type { Clock, TimerHandle } from './clock.ts';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to: {@link advance} runs the timers that come due, in
 * time order, so tests of timing rules need no sleeps.
 *
 * @example
 * const clock = new VirtualClock();
 * await harness.start({}, {}, clock);
 * harness.send(frame('user_stopped_speaking'));
 * await clock.advance(500); // the endpointing delay passes instantly
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.timers = this.timers.filter((t) => (t.id as unknown) !== handle);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Move time forward by `ms`, running every timer that comes due (timers they set too),
   * letting promise callbacks settle after each one.
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets queued promise callbacks and immediates run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
