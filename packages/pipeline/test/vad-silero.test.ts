import { describe, expect, it } from 'vitest';
import { SileroVad } from '../src/vad/silero.ts';
import type { VadAnalyzer } from '../src/vad/vad-analyzer.ts';
import { VadError } from '../src/vad/vad-errors.ts';
import type { VadParams } from '../src/vad/vad-params.ts';
import { VoiceActivityDetector, type VoiceActivityEvent } from '../src/vad/voice-activity-detector.ts';
import { CLIPS_8K, CLIPS_16K, clipAlignment, lowNoise, padWithNoise, speechClip } from './fixtures/speech.ts';

const PAD_MS = 1000;

/** Runs a whole stream through a fresh Silero detector with default parameters. */
async function detect(
  pcm: Int16Array,
  sampleRateHz: 8000 | 16000,
  params: Partial<VadParams> = {},
): Promise<VoiceActivityEvent[]> {
  return detectWith(await SileroVad.create({ sampleRateHz }), pcm, params);
}

/** Runs a whole stream through a detector on `analyzer`; disposes it. */
async function detectWith(
  analyzer: VadAnalyzer,
  pcm: Int16Array,
  params: Partial<VadParams> = {},
): Promise<VoiceActivityEvent[]> {
  const detector = new VoiceActivityDetector(analyzer, params);
  const events: VoiceActivityEvent[] = [];
  for (let i = 0; i + analyzer.windowSamples <= pcm.length; i += analyzer.windowSamples) {
    const e = await detector.analyze(pcm.subarray(i, i + analyzer.windowSamples));
    if (e) events.push(e);
  }
  analyzer.dispose();
  return events;
}

async function probabilities(vad: SileroVad, pcm: Int16Array): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i + vad.windowSamples <= pcm.length; i += vad.windowSamples) {
    out.push(await vad.probability(pcm.subarray(i, i + vad.windowSamples)));
  }
  return out;
}

describe('Silero VAD on real speech', () => {
  for (const [rate, clips] of [
    [8000, CLIPS_8K],
    [16000, CLIPS_16K],
  ] as const) {
    for (const clip of clips) {
      it(`finds one utterance in ${clip} at ${rate / 1000} kHz, at the reference times`, async () => {
        const ref = clipAlignment(clip);
        const events = await detect(padWithNoise(speechClip(clip, rate), rate), rate);
        expect(events.map((e) => e.type)).toEqual(['started', 'stopped']);
        const [started, stopped] = events as [VoiceActivityEvent, VoiceActivityEvent];
        const refStartMs = PAD_MS + ref.speech_start_s * 1000;
        const refEndMs = PAD_MS + ref.speech_end_s * 1000;
        // Where the speech run began (the event itself comes startSecs later).
        expect(Math.abs(started.sinceMs - refStartMs)).toBeLessThanOrEqual(150);
        expect(started.atMs - started.sinceMs).toBeCloseTo(192, 0); // 6 windows of 32 ms
        // The stop is announced stopSecs (0.2 s) after the speech ends.
        expect(stopped.atMs - refEndMs).toBeGreaterThanOrEqual(-150);
        expect(stopped.atMs - refEndMs).toBeLessThanOrEqual(400);
      });
    }
  }

  it('hears no speech in 5 s of low noise, at either rate', async () => {
    for (const rate of [8000, 16000] as const) {
      expect(await detect(lowNoise(rate * 5, 30, 5), rate)).toEqual([]);
    }
  });

  it('ignores speech at background level (−26 dB: loud windows near −50 dBFS) by its volume alone', async () => {
    const background = padWithNoise(
      speechClip('librivox-0880', 8000).map((v) => Math.round(v / 20)),
      8000,
    );
    expect(await detect(background, 8000)).toEqual([]);
    // Silero alone still hears it: the minVolume gate is what rejects it.
    expect((await detect(background, 8000, { minVolume: 0 })).length).toBeGreaterThan(0);
  });
});

