import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/clock/virtual-clock.ts';
import { withinResponseTimeout } from '../src/services/response-timeout.ts';
import { ServiceTimeoutError } from '../src/services/service-errors.ts';

/** A source whose items come when the test releases them. */
class Trickle {
  private waiting: ((r: IteratorResult<number>) => void) | undefined;
  returned = false;

  release(value: number | 'done'): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(value === 'done' ? { done: true, value: undefined } : { done: false, value });
  }

  [Symbol.asyncIterator](): AsyncIterator<number> {
    return {
      next: () => new Promise((resolve) => (this.waiting = resolve)),
      return: async () => {
        this.returned = true;
        return { done: true, value: undefined };
      },
    };
  }
}

/** A virtual clock that counts the timers set on it. */
class CountingClock extends VirtualClock {
  created = 0;
  override setTimeout(fn: () => void, ms: number) {
    this.created++;
    return super.setTimeout(fn, ms);
  }
}

/** Runs `source` through the timeout on `clock`, collecting items and the outcome. */
function consume(source: Trickle, clock: VirtualClock, aborted: { count: number }) {
  const items: number[] = [];
  const outcome = (async () => {
    for await (const x of withinResponseTimeout(source, {
      timeoutMs: 1000,
      clock,
      service: 'tts',
      source: 'tts:test',
      abort: () => aborted.count++,
    }))
      items.push(x);
  })().then(
    () => 'done' as const,
    (e: unknown) => e,
  );
  return { items, outcome };
}

describe('withinResponseTimeout', () => {
  it('lets a long response through whose items each come within the limit', async () => {
    const clock = new VirtualClock();
    const source = new Trickle();
    const aborted = { count: 0 };
    const { items, outcome } = consume(source, clock, aborted);
    for (let i = 0; i < 10; i++) {
      await clock.advance(900); // 9 s in all, each gap under the 1 s limit
      expect(clock.pending).toBe(1);
      source.release(i);
    }
    await clock.advance(0);
    source.release('done');
    expect(await outcome).toBe('done');
    expect(items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(aborted.count).toBe(0);
    expect(clock.pending).toBe(0); // nothing left armed
  });

  it('sets about one timer per limit, not one per item (20 ms audio chunks come through here)', async () => {
    const clock = new CountingClock();
    const source = new Trickle();
    const { items, outcome } = consume(source, clock, { count: 0 });
    for (let i = 0; i < 100; i++) {
      await clock.advance(20); // 2 s of 20 ms chunks
      source.release(i);
    }
    await clock.advance(0);
    source.release('done');
    expect(await outcome).toBe('done');
    expect(items).toHaveLength(100);
    expect(clock.created).toBeLessThanOrEqual(3);
  });

  it('fails a gap over the limit after items came, aborting the request once', async () => {
    const clock = new VirtualClock();
    const source = new Trickle();
    const aborted = { count: 0 };
    const { items, outcome } = consume(source, clock, aborted);
    await clock.advance(500);
    source.release(1);
    await clock.advance(999); // 999 ms into the second wait: not yet
    expect(aborted.count).toBe(0);
    await clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(ServiceTimeoutError);
    expect(items).toEqual([1]);
    expect(aborted.count).toBe(1);
    expect(source.returned).toBe(true);
  });

  it('does not count the time the consumer holds an item', async () => {
    const clock = new VirtualClock();
    const source = new Trickle();
    const aborted = { count: 0 };
    const gen = withinResponseTimeout(source, {
      timeoutMs: 1000,
      clock,
      service: 'tts',
      source: 'tts:test',
      abort: () => aborted.count++,
    });
    const first = gen.next();
    source.release(1);
    expect(await first).toEqual({ done: false, value: 1 });
    await clock.advance(5000); // the consumer is busy elsewhere
    const second = gen.next();
    await clock.advance(900);
    source.release(2);
    expect(await second).toEqual({ done: false, value: 2 });
    expect(aborted.count).toBe(0);
    await gen.return(undefined);
    expect(clock.pending).toBe(0);
  });
});
