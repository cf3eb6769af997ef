/**
 * In-process counts of what the server refused to protect calls and itself, by kind, for
 * `/health` and for operators watching for abuse (each refusal is also logged as a warning).
 */

/**
 * - `duplicate_webhook`: a call webhook for a call that already has its stream token, is
 *   streaming or has ended (a provider retry, or a replayed or forged webhook): no new token.
 * - `stream_refused`: a media stream's `start` named no call it may carry (no, wrong or used
 *   token; a second stream for a call; an unknown agent).
 * - `stream_without_start`: a media stream closed before a valid `start` (timeout, invalid
 *   messages, audio we cannot decode).
 * - `message_too_large`: a media-stream message over its provider's size limit (closed, 1009).
 * - `pending_streams_per_ip`: an upgrade refused (429) because its address already holds the
 *   most media streams that have not sent `start`.
 * - `rate_limited`: a webhook or API request over its rate limit (429).
 */
export type RefusalKind =
  | 'duplicate_webhook'
  | 'stream_refused'
  | 'stream_without_start'
  | 'message_too_large'
  | 'pending_streams_per_ip'
  | 'rate_limited';

const KINDS: readonly RefusalKind[] = [
  'duplicate_webhook',
  'stream_refused',
  'stream_without_start',
  'message_too_large',
  'pending_streams_per_ip',
  'rate_limited',
];

/** Counts of refusals since the process started, by kind. */
export class RefusalCounters {
  private readonly counts = new Map<RefusalKind, number>(KINDS.map((k) => [k, 0]));

  /** Counts one refusal of `kind`. */
  count(kind: RefusalKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** The counts now, every kind present (0 when none). */
  snapshot(): Record<RefusalKind, number> {
    return Object.fromEntries(this.counts) as Record<RefusalKind, number>;
  }
}
