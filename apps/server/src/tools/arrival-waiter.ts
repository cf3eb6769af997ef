/**
 * Waiting on a stream of arrivals (WebSocket messages): a wait re-checks its predicate as soon
 * as something arrives, and at least every 50 ms for conditions that change on their own.
 */
export class ArrivalWaiter {
  private wakers: Array<() => void> = [];

  /** Something arrived: every pending {@link until} re-checks its predicate now. */
  wake(): void {
    for (const w of this.wakers.splice(0)) w();
  }

  /**
   * Resolves once `predicate` holds.
   *
   * @param timeoutMs - How long to wait, ms.
   * @param what - What is awaited, for the error.
   * @throws Error `timed out waiting for <what>` after `timeoutMs`.
   */
  async until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
