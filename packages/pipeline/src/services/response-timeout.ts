import type { Clock } from '../clock/clock.ts';
import type { ServiceKind } from '../frames/frames.ts';
import { ServiceTimeoutError } from './service-errors.ts';

/** Where {@link withinResponseTimeout} reports and how it stops the request. */
export interface ResponseTimeout {
  /** Longest wait for the first item and between items, ms; `Infinity` for none. */
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly service: ServiceKind;
  /** The service's processor name, for the error. */
  readonly source: string;
  /** Stops the request (aborts its signal); called once, on timeout. */
  readonly abort: () => void;
}

/**
 * Yields `source`'s items, failing with {@link ServiceTimeoutError} (after calling
 * `limits.abort`) when the first item, or any next one, takes longer than `limits.timeoutMs`
 * on `limits.clock`. Items are not hot-path audio: one timer per item is fine.
 */
export async function* withinResponseTimeout<T>(
  source: AsyncIterable<T>,
  limits: ResponseTimeout,
): AsyncGenerator<T> {
  if (!Number.isFinite(limits.timeoutMs)) {
    yield* source;
    return;
  }
  const it = source[Symbol.asyncIterator]();
  let timedOut = false;
  try {
    for (;;) {
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        const timer = limits.clock.setTimeout(() => {
          timedOut = true;
          limits.abort();
          reject(new ServiceTimeoutError(limits.service, limits.source, limits.timeoutMs));
        }, limits.timeoutMs);
        it.next().then(
          (r) => {
            limits.clock.clearTimeout(timer);
            resolve(r);
          },
          (e: unknown) => {
            limits.clock.clearTimeout(timer);
            reject(e);
          },
        );
      });
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // A timed-out `next` may never settle: ending the source must not wait for it.
    if (timedOut) it.return?.()?.catch(() => {});
    else await it.return?.();
  }
}