describe('SileroVad', () => {
  it('uses 256-sample windows with 32 context samples at 8 kHz and 512 + 64 at 16 kHz', async () => {
    const a = await SileroVad.create({ sampleRateHz: 8000 });
    const b = await SileroVad.create({ sampleRateHz: 16000 });
    expect([a.windowSamples, a.contextSamples, b.windowSamples, b.contextSamples]).toEqual([
      256, 32, 512, 64,
    ]);
  });

  it('keeps each stream’s state separate while sharing one model', async () => {
    const speech = padWithNoise(speechClip('goforward', 8000), 8000, 0.2);
    const alone = await probabilities(await SileroVad.create({ sampleRateHz: 8000 }), speech);
    const a = await SileroVad.create({ sampleRateHz: 8000 });
    const b = await SileroVad.create({ sampleRateHz: 8000 });
    const other = speechClip('ast-vm-nobodyavail', 8000);
    const interleaved: number[] = [];
    for (let i = 0, w = 0; i + 256 <= speech.length; i += 256, w++) {
      const [pa] = await Promise.all([
        a.probability(speech.subarray(i, i + 256)),
        w * 256 + 256 <= other.length
          ? b.probability(other.subarray(w * 256, w * 256 + 256))
          : Promise.resolve(0),
      ]);
      interleaved.push(pa);
    }
    expect(interleaved).toEqual(alone);
  });

  it('skips the model on quiet windows while no speech is under way, and finds the same edges', async () => {
    for (const clip of CLIPS_8K) {
      const stream = padWithNoise(speechClip(clip, 8000), 8000);
      const skipping = await SileroVad.create({ sampleRateHz: 8000 });
      const runsBefore = skipping.batcher.stats.windows;
      const withSkip = await detectWith(skipping, stream);
      const skippingRuns = skipping.batcher.stats.windows - runsBefore;
      // The same model without `skip`: every window is run.
      const full = await SileroVad.create({ sampleRateHz: 8000 });
      const everyWindow = {
        sampleRateHz: full.sampleRateHz,
        windowSamples: full.windowSamples,
        probability: (w: Int16Array | Float32Array) => full.probability(w),
        reset: () => full.reset(),
        dispose: () => full.dispose(),
      };
      const withoutSkip = await detectWith(everyWindow, stream);
      expect(
        withSkip.map((e) => e.type),
        clip,
      ).toEqual(withoutSkip.map((e) => e.type));
      for (const [i, e] of withSkip.entries()) {
        expect(Math.abs(e.sinceMs - withoutSkip[i]!.sinceMs), clip).toBeLessThanOrEqual(32);
        expect(Math.abs(e.atMs - withoutSkip[i]!.atMs), clip).toBeLessThanOrEqual(32);
      }
      const windows = Math.floor(stream.length / 256);
      expect(skippingRuns, clip).toBeLessThan(windows - (2 * PAD_MS) / 32 / 2); // most of the padding skipped
    }
  });

  it('gives the same probabilities again after reset()', async () => {
    const vad = await SileroVad.create({ sampleRateHz: 16000 });
    const speech = speechClip('librivox-0880', 16000).subarray(0, 16000);
    const first = await probabilities(vad, speech);
    vad.reset();
    expect(await probabilities(vad, speech)).toEqual(first);
    expect(Math.max(...first)).toBeGreaterThan(0.9);
  });

  it('accepts float windows like int16 ones', async () => {
    const pcm = speechClip('goforward', 8000).subarray(4000, 4256);
    const a = await SileroVad.create({ sampleRateHz: 8000 });
    const b = await SileroVad.create({ sampleRateHz: 8000 });
    const pi = await a.probability(pcm);
    const pf = await b.probability(Float32Array.from(pcm, (v) => v / 32768));
    expect(pf).toBeCloseTo(pi, 6);
  });

  it('rejects unsupported rates, wrong window sizes, overlapping calls and use after dispose', async () => {
    await expect(SileroVad.create({ sampleRateHz: 44100 })).rejects.toThrow(
      expect.objectContaining({ code: 'unsupported_sample_rate' }),
    );
    const vad = await SileroVad.create({ sampleRateHz: 8000 });
    await expect(vad.probability(new Int16Array(160))).rejects.toThrow(
      expect.objectContaining({ code: 'bad_window' }),
    );
    const pending = vad.probability(new Int16Array(256));
    await expect(vad.probability(new Int16Array(256))).rejects.toThrow(
      expect.objectContaining({ code: 'busy' }),
    );
    await pending;
    vad.dispose();
    await expect(vad.probability(new Int16Array(256))).rejects.toThrow(VadError);
  });

  it('reports a missing model file as model_load_failed', async () => {
    await expect(
      SileroVad.create({ sampleRateHz: 8000, modelPath: '/nonexistent/silero.onnx' }),
    ).rejects.toThrow(expect.objectContaining({ code: 'model_load_failed' }));
  });
});
