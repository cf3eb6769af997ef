import { describe, expect, it } from 'vitest';
import { mulawToPcm } from '../src/audio/mulaw.ts';
import { SampleSlab } from '../src/audio/sample-slab.ts';

describe('SampleSlab', () => {
  it('hands out zeroed, non-overlapping views of its slabs for small sizes', () => {
    const slab = new SampleSlab(4096);
    const chunks = Array.from({ length: 60 }, () => slab.alloc(160)); // more than one slab
    chunks.forEach((c, i) => {
      expect(c.length).toBe(160);
      expect(c.every((s) => s === 0)).toBe(true);
      c.fill(i + 1);
    });
    // Each chunk still holds its own value: no two share a sample.
    expect(chunks.every((c, i) => c.every((s) => s === i + 1))).toBe(true);
    const stores = new Set(chunks.map((c) => c.buffer));
    expect(stores.size).toBe(3); // 25 chunks of 160 fit in 4096 samples
    expect(stores.has(slab.alloc(160).buffer)).toBe(true);
  });

  it('gives a request over a quarter of a slab an array of its own', () => {
    const big = new SampleSlab(4096).alloc(1025);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(2050);
  });

  it('keeps streams apart: audio decoded into one slab never shares a store with another', () => {
    const a = new SampleSlab();
    const b = new SampleSlab();
    const bytes = new Uint8Array(160).fill(0x80);
    expect(mulawToPcm(bytes, a).buffer).not.toBe(mulawToPcm(bytes, b).buffer);
    expect(mulawToPcm(bytes, a).buffer).toBe(mulawToPcm(bytes, a).buffer);
  });

  it('refuses a slab size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new SampleSlab(size)).toThrow(RangeError);
  });
});
