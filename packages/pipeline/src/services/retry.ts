import type { Clock } from '../clock/clock.ts';

/**
 * How a service retries a request that failed before any output (see {@link retryUntilOutput}).
 * Only transient failures are retried ({@link isRetryableError}).
 */
export interface RetryOptions {
  /** Retries after the first attempt; 0 for none. Default 0. */
  readonly retries?: number;
  /** Delay before the first retry, ms; it doubles with each further retry. Default 250. */
  readonly baseDelayMs?: number;
  /**
   * Longest delay, ms. An error whose `retryAfterMs` asks for longer is not retried: a caller
   * on the line cannot wait that long (a failover chain moves the request on instead). Default 2000.
   */
  readonly maxDelayMs?: number;
  /**
   * Random spread of each backoff delay, a fraction from 0 to 1 (0.2: ±20 %), so that calls
   * failing together do not retry in step. Not applied to a `retryAfterMs`. Default 0.2.
   */
  readonly jitter?: number;
  /**
   * Also retry a response timeout (`ServiceTimeoutError`). Default false: it has already cost the
   * caller the service's `responseTimeoutMs` of silence.
   */
  readonly retryTimeouts?: boolean;
}

/** What {@link retryUntilOutput} waits on and stops with. */
export interface RetryContext {
  /** Clock of the delays (the processor's, so tests run them on a `VirtualClock`). */
  readonly clock: Clock;
  /** Aborts the delays and ends the retrying (the error thrown is the signal's reason). */
  readonly signal: AbortSignal;
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** Node's codes of network failures worth another attempt. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** `e` and the errors in its `cause` chain (a few levels: SDKs wrap fetch errors that wrap socket errors). */
function causeChain(e: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  for (
    let x = e;
    typeof x === 'object' && x !== null && chain.length < 5;
    x = (x as { cause?: unknown }).cause
  ) {
    chain.push(x as Record<string, unknown>);
  }
  return chain;
}

/**
 * True for an error that retrying, or another provider, will not fix: a class named
 * `…ConfigurationError` (a missing or rejected key, an unknown model or voice) anywhere in its
 * `cause` chain. Duck-typed by name, so services' own error families need not be imported.
 */
export function isConfigurationError(e: unknown): boolean {
  return causeChain(e).some((x) => typeof x.name === 'string' && x.name.endsWith('ConfigurationError'));
}

/**
 * True for a transient failure: the first HTTP `status` in the error's `cause` chain is 408,
 * 429 or 5xx; or, without a status, a Node network error `code` (`ECONNREFUSED`,
 * `ECONNRESET`, `ETIMEDOUT`, …) or an error named `…ConnectionError` or `…TimeoutError`
 * (including the pipeline's `ServiceTimeoutError`). Configuration errors
 * ({@link isConfigurationError}) and aborts never are; an error with none of these marks is not.
 */
export function isTransientError(e: unknown): boolean {
  if (isConfigurationError(e)) return false;
  const chain = causeChain(e);
  if (chain[0]?.name === 'AbortError') return false;
  const status = chain.find((x) => typeof x.status === 'number')?.status as number | undefined;
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  return chain.some(
    (x) =>
      (typeof x.code === 'string' && NETWORK_CODES.has(x.code)) ||
      (typeof x.name === 'string' && (x.name.endsWith('ConnectionError') || x.name.endsWith('TimeoutError'))),
  );
}

/** The wait a provider asked for (`retryAfterMs` on the error or its causes, ms), if any. */
export function retryAfterMs(e: unknown): number | undefined {
  for (const x of causeChain(e)) {
    const ms = x.retryAfterMs;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return ms;
  }
  return undefined;
}

/**
 * True when `options` allow another attempt after `e`: a transient error, not a response
 * timeout unless `retryTimeouts`, and no `retryAfterMs` longer than `maxDelayMs`.
 */
export function isRetryableError(e: unknown, options: RetryOptions = {}): boolean {
  if (!isTransientError(e)) return false;
  if (!options.retryTimeouts && causeChain(e)[0]?.name === 'ServiceTimeoutError') return false;
  const after = retryAfterMs(e);
  return after === undefined || after <= (options.maxDelayMs ?? 2000);
}

/**
 * Exponential backoff: `baseMs · 2^attempt`, at most `maxMs`, spread by ±`jitter`.
 * @param attempt 0 for the first retry.
 * @param random A number in [0, 1).
 */
export function backoffDelayMs(
  attempt: number,
  options: { readonly baseMs: number; readonly maxMs: number; readonly jitter?: number },
  random: number = Math.random(),
): number {
  const exact = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
  return Math.max(0, exact * (1 + jitter * (2 * random - 1)));
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason when it aborts first. */
function delay(ms: number, clock: Clock, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
}

/**
 * Yields the items of a request opened by `open`, retrying it while it fails before its first
 * output item: items before it (e.g. word timings ahead of audio) are held and dropped with a
 * failed attempt, so a retry never repeats them. After the first output, a failure is thrown as
 * is (the caller has heard part of the answer). Between attempts it waits
 * {@link backoffDelayMs} (or the error's `retryAfterMs`) on `context.clock`.
 *
 * @param open Starts one attempt. Its own timeouts (e.g. `withinResponseTimeout`) go inside.
 * @param isOutput Whether an item is output (default: every item is).
 * @throws the last attempt's error when it is not {@link isRetryableError} or the retries are
 *   spent; the signal's reason when it aborts during a delay.
 */
export async function* retryUntilOutput<T>(
  open: () => AsyncIterable<T>,
  options: RetryOptions,
  context: RetryContext,
  isOutput: (item: T) => boolean = () => true,
): AsyncGenerator<T> {
  const retries = options.retries ?? 0;
  for (let attempt = 0; ; attempt++) {
    const it = open()[Symbol.asyncIterator]();
    const held: T[] = [];
    let first: IteratorResult<T>;
    try {
      for (;;) {
        first = await it.next();
        if (first.done || isOutput(first.value)) break;
        held.push(first.value);
      }
    } catch (e) {
      if (context.signal.aborted || attempt >= retries || !isRetryableError(e, options)) throw e;
      const wait =
        retryAfterMs(e) ??
        backoffDelayMs(
          attempt,
          {
            baseMs: options.baseDelayMs ?? 250,
            maxMs: options.maxDelayMs ?? 2000,
            jitter: options.jitter ?? 0.2,
          },
          (context.random ?? Math.random)(),
        );
      await delay(wait, context.clock, context.signal);
      continue;
    }
    try {
      yield* held;
      if (first.done) return;
      yield first.value;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
      return;
    } finally {
      await it.return?.();
    }
  }
}
