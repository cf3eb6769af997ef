import { describe, expect, it } from 'vitest';
import { VolumeMeter, windowVolume } from '../src/vad/volume.ts';
import { lowNoise } from './fixtures/speech.ts';

/** A 256-sample sine window with the given RMS level, dBFS. */
function sineAt(dbfs: number): Int16Array {
  const amplitude = 32768 * 10 ** (dbfs / 20) * Math.SQRT2;
  return Int16Array.from({ length: 256 }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * i) / 16)));
}

describe('windowVolume', () => {
  it('maps RMS level to Pipecat’s 0–1 loudness scale: (dBFS + 109.6) / 100', () => {
    expect(windowVolume(sineAt(-49.6))).toBeCloseTo(0.6, 2);
    expect(windowVolume(sineAt(-29.6))).toBeCloseTo(0.8, 2);
    expect(windowVolume(sineAt(-20))).toBeCloseTo(0.896, 2);
  });

  it('puts quiet line noise below and normal speech levels above the 0.6 default', () => {
    expect(windowVolume(lowNoise(256))).toBeLessThan(0.5); // ±30 LSB ≈ −66 dBFS
    expect(windowVolume(sineAt(-35))).toBeGreaterThan(0.7);
  });

  it('is 0 for silence and empty windows, and at most 1', () => {
    expect(windowVolume(new Int16Array(256))).toBe(0);
    expect(windowVolume(new Int16Array(0))).toBe(0);
    expect(windowVolume(new Int16Array(256).fill(32767))).toBeLessThanOrEqual(1);
  });

  it('gives the same value for float samples in [-1, 1)', () => {
    const pcm = sineAt(-30);
    const floats = Float32Array.from(pcm, (v) => v / 32768);
    expect(windowVolume(floats)).toBeCloseTo(windowVolume(pcm), 6);
  });
});

describe('VolumeMeter', () => {
  it('starts at the first window’s volume', () => {
    const m = new VolumeMeter();
    expect(m.value).toBe(0);
    expect(m.update(sineAt(-30))).toBeCloseTo(windowVolume(sineAt(-30)), 6);
  });

  it('rises fast and falls slowly', () => {
    const m = new VolumeMeter();
    const quiet = windowVolume(lowNoise(256));
    const loud = windowVolume(sineAt(-25));
    m.update(lowNoise(256));
    expect(m.update(sineAt(-25))).toBeCloseTo(quiet + 0.5 * (loud - quiet), 2); // attack 0.5
    for (let i = 0; i < 20; i++) m.update(sineAt(-25));
    expect(m.update(lowNoise(256))).toBeCloseTo(loud - 0.2 * (loud - quiet), 2); // release 0.2
  });

  it('resets', () => {
    const m = new VolumeMeter();
    m.update(sineAt(-20));
    m.reset();
    expect(m.value).toBe(0);
  });
});
