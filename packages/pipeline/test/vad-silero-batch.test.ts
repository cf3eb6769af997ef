import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SileroVad } from '../src/vad/silero.ts';
import { SileroBatcher, type SileroBatchInfo } from '../src/vad/silero-batch.ts';
import { VadError } from '../src/vad/vad-errors.ts';
import { CLIPS_8K, CLIPS_16K, lowNoise, padWithNoise, speechClip } from './fixtures/speech.ts';

/** Every window's probability, one stream alone and unbatched. */
async function alone(pcm: Int16Array, sampleRateHz: 8000 | 16000): Promise<number[]> {
  const vad = await SileroVad.create({ sampleRateHz, batch: false });
  const out: number[] = [];
  for (let i = 0; i + vad.windowSamples <= pcm.length; i += vad.windowSamples) {
    out.push(await vad.probability(pcm.subarray(i, i + vad.windowSamples)));
  }
  vad.dispose();
  return out;
}

/**
 * Runs the streams side by side through batched analyzers: each stream starts at its own
 * offset (in windows) and awaits its windows in order, as a call's VAD does.
 */
async function together(
  streams: readonly Int16Array[],
  sampleRateHz: 8000 | 16000,
  options: { maxWaitMs?: number; maxBatch?: number },
  offsets: readonly number[] = streams.map(() => 0),
): Promise<{ probs: number[][]; batches: SileroBatchInfo[] }> {
  const vads = await Promise.all(streams.map(() => SileroVad.create({ sampleRateHz, batch: options })));
  const batches: SileroBatchInfo[] = [];
  const off = vads[0]!.batcher.onBatch((b) => batches.push(b));
  const probs = await Promise.all(
    streams.map(async (pcm, s) => {
      const vad = vads[s]!;
      const out: number[] = [];
      for (let k = 0; k < offsets[s]!; k++) await new Promise((r) => setImmediate(r));
      for (let i = 0; i + vad.windowSamples <= pcm.length; i += vad.windowSamples) {
        out.push(await vad.probability(pcm.subarray(i, i + vad.windowSamples)));
      }
      vad.dispose();
      return out;
    }),
  );
  off();
  return { probs, batches };
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('batched Silero inference', () => {
  for (const [rate, clips] of [
    [8000, CLIPS_8K],
    [16000, CLIPS_16K],
  ] as const) {
    it(`gives each stream the probabilities it gets alone (within 1e-4) on real speech at ${rate / 1000} kHz`, async () => {
      // Real speech clips, each padded with noise, plus a noise-only stream; streams start
      // at different moments and have different lengths, so batches change size as they go.
      const streams = [
        ...clips.map((c) => padWithNoise(speechClip(c, rate), rate, 0.5)),
        lowNoise(rate * 2, 30, 7),
      ];
      const expected = await Promise.all(streams.map((s) => alone(s, rate)));
      const { probs, batches } = await together(
        streams,
        rate,
        { maxWaitMs: 20 },
        streams.map((_, i) => i * 3),
      );
      for (let s = 0; s < streams.length; s++) expect(maxDiff(probs[s]!, expected[s]!)).toBeLessThan(1e-4);
      // The speech was really batched, and really heard.
      expect(Math.max(...batches.map((b) => b.size))).toBe(streams.length);
      expect(Math.max(...probs[0]!)).toBeGreaterThan(0.9);
      const windows = streams.reduce((n, s) => n + Math.floor(s.length / (rate === 8000 ? 256 : 512)), 0);
      expect(batches.reduce((n, b) => n + b.size, 0)).toBe(windows);
    });
  }

  it('splits more streams than maxBatch over several inferences, results unchanged', async () => {
    const speech = padWithNoise(speechClip('goforward', 8000), 8000, 0.2);
    const expected = await alone(speech, 8000);
    const streams = Array.from({ length: 7 }, () => speech);
    const { probs, batches } = await together(streams, 8000, { maxWaitMs: 20, maxBatch: 3 });
    for (const p of probs) expect(maxDiff(p, expected)).toBeLessThan(1e-4);
    expect(Math.max(...batches.map((b) => b.size))).toBe(3);
  });

  it('runs a lone stream at once, and waits up to maxWaitMs for the windows of other active streams', async () => {
    const a = await SileroVad.create({ sampleRateHz: 8000, batch: { maxWaitMs: 40 } });
    const batches: SileroBatchInfo[] = [];
    a.batcher.onBatch((b) => batches.push(b));
    const window = new Int16Array(256);
    await a.probability(window);
    expect(batches.at(-1)!.waitMs).toBeLessThan(20); // no one else to wait for
    const b = await SileroVad.create({ sampleRateHz: 8000, batch: { maxWaitMs: 40 } });
    await b.probability(window); // b is now active too
    const t0 = performance.now();
    await a.probability(window); // waits for b's next window, which never comes
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    expect(batches.at(-1)!.size).toBe(1);
    // When b's window comes within maxWaitMs, both go in one batch.
    const both = Promise.all([
      a.probability(window),
      new Promise((r) => setTimeout(r, 5)).then(() => b.probability(window)),
    ]);
    await both;
    expect(batches.at(-1)!.size).toBe(2);
    a.dispose();
    b.dispose();
    expect(a.batcher.streamCount).toBe(0);
  });

  it('batches the windows queued in one event-loop turn with maxWaitMs 0', async () => {
    const vads = await Promise.all(
      Array.from({ length: 4 }, () => SileroVad.create({ sampleRateHz: 16000, batch: { maxWaitMs: 0 } })),
    );
    const batches: SileroBatchInfo[] = [];
    vads[0]!.batcher.onBatch((b) => batches.push(b));
    const window = new Int16Array(512);
    for (const v of vads) await v.probability(window); // all four become active
    batches.length = 0;
    await Promise.all(vads.map((v) => v.probability(window)));
    expect(batches.map((b) => b.size)).toEqual([4]);
    for (const v of vads) v.dispose();
  });

  it('keeps the per-stream rules: one call at a time, and nothing after dispose', async () => {
    const vad = await SileroVad.create({ sampleRateHz: 8000, batch: { maxWaitMs: 1 } });
    const pending = vad.probability(new Int16Array(256));
    await expect(vad.probability(new Int16Array(256))).rejects.toThrow(
      expect.objectContaining({ code: 'busy' }),
    );
    await pending;
    vad.dispose();
    await expect(vad.probability(new Int16Array(256))).rejects.toThrow(VadError);
  });

  it('rejects every window of a batch whose inference fails', async () => {
    const session = {
      run: () => Promise.reject(new Error('ORT failed')),
    } as unknown as InferenceSession;
    const batcher = new SileroBatcher(session, 8000, 288, { maxWaitMs: 50 });
    const [s1, s2] = [batcher.open(), batcher.open()];
    s1.lastRunAt = s2.lastRunAt = performance.now(); // both active: they share a batch
    const results = await Promise.allSettled([s1.run(), s2.run()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(batcher.stats.batches).toBe(0);
  });

  it('rejects out-of-range options', async () => {
    await expect(SileroVad.create({ sampleRateHz: 8000, batch: { maxBatch: 0 } })).rejects.toThrow(
      RangeError,
    );
    await expect(SileroVad.create({ sampleRateHz: 8000, batch: { maxWaitMs: -1 } })).rejects.toThrow(
      RangeError,
    );
  });
});
