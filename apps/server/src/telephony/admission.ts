/**
 * The concurrency limit: how many calls this server process carries at once. A call counts
 * from the moment it is accepted (webhook answered, outbound call placed) until its media
 * session ends; an accepted call whose stream never comes stops counting after a wait (short
 * once answered, long while an outbound call rings), and is then reported abandoned.
 */

/**
 * How long a call answered by its webhook holds its place while its media stream has not
 * started, ms: providers open the stream within a second or two of our answer, so a longer wait
 * only lets bogus webhooks hold places (`STREAM_WAIT_SECS` sets it).
 */
export const STREAM_WAIT_MS = 15_000;

/**
 * How long an outbound call we placed holds its place before it is answered, ms: longer than
 * it rings (Twilio's default timeout is 60 s).
 */
export const ANSWER_WAIT_MS = 120_000;

/** What an admitted call waits for: its answer (an outbound call ringing) or its media stream. */
export type AdmissionWait = 'answer' | 'stream';

/** Options of {@link CallAdmission}. */
export interface CallAdmissionOptions {
  /** How long an answered call waits for its stream, ms; default {@link STREAM_WAIT_MS}. */
  readonly streamWaitMs?: number;
  /** How long a placed outbound call waits to be answered, ms; default {@link ANSWER_WAIT_MS}. */
  readonly answerWaitMs?: number;
  /** The limit when the caller passes `null` (the settings set none); default: no limit. */
  readonly defaultLimit?: number;
  /** Called with the id of an accepted call whose stream did not start in time (must not throw). */
  readonly onAbandoned?: (callId: string) => void;
}

/**
 * The calls this process counts against the concurrency limit: live media sessions (asked
 * through `activeCalls`) plus accepted calls whose stream has not started (held here, each for
 * at most its wait). Throws nothing.
 */
export class CallAdmission {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private closed = false;

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
   * Holds a place for `callId` until it is released ({@link release}) or its wait passes (then
   * `onAbandoned` hears of it). A call that holds a place already keeps it, its wait restarted
   * (an answered outbound call now waits for its stream).
   * @param limit The most calls counted at once; `null`: the default limit.
   * @param wait What the call waits for: `stream` (answered) or `answer` (an outbound call ringing).
   * @returns `false` (nothing held) when the limit is reached or admission is closed.
   */
  tryAdmit(callId: string, limit: number | null, wait: AdmissionWait = 'stream'): boolean {
    const held = this.pending.has(callId);
    const max = limit ?? this.options.defaultLimit ?? null;
    if (!held && (this.closed || (max !== null && this.count >= max))) return false;
    clearTimeout(this.pending.get(callId));
    const waitMs =
      wait === 'answer'
        ? (this.options.answerWaitMs ?? ANSWER_WAIT_MS)
        : (this.options.streamWaitMs ?? STREAM_WAIT_MS);
    const timer = setTimeout(() => {
      this.pending.delete(callId);
      this.options.onAbandoned?.(callId);
    }, waitMs);
    timer.unref();
    this.pending.set(callId, timer);
    return true;
  }

  /** Releases `callId`'s pending place: its session runs now (and counts as active), or no stream will come. */
  release(callId: string): void {
    clearTimeout(this.pending.get(callId));
    this.pending.delete(callId);
  }

  /** True once {@link close} was called: new calls are refused like calls over the limit. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Admit no new call from now on (the server is draining); calls already held keep their place. */
  close(): void {
    this.closed = true;
  }

  /** Forget every pending place (server shutdown). */
  clear(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
