import { describe, expect, it } from 'vitest';
import { allocSamples } from '../src/audio/sample-slab.ts';

describe('allocSamples', () => {
  it('hands out zeroed, non-overlapping views of shared slabs for small sizes', () => {
    const chunks = Array.from({ length: 120 }, () => allocSamples(160)); // more than one 8192-sample slab
    chunks.forEach((c, i) => {
      expect(c.length).toBe(160);
      expect(c.every((s) => s === 0)).toBe(true);
      c.fill(i + 1);
    });
    // Each chunk still holds its own value: no two share a sample.
    expect(chunks.every((c, i) => c.every((s) => s === i + 1))).toBe(true);
    const slabs = new Set(chunks.map((c) => c.buffer));
    expect(slabs.size).toBeGreaterThan(1);
    expect(slabs.size).toBeLessThan(5);
  });

  it('gives a large request an array of its own', () => {
    const big = allocSamples(4096);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(8192);
  });
});
