/**
 * The end-of-call webhook: `POST` of `{ call, transcript, analysis, usage }` as JSON to the
 * operator's URL, signed so the receiver can check it came from Parley and is fresh.
 *
 * Signature scheme: `X-Parley-Timestamp: <unix seconds>` and
 * `X-Parley-Signature: sha256=<hex>`, where `<hex>` is HMAC-SHA256, keyed with the secret,
 * of `<timestamp>.<raw body>` (the timestamp header's value, a dot, the body's bytes as sent).
 * A receiver recomputes it over the raw body, compares in constant time, and refuses
 * timestamps older than a few minutes (a replay).
 */
import { createHmac } from 'node:crypto';

/** Header carrying the signing time, unix seconds. */
export const TIMESTAMP_HEADER = 'X-Parley-Timestamp';
/** Header carrying `sha256=<hex>` of `<timestamp>.<body>`. */
export const SIGNATURE_HEADER = 'X-Parley-Signature';

/** `sha256=<hex HMAC-SHA256(secret, "<timestampSecs>.<body>")>`. */
export function signWebhook(secret: string, timestampSecs: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSecs}.${body}`).digest('hex')}`;
}

/** How a delivery ended. */
export interface WebhookOutcome {
  readonly delivered: boolean;
  /** Requests made (1 + retries). */
  readonly attempts: number;
  /** The last answer's HTTP status, if there was one. */
  readonly status?: number;
  /** Why the last attempt failed, when none succeeded. */
  readonly error?: string;
}

/** Options of {@link deliverWebhook}. */
export interface DeliverOptions {
  /** The egress-checked fetch (`createEgressFetch`). */
  readonly fetch: typeof fetch;
  /** Retries after the first attempt. Default 3. */
  readonly retries?: number;
  /** Wait before the first retry, ms; doubled for each next one. Default 1000. */
  readonly backoffMs?: number;
  /** Each attempt's timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Unix time in seconds (tests fix it). Default: now. */
  readonly nowSecs?: () => number;
}

/**
 * POSTs `payload` to `url`, signed with `secret` (a fresh timestamp per attempt); retries
 * network failures, timeouts, 429 and 5xx answers with exponential backoff. Never throws.
 */
export async function deliverWebhook(
  url: string,
  secret: string,
  payload: unknown,
  options: DeliverOptions,
): Promise<WebhookOutcome> {
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 1000;
  const nowSecs = options.nowSecs ?? (() => Math.floor(Date.now() / 1000));
  const body = JSON.stringify(payload);
  let last: { status?: number; error: string } = { error: 'not sent' };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 2)));
    const timestamp = nowSecs();
    try {
      const response = await options.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (response.ok) return { delivered: true, attempts: attempt, status: response.status };
      last = { status: response.status, error: `HTTP ${response.status}` };
      if (response.status !== 429 && response.status < 500)
        return { delivered: false, attempts: attempt, ...last };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      last = { error: cause instanceof Error ? cause.message : String(cause) };
    }
  }
  return { delivered: false, attempts: retries + 1, ...last };
}
