/**
 * Which of the marks (Twilio, Exotel) or checkpoints (Vobiz) we sent the provider has not yet
 * echoed: while one is outstanding, audio we sent is still queued at the provider, and ending
 * the stream would cut it off.
 */
export class PlaybackTracker {
  private readonly outstanding = new Set<string>();
  private waiters: Array<() => void> = [];

  /** A mark was sent after some audio. */
  sent(name: string): void {
    this.outstanding.add(name);
  }

  /** The provider echoed a mark: the audio before it was played (or, for Twilio, cleared). */
  acknowledged(name: string): void {
    if (this.outstanding.delete(name)) this.settleIfIdle();
  }

  /** The provider's buffer was cleared: nothing queued is left to wait for. */
  cleared(): void {
    this.outstanding.clear();
    this.settleIfIdle();
  }

  /** Resolves when every mark sent so far was echoed, or after `timeoutMs` (echoes can be lost). */
  whenPlayed(timeoutMs: number): Promise<void> {
    if (this.outstanding.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private settleIfIdle(): void {
    if (this.outstanding.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
