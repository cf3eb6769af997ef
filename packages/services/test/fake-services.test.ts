import { frame, ProcessorHarness } from '@parley/pipeline';
import { describe, expect, it } from 'vitest';
import { FakeSTTService, FakeTTSService } from '../src/testing/index.ts';

describe('FakeSTTService', () => {
  it('emits the next scripted transcript a set delay after the caller stops speaking', async () => {
    const h = new ProcessorHarness(
      new FakeSTTService({ transcripts: ['hello', 'goodbye', 'again'], delayMs: 50 }),
    );
    await h.start();
    h.send(frame('user_stopped_speaking'));
    const first = await h.waitFor('transcription');
    expect(first.text).toBe('hello');
    expect(h.ofType('metrics').find((m) => m.name === 'ttfb')?.value).toBeGreaterThanOrEqual(45);
    // The VAD's raw edges count too; an utterance is finalized once, whichever stop comes first.
    h.send(frame('vad_user_started_speaking'));
    h.send(frame('vad_user_stopped_speaking'));
    h.send(frame('user_stopped_speaking'));
    expect((await h.waitFor('transcription', { count: 2 })).text).toBe('goodbye');
    await new Promise((r) => setTimeout(r, 100));
    expect(h.ofType('transcription')).toHaveLength(2); // the second stop of that utterance was ignored
    h.send(frame('user_started_speaking'));
    h.send(frame('user_stopped_speaking'));
    expect((await h.waitFor('transcription', { count: 3 })).text).toBe('again');
    h.dispose();
  });
});

describe('FakeTTSService', () => {
  it('yields 60 ms of tone per character in 20 ms chunks after the first-chunk delay', async () => {
    const tts = new FakeTTSService({ firstChunkDelayMs: 30 });
    const h = new ProcessorHarness(tts);
    await h.start();
    h.send(frame('tts_speak', { text: 'Hi there.' }));
    await h.waitFor('tts_stopped');
    const chunks = h.ofType('output_audio');
    expect(chunks.reduce((n, c) => n + c.audio.length, 0)).toBe(9 * 60 * 8);
    expect(chunks.every((c) => c.audio.length === 160 && c.sampleRateHz === 8000)).toBe(true);
    expect(chunks[0]!.audio.some((s) => s !== 0)).toBe(true);
    expect(h.ofType('metrics').find((m) => m.name === 'ttfb')?.value).toBeGreaterThanOrEqual(25);
    expect(tts.spoken).toEqual(['Hi there.']);
    h.dispose();
  });

  it('stops during the first-chunk delay when interrupted', async () => {
    const h = new ProcessorHarness(new FakeTTSService({ firstChunkDelayMs: 200, toneHz: 0 }));
    await h.start();
    h.send(frame('tts_speak', { text: 'Never heard.' }));
    h.send(frame('interruption'));
    await new Promise((r) => setTimeout(r, 300));
    expect(h.ofType('output_audio')).toHaveLength(0);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
    h.dispose();
  });
});
