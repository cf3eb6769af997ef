import { afterEach, describe, expect, it } from 'vitest';
import { AudioFormatError, ResamplerError } from '../src/audio/audio-errors.ts';
import { createResampler, type StreamingResampler } from '../src/audio/resampler.ts';
import { snrDb } from './fixtures/speech.ts';

const AMPLITUDE = 10_000;

function tone(samples: number, rateHz: number, freqHz = 1000, amplitude = AMPLITUDE): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * i) / rateHz)),
  );
}

function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / x.length);
}

/** Frequency from the rising zero crossings, Hz. */
function zeroCrossingHz(x: Int16Array, rateHz: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < x.length; i++) {
    if (x[i - 1]! < 0 && x[i]! >= 0) {
      if (first < 0) first = i;
      else count++;
      last = i;
    }
  }
  return (count * rateHz) / (last - first);
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Runs `input` through `r` in chunks of the given sizes (cycled), then flushes. */
function streamThrough(r: StreamingResampler, input: Int16Array, chunkSizes: number[]): Int16Array {
  const parts: Int16Array[] = [];
  let k = 0;
  for (let i = 0; i < input.length; k++) {
    const n = chunkSizes[k % chunkSizes.length]!;
    parts.push(r.process(input.subarray(i, i + n)));
    i += n;
  }
  parts.push(r.flush());
  return concat(parts);
}

const made: StreamingResampler[] = [];
async function resampler(inHz: number, outHz: number, quality?: number): Promise<StreamingResampler> {
  const r = await createResampler(inHz, outHz, quality);
  made.push(r);
  return r;
}
afterEach(() => {
  for (const r of made.splice(0)) r.dispose();
});

describe('StreamingResampler', () => {
  for (const [inHz, outHz] of [
    [16000, 8000],
    [8000, 16000],
    [24000, 8000],
    [8000, 24000],
  ] as const) {
    it(`keeps a 1 kHz tone's frequency, amplitude and timing from ${inHz} to ${outHz} Hz`, async () => {
      const r = await resampler(inHz, outHz);
      const out = streamThrough(r, tone(inHz, inHz), [inHz / 50]); // 1 s in 20 ms chunks
      expect(out).toHaveLength(outHz);
      const middle = out.subarray(outHz / 10, outHz - outHz / 10);
      expect(zeroCrossingHz(middle, outHz)).toBeCloseTo(1000, 0);
      expect(20 * Math.log10(rms(middle) / (AMPLITUDE / Math.SQRT2))).toBeCloseTo(0, 0); // within ±0.5 dB
      // Time-aligned with the input: compare with the ideal tone at the output rate.
      expect(snrDb(tone(outHz, outHz).subarray(outHz / 10, outHz - outHz / 10), middle)).toBeGreaterThan(40);
    });
  }

  it('gives the same output whether fed in chunks or at once', async () => {
    const input = tone(16000 * 2, 16000, 1000, 8000).map((v, i) => v + ((i * 7919) % 2001) - 1000);
    const oneShot = streamThrough(await resampler(16000, 8000), input, [input.length]);
    for (const sizes of [[320], [1, 7, 160, 333, 4100], [5000]]) {
      const chunked = streamThrough(await resampler(16000, 8000), input, sizes);
      expect(chunked).toHaveLength(oneShot.length);
      let maxDiff = 0;
      for (let i = 0; i < oneShot.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(oneShot[i]! - chunked[i]!));
      expect(maxDiff).toBeLessThanOrEqual(1);
    }
  });

  it('outputs input length × ratio over a stream, and can start a new stream after flush', async () => {
    const r = await resampler(8000, 16000);
    const first = streamThrough(r, tone(12_345, 8000), [160]);
    expect(first).toHaveLength(Math.round((12_345 * 16000) / 8000));
    const firstChunk = r.process(tone(160, 8000));
    expect(firstChunk.length).toBeGreaterThan(250); // no more than ~4 ms held back
    expect(firstChunk.length).toBeLessThanOrEqual(320);
    expect(firstChunk.length + r.flush().length).toBe(320);
  });

  it('rejects an alias: a 5 kHz tone disappears going to 8 kHz', async () => {
    const out = streamThrough(await resampler(16000, 8000), tone(16000, 16000, 5000), [320]);
    expect(20 * Math.log10(rms(out.subarray(800, 7200)) / (AMPLITUDE / Math.SQRT2))).toBeLessThan(-60);
  });

  it('keeps each stream’s state separate', async () => {
    const a = tone(8000, 16000, 440);
    const b = tone(8000, 16000, 1700);
    const alone = streamThrough(await resampler(16000, 8000), a, [320]);
    const r1 = await resampler(16000, 8000);
    const r2 = await resampler(16000, 8000);
    const parts: Int16Array[] = [];
    for (let i = 0; i < a.length; i += 320) {
      parts.push(r1.process(a.subarray(i, i + 320)));
      r2.process(b.subarray(i, i + 320));
    }
    parts.push(r1.flush());
    expect(Array.from(concat(parts))).toEqual(Array.from(alone));
  });

  it('returns its input unchanged at the same rate', async () => {
    const r = await resampler(8000, 8000);
    const pcm = tone(160, 8000);
    expect(r.passthrough).toBe(true);
    expect(r.process(pcm)).toBe(pcm);
    expect(r.flush()).toHaveLength(0);
  });

  it('handles empty chunks', async () => {
    const r = await resampler(16000, 8000);
    expect(r.process(new Int16Array(0))).toHaveLength(0);
  });

  it('cannot be used after dispose, and dispose is idempotent', async () => {
    const r = await createResampler(16000, 8000);
    r.dispose();
    r.dispose();
    expect(() => r.process(new Int16Array(10))).toThrow(ResamplerError);
    expect(() => r.flush()).toThrow(ResamplerError);
  });

  it('rejects bad rates and qualities', async () => {
    await expect(createResampler(0, 8000)).rejects.toThrow(AudioFormatError);
    await expect(createResampler(8000, 44100.5)).rejects.toThrow(AudioFormatError);
    await expect(createResampler(8000, 16000, 11)).rejects.toThrow(AudioFormatError);
  });
});
