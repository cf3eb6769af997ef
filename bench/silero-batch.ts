/**
 * Cost of Silero v5 inference per 32 ms window (8 kHz) when the windows of B streams run as
 * one batch (B = 1, 10, 50, 100), against one inference per window (`batch: false`), and the
 * largest difference between batched and one-stream probabilities on real speech.
 * Run it pinned to one core (as `npm run bench` does).
 */
import path from 'node:path';
import { readWav, SileroVad } from '@parley/pipeline';
import { percentile, printFigure } from './report.ts';

const speechDir = path.resolve(import.meta.dirname, '../test-fixtures/speech/8k');
const clips = ['goforward', 'ast-vm-nobodyavail', 'ast-check-number-dial-again', 'librivox-0880'].map(
  (c) => readWav(path.join(speechDir, `${c}.wav`)).pcm,
);
/** Real speech windows to feed: every clip, window by window. */
const windows: Int16Array[] = [];
for (const clip of clips)
  for (let i = 0; i + 256 <= clip.length; i += 256) windows.push(clip.subarray(i, i + 256));

/** µs per window over `rounds` rounds in which each of `streams` analyzers takes one window. */
async function costPerWindow(streams: number, batched: boolean, rounds: number): Promise<number[]> {
  const vads = await Promise.all(
    Array.from({ length: streams }, () =>
      SileroVad.create({
        sampleRateHz: 8000,
        batch: batched ? { maxWaitMs: 100, maxBatch: streams } : false,
      }),
    ),
  );
  const perWindowUs: number[] = [];
  for (let r = 0; r < rounds + 20; r++) {
    const t0 = performance.now();
    await Promise.all(vads.map((v, s) => v.probability(windows[(r * 7 + s * 13) % windows.length]!)));
    if (r >= 20) perWindowUs.push(((performance.now() - t0) * 1000) / streams); // 20 rounds warm up
  }
  for (const v of vads) v.dispose();
  return perWindowUs;
}

let largestBatch = 0;

/** Probabilities of every window of each clip, the clips run side by side (batched) or one at a time. */
async function clipProbabilities(batched: boolean): Promise<number[][]> {
  const run = async (clip: Int16Array) => {
    const vad = await SileroVad.create({ sampleRateHz: 8000, batch: batched ? { maxWaitMs: 50 } : false });
    if (batched) vad.batcher.onBatch((b) => (largestBatch = Math.max(largestBatch, b.size)));
    const out: number[] = [];
    for (let i = 0; i + 256 <= clip.length; i += 256)
      out.push(await vad.probability(clip.subarray(i, i + 256)));
    vad.dispose();
    return out;
  };
  if (batched) return Promise.all(clips.map(run));
  const out: number[][] = [];
  for (const clip of clips) out.push(await run(clip));
  return out;
}

await SileroVad.preload();
const single = await costPerWindow(1, false, 2000);
const singleP50 = percentile(single, 50);
printFigure('silero per window, one inference per window (unbatched) p50', singleP50, 'µs');
printFigure('silero per window, one inference per window (unbatched) p99', percentile(single, 99), 'µs');
for (const b of [1, 10, 50, 100]) {
  const us = await costPerWindow(b, true, Math.max(200, Math.round(4000 / b)));
  printFigure(`silero per window, batches of ${b} p50`, percentile(us, 50), 'µs', {
    baseline: singleP50,
    baselineName: 'unbatched',
  });
  printFigure(`silero per window, batches of ${b} p99`, percentile(us, 99), 'µs');
}
const alone = await clipProbabilities(false);
const together = await clipProbabilities(true);
let maxDiff = 0;
let n = 0;
for (let c = 0; c < clips.length; c++) {
  for (let w = 0; w < alone[c]!.length; w++) {
    maxDiff = Math.max(maxDiff, Math.abs(alone[c]![w]! - together[c]![w]!));
    n++;
  }
}
console.log(
  `silero batched vs alone, largest |Δp| over ${n} windows of real speech: ${maxDiff.toExponential(1)}`,
);
