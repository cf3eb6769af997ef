import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REALTIME_HEAP_GROWING_PERCENT, tuneGcForRealTime } from '../src/runtime/realtime-gc.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'gc-limit.ts');

/** The growing factors V8 applied to its old-generation limit in a child tuned with `arg`. */
async function limitFactors(arg: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--expose-gc',
    '--trace-gc-verbose',
    '--import',
    'tsx',
    CHILD,
    arg,
  ]);
  expect(stdout).toContain('kept 100000');
  // e.g. `[HeapController] Limit: old size: 15376 KB, new limit: 31621 KB (1.5)`
  return [...stdout.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)/g)].map((m) => Number(m[1]));
}

describe('tuneGcForRealTime', () => {
  it('sets the factor V8 grows the old generation by, in a running process', async () => {
    const [untuned, half, byDefault] = await Promise.all([
      limitFactors('none'),
      limitFactors('50'),
      limitFactors('default'),
    ]);
    expect(untuned.length).toBeGreaterThan(0);
    expect(untuned).not.toContain(1.5);
    expect(half.length).toBeGreaterThan(0);
    expect(half.every((f) => f === 1.5)).toBe(true);
    expect(REALTIME_HEAP_GROWING_PERCENT).toBe(300);
    expect(byDefault.length).toBeGreaterThan(0);
    expect(byDefault.every((f) => f === 4)).toBe(true);
  });

  it('refuses a percent that is not an integer from 10 to 1000, changing nothing', () => {
    for (const heapGrowingPercent of [0, 9, 1001, 50.5, Number.NaN]) {
      expect(() => tuneGcForRealTime({ heapGrowingPercent })).toThrow(RangeError);
    }
  });
});
