/**
 * The concurrency limit: how many calls this server process carries at once. A call counts
 * from the moment it is accepted (webhook answered, outbound call placed) until its media
 * session ends; an accepted call whose stream never comes stops counting after
 * {@link PENDING_STREAM_MS}, and is then reported abandoned.
 */

/**
 * How long an accepted call holds its place while its media stream has not started, ms: longer
 * than an outbound call rings (Twilio's default timeout is 60 s) before it is answered.
 */
export const PENDING_STREAM_MS = 120_000;

/** Options of {@link CallAdmission}. */
export interface CallAdmissionOptions {
  /** How long an accepted call waits for its stream, ms; default {@link PENDING_STREAM_MS}. */
  readonly pendingMs?: number;
  /** Called with the id of an accepted call whose stream did not start in time (must not throw). */
  readonly onAbandoned?: (callId: string) => void;
}

/**
 * The calls this process counts against the telephony settings' `maxConcurrentCalls`: live
 * media sessions (asked through `activeCalls`) plus accepted calls whose stream has not started
 * (held here, each for at most the pending time). Throws nothing.
 */
export class CallAdmission {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  /** @param activeCalls How many media sessions are running now. */
  constructor(
    private readonly activeCalls: () => number,
    private readonly options: CallAdmissionOptions = {},
  ) {}

  /** Calls counted now: running sessions and accepted calls awaiting their stream. */
  get count(): number {
    return this.activeCalls() + this.pending.size;
  }

  /**
   * Holds a place for `callId` until it is released ({@link release}) or the pending time
   * passes (then `onAbandoned` hears of it).
   * @returns `false` (nothing held) when `limit` calls are already counted; `limit` null: no limit.
   */
  tryAdmit(callId: string, limit: number | null): boolean {
    if (this.pending.has(callId)) return true;
    if (limit !== null && this.count >= limit) return false;
    const timer = setTimeout(() => {
      this.pending.delete(callId);
      this.options.onAbandoned?.(callId);
    }, this.options.pendingMs ?? PENDING_STREAM_MS);
    timer.unref();
    this.pending.set(callId, timer);
    return true;
  }

  /** Releases `callId`'s pending place: its session runs now (and counts as active), or no stream will come. */
  release(callId: string): void {
    clearTimeout(this.pending.get(callId));
    this.pending.delete(callId);
  }

  /** Forget every pending place (server shutdown). */
  clear(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
