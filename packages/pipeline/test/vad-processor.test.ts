import { describe, expect, it } from 'vitest';
import { frame, type InputAudioFrame } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';
import type { VadAnalyzer } from '../src/vad/vad-analyzer.ts';
import { VADProcessor } from '../src/vad/vad-processor.ts';
import { clipAlignment, padWithNoise, speechClip } from './fixtures/speech.ts';

/** A model stand-in: a window is speech when it is loud. Records how it is called. */
class LoudnessAnalyzer implements VadAnalyzer {
  readonly windowSamples: number;
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  disposed = false;
  failAt = -1;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  constructor(readonly sampleRateHz: number) {
    this.windowSamples = sampleRateHz === 8000 ? 256 : 512;
  }

  /** Hold every inference until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async probability(window: Float32Array | Int16Array): Promise<number> {
    if (window.length !== this.windowSamples) throw new Error('bad window');
    let sum = 0;
    for (let i = 0; i < window.length; i++) sum += Math.abs(window[i]!);
    const loud = sum / window.length > 1000; // read before awaiting, as the contract says
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate;
      await new Promise((resolve) => setImmediate(resolve));
      if (this.calls - 1 === this.failAt) throw new Error('model exploded');
      return loud ? 0.95 : 0.05;
    } finally {
      this.inFlight--;
    }
  }

  reset(): void {}

  dispose(): void {
    this.disposed = true;
  }
}

function setup(options: { maxBacklogMs?: number } = {}) {
  const analyzers: LoudnessAnalyzer[] = [];
  const vad = new VADProcessor({
    ...options,
    createAnalyzer: async (rate) => {
      const a = new LoudnessAnalyzer(rate);
      analyzers.push(a);
      return a;
    },
  });
  return { vad, h: new ProcessorHarness(vad), analyzers };
}

/** 20 ms frames: `pattern` has one character per frame, 'S' a loud tone, '.' silence. */
function audioFrames(pattern: string, rateHz = 8000): InputAudioFrame[] {
  const n = rateHz / 50;
  return [...pattern].map((c) =>
    frame('input_audio', {
      audio: Int16Array.from({ length: n }, (_, i) => (c === 'S' ? Math.round(8000 * Math.sin(i / 2)) : 0)),
      sampleRateHz: rateHz,
      channels: 1,
    }),
  );
}

/** Sends frames one by one, letting analysis catch up after each (as a real-time call would). */
async function sendPaced(h: ProcessorHarness<VADProcessor>, frames: InputAudioFrame[]): Promise<void> {
  for (const f of frames) {
    h.send(f);
    await h.processor.whenIdle();
  }
}

const UTTERANCE = `${'.'.repeat(25)}${'S'.repeat(50)}${'.'.repeat(25)}`; // 0.5 s quiet, 1 s speech, 0.5 s quiet

describe('VADProcessor', () => {
  it('forwards every input_audio frame unchanged and in order, and announces the raw speech edges', async () => {
    const { vad, h } = setup();
    await h.start({ inputSampleRateHz: 8000 });
    const frames = audioFrames(UTTERANCE);
    const speakingSeen: boolean[] = [];
    for (const f of frames) {
      h.send(f);
      await vad.whenIdle();
      speakingSeen.push(vad.speaking);
    }
    const forwarded = h.downstream.filter((f) => f.type === 'input_audio');
    expect(forwarded).toHaveLength(frames.length);
    for (const [i, f] of forwarded.entries()) expect(f).toBe(frames[i]);
    expect(h.types()).toEqual(['start', 'vad_user_started_speaking', 'vad_user_stopped_speaking']);
    expect(speakingSeen.slice(0, 25).some(Boolean)).toBe(false);
    expect(speakingSeen[60]).toBe(true);
    expect(speakingSeen.at(-1)).toBe(false);
  });

  it('forwards audio before any analysis result', async () => {
    const { h, analyzers } = setup();
    await h.start();
    analyzers[0]!.hold();
    const [f] = audioFrames('S');
    h.send(f!);
    expect(h.downstream.at(-1)).toBe(f);
    analyzers[0]!.release();
  });

  it('runs one inference at a time, in order, over every complete window', async () => {
    const { vad, h, analyzers } = setup();
    await h.start();
    const frames = audioFrames(UTTERANCE.slice(0, 40)); // 0.8 s at once: under the 1 s backlog
    for (const f of frames) h.send(f);
    await vad.whenIdle();
    const a = analyzers[0]!;
    expect(a.maxInFlight).toBe(1);
    expect(a.calls).toBe(Math.floor((40 * 160) / 256));
    expect(vad.droppedSamples).toBe(0);
  });

  it('drops the oldest audio beyond ~1 s of backlog, counts it and reports it at the end', async () => {
    const { vad, h, analyzers } = setup();
    await h.start();
    const a = analyzers[0]!;
    a.hold();
    for (const f of audioFrames('.'.repeat(150))) h.send(f); // 3 s while the model is stuck
    const inFlight = 256;
    const capacity = 8000 + 256;
    expect(vad.droppedSamples).toBe(150 * 160 - inFlight - capacity);
    a.release();
    await vad.whenIdle();
    expect(a.calls).toBe(1 + Math.floor(capacity / 256));
    expect(h.downstream.filter((f) => f.type === 'input_audio')).toHaveLength(150); // audio is never dropped
    h.send(frame('end', { reason: 'done' }));
    const m = await h.waitFor('metrics');
    expect(m).toMatchObject({ name: 'vad_dropped_samples', value: vad.droppedSamples, unit: 'count' });
  });

  it('releases the analyzer on end', async () => {
    const { h, analyzers } = setup();
    await h.start();
    await sendPaced(h, audioFrames('SSSS'));
    h.send(frame('end', { reason: 'hang-up' }));
    await h.waitFor('end');
    expect(analyzers[0]!.disposed).toBe(true);
  });

  it('announces nothing from an inference that finishes after cancel', async () => {
    const { vad, h, analyzers } = setup();
    await h.start();
    await sendPaced(h, audioFrames('S'.repeat(8))); // 5 windows of speech: one short of starting
    const a = analyzers[0]!;
    a.hold();
    for (const f of audioFrames('SS')) h.send(f); // the 6th window is now in flight
    h.send(frame('cancel', { reason: 'caller hung up' }));
    a.release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(a.disposed).toBe(true);
    expect(vad.speaking).toBe(false);
    expect(h.types()).toEqual(['start', 'cancel']);
  });

  it('reports an analyzer failure once, upstream and non-fatal, and keeps forwarding audio', async () => {
    const { h, analyzers } = setup();
    await h.start();
    analyzers[0]!.failAt = 2;
    const frames = audioFrames('.'.repeat(30));
    await sendPaced(h, frames);
    const errors = h.ofType('error', 'upstream');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: 'model exploded', fatal: false, source: 'VADProcessor' });
    expect(analyzers[0]!.calls).toBe(3);
    expect(h.downstream.filter((f) => f.type === 'input_audio')).toHaveLength(30);
  });

