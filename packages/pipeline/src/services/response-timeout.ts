import type { Clock, TimerHandle } from '../clock/clock.ts';
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
 * on `limits.clock`.
 *
 * TTS audio comes through here in chunks as small as 20 ms, so a timer per item would cost a
 * timer and its closure per chunk: one timer per request is armed instead, and when it fires
 * early (items kept coming) it re-arms for the rest of the current wait.
 */
export async function* withinResponseTimeout<T>(
  source: AsyncIterable<T>,
  limits: ResponseTimeout,
): AsyncGenerator<T> {
  if (!Number.isFinite(limits.timeoutMs)) {
    yield* source;
    return;
  }
  const { clock, timeoutMs } = limits;
  const it = source[Symbol.asyncIterator]();
  let timedOut = false;
  let deadline = 0;
  let timer: TimerHandle | undefined;
  /** Rejects the wait under way; `undefined` while the consumer holds an item. */
  let failWait: ((e: unknown) => void) | undefined;
  const onTimer = () => {
    timer = undefined;
    if (failWait === undefined) return; // between waits: the next wait arms it again
    const left = deadline - clock.now();
    if (left > 0) {
      timer = clock.setTimeout(onTimer, left);
      return;
    }
    timedOut = true;
    limits.abort();
    failWait(new ServiceTimeoutError(limits.service, limits.source, timeoutMs));
  };
  try {
    for (;;) {
      deadline = clock.now() + timeoutMs;
      if (timer === undefined) timer = clock.setTimeout(onTimer, timeoutMs);
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        failWait = reject;
        it.next().then(resolve, reject);
      });
      failWait = undefined;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    failWait = undefined;
    clock.clearTimeout(timer);
    // A timed-out `next` may never settle: ending the source must not wait for it.
    if (timedOut) it.return?.()?.catch(() => {});
    else await it.return?.();
  }
}
