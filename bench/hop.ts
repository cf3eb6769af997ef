/**
 * Cost of one frame through 10 pass-through processors, in µs per hop, for a system frame
 * (caller audio) and a data frame (LLM text). Baseline: Pipecat 1.7 measured on this machine
 * at 9–12 µs per hop without observers, 20–27 µs with its default observers.
 */
import { type Frame, FrameProcessor, frame, Pipeline } from '@parley/pipeline';
import { percentile, printFigure } from './report.ts';

class PassThrough extends FrameProcessor {}

const HOPS = 10;
const BATCH = 10_000;
const ROUNDS = 40;

async function measure(make: () => Frame): Promise<number[]> {
  const processors = Array.from({ length: HOPS }, (_, i) => new PassThrough(`p${i}`));
  const pipeline = new Pipeline(processors);
  let received = 0;
  pipeline.downstream$.subscribe(() => received++);
  pipeline.queueFrame(
    frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {} }),
    'downstream',
  );
  await new Promise((r) => setImmediate(r));
  const frames = Array.from({ length: BATCH }, make);
  const perHopUs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = received;
    const t0 = process.hrtime.bigint();
    for (const f of frames) pipeline.queueFrame(f, 'downstream');
    const ns = Number(process.hrtime.bigint() - t0);
    if (received - before !== BATCH) throw new Error('frames were lost');
    if (round >= 5) perHopUs.push(ns / 1000 / BATCH / HOPS); // the first rounds warm the JIT
  }
  return perHopUs;
}

const audio = new Int16Array(160);
for (const [name, make] of [
  ['system frame (input_audio)', () => frame('input_audio', { audio, sampleRateHz: 8000, channels: 1 })],
  ['data frame (llm_text)', () => frame('llm_text', { text: 'hello' })],
] as const) {
  const us = await measure(make);
  const p50 = percentile(us, 50);
  printFigure(`hop ${name} p50`, p50, 'µs', { baseline: 10.5, baselineName: 'Pipecat 1.7 (9–12 µs)' });
  printFigure(`hop ${name} p99`, percentile(us, 99), 'µs');
}