  it('forwards but does not analyze audio at another rate than the start frame’s', async () => {
    const { h, analyzers } = setup();
    await h.start({ inputSampleRateHz: 8000 });
    await sendPaced(h, audioFrames('S'.repeat(30), 16000));
    expect(analyzers[0]!.calls).toBe(0);
    expect(h.downstream.filter((f) => f.type === 'input_audio')).toHaveLength(30);
  });

  it('analyzes other input rates at 16 kHz through the resampler', async () => {
    const { h, analyzers } = setup();
    await h.start({ inputSampleRateHz: 24000 });
    expect(analyzers[0]!.sampleRateHz).toBe(16000);
    await sendPaced(h, audioFrames(UTTERANCE, 24000));
    expect(h.types()).toEqual(['start', 'vad_user_started_speaking', 'vad_user_stopped_speaking']);
  });

  it('fails the call when the analyzer cannot be made', async () => {
    const vad = new VADProcessor({
      createAnalyzer: () => Promise.reject(new Error('no model')),
    });
    const h = new ProcessorHarness(vad);
    await h.start();
    expect(h.ofType('error', 'upstream')[0]).toMatchObject({ message: 'no model', fatal: true });
    await sendPaced(h, audioFrames('SSS'));
    expect(h.downstream.filter((f) => f.type === 'input_audio')).toHaveLength(3);
  });
});

describe('VADProcessor with Silero on real speech', () => {
  it('announces one turn near the reference times of an 8 kHz clip fed in 20 ms frames', async () => {
    const vad = new VADProcessor();
    const h = new ProcessorHarness(vad);
    await h.start({ inputSampleRateHz: 8000 });
    const pcm = padWithNoise(speechClip('goforward', 8000), 8000);
    const seenAtMs: Partial<Record<string, number>> = {};
    for (let i = 0, t = 20; i + 160 <= pcm.length; i += 160, t += 20) {
      h.send(frame('input_audio', { audio: pcm.subarray(i, i + 160), sampleRateHz: 8000, channels: 1 }));
      await vad.whenIdle();
      for (const type of h.types()) seenAtMs[type] ??= t;
    }
    expect(h.types()).toEqual(['start', 'vad_user_started_speaking', 'vad_user_stopped_speaking']);
    const ref = clipAlignment('goforward');
    const startedAfterMs = seenAtMs.vad_user_started_speaking! - (1000 + ref.speech_start_s * 1000);
    const stoppedAfterMs = seenAtMs.vad_user_stopped_speaking! - (1000 + ref.speech_end_s * 1000);
    expect(startedAfterMs).toBeGreaterThanOrEqual(200 - 150); // startSecs after the speech began
    expect(startedAfterMs).toBeLessThanOrEqual(200 + 150);
    expect(stoppedAfterMs).toBeGreaterThanOrEqual(-150);
    expect(stoppedAfterMs).toBeLessThanOrEqual(400);
    h.send(frame('end', { reason: 'done' }));
    await h.waitFor('end');
  });
});
