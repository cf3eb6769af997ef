/**
 * Cost of the call recorder on the hot path: µs of synchronous work per 20 ms caller frame
 * (8 kHz), with a 100 ms bot chunk every fifth frame, for 20 recorders writing at once to a
 * temporary folder. Each round feeds every recorder one second of audio, then lets the file
 * writes run; the figure is the per-frame time of a round, p50 and p99 over the rounds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CallRecorder, frame } from '@parley/pipeline';
import { percentile, printFigure } from './report.ts';

const RECORDERS = 20;
const FRAMES_PER_ROUND = 50; // one second of 20 ms frames
const ROUNDS = Number(process.env.BENCH_RECORDER_ROUNDS ?? 120);
const WARM_ROUNDS = 10;

const dir = await mkdtemp(path.join(tmpdir(), 'parley-bench-recorder-'));
try {
  const recorders = Array.from({ length: RECORDERS }, (_, i) => new CallRecorder(path.join(dir, `${i}.wav`)));
  const start = frame('start', {
    audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 },
    metadata: {},
  });
  for (const r of recorders) r.queueFrame(start, 'downstream');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const caller = frame('input_audio', {
    audio: new Int16Array(160).fill(300),
    sampleRateHz: 8000,
    channels: 1,
  });
  const bot = frame('output_audio', {
    audio: new Int16Array(800).fill(-300),
    sampleRateHz: 8000,
    channels: 1,
  });
  const perFrameUs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < FRAMES_PER_ROUND; i++) {
      for (const r of recorders) {
        r.queueFrame(caller, 'downstream');
        if (i % 5 === 0) r.queueFrame(bot, 'downstream');
      }
    }
    const ns = Number(process.hrtime.bigint() - t0);
    if (round >= WARM_ROUNDS) perFrameUs.push(ns / 1000 / (FRAMES_PER_ROUND * RECORDERS));
    await new Promise((resolve) => setImmediate(resolve)); // let the file writes run
  }
  const infos = await Promise.all(recorders.map((r) => r.finish()));
  const expectMs = ROUNDS * 1000;
  if (infos.some((info) => !info || Math.abs(info.durationMs - expectMs) > 100))
    throw new Error(`a recording has the wrong length: ${infos.map((i) => i?.durationMs).join(', ')}`);
  printFigure('recorder per caller frame p50', percentile(perFrameUs, 50), 'µs');
  printFigure('recorder per caller frame p99', percentile(perFrameUs, 99), 'µs');
} finally {
  await rm(dir, { recursive: true, force: true });
}
