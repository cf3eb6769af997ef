import { afterEach, describe, expect, it } from 'vitest';
import { frame } from '../src/frames/frames.ts';
import { FailoverTTSService } from '../src/services/failover/tts-failover.ts';
import type { ProcessorHarness } from '../src/testing/harness.ts';
import { FakeRequestError, ScriptTTS } from './failover-fakes.ts';
import { onVirtualClock } from './turn-harness.ts';

const harnesses: ProcessorHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) {
    h.send(frame('cancel', { reason: 'test over' }));
    h.dispose();
  }
});

async function chain(primary: ScriptTTS, secondary: ScriptTTS) {
  const tts = new FailoverTTSService([primary, secondary], { cooldownMs: 5000 });
  const run = await onVirtualClock(tts); // output at 8 kHz
  harnesses.push(run.h);
  return run;
}

const speak = (text: string) => frame('tts_speak', { text });

describe('FailoverTTSService', () => {
  it('synthesizes a sentence again on the next service when the first fails before any audio', async () => {
    const primary = new ScriptTTS('Primary', 8000, [{ fail: new FakeRequestError(503) }]);
    const secondary = new ScriptTTS('Secondary', 16000); // resampled to the call's 8 kHz
    const { h } = await chain(primary, secondary);
    h.send(speak('Your table is booked.'));
    await h.waitFor('tts_stopped');

    expect(h.types().filter((t) => t !== 'metrics')).toEqual([
      'start',
      'tts_started',
      'service_switched',
      'tts_stopped',
    ]);
    expect(secondary.texts).toEqual(['Your table is booked.']);
    const audio = h.ofType('output_audio');
    const contextId = h.ofType('tts_started')[0]!.contextId;
    expect(audio.every((a) => a.sampleRateHz === 8000 && a.contextId === contextId)).toBe(true);
    const samples = audio.reduce((n, a) => n + a.audio.length, 0);
    expect(samples).toBeGreaterThanOrEqual(150); // 20 ms at 8 kHz, give or take the filter
    expect(samples).toBeLessThanOrEqual(170);
    expect(audio.flatMap((a) => a.words ?? []).map((w) => w.word)).toEqual(['Secondary']); // none of the failed try
    expect(h.ofType('error', 'upstream')).toEqual([]);
    expect(h.ofType('service_switched', 'upstream')).toEqual([
      expect.objectContaining({ service: 'tts', from: 'Primary', to: 'Secondary', reason: 'failure' }),
    ]);
    // Both services were sent the text; the audio came from the second.
    const metrics = h.ofType('metrics').map((m) => `${m.name}:${m.provider}`);
    expect(metrics).toEqual(['characters:primary', 'characters:secondary', 'ttfb:secondary']);
  });

  it('moves a sentence that times out before its first audio to the next service', async () => {
    const primary = new ScriptTTS('Primary', 8000, ['hang'], { responseTimeoutMs: 1000 });
    const secondary = new ScriptTTS('Secondary', 8000);
    const { h, clock } = await chain(primary, secondary);
    h.send(speak('One moment.'));
    await clock.advance(1000);
    await h.waitFor('tts_stopped');
    expect(h.ofType('output_audio').length).toBeGreaterThan(0);
    expect(h.ofType('error', 'upstream')).toEqual([]);
  });

  it('ends a sentence that fails midway, and gives the next sentence to the next service', async () => {
    const primary = new ScriptTTS('Primary', 8000, [{ failAfterAudio: new FakeRequestError(502) }]);
    const secondary = new ScriptTTS('Secondary', 8000);
    const { h } = await chain(primary, secondary);
    h.send(speak('First sentence.'));
    h.send(speak('Second sentence.'));
    await h.waitFor('tts_stopped', { count: 2 });
    expect(h.ofType('error', 'upstream')).toEqual([
      expect.objectContaining({ service: 'tts', source: 'FailoverTTSService' }),
    ]);
    expect(primary.texts).toEqual(['First sentence.']);
    expect(secondary.texts).toEqual(['Second sentence.']);
    expect(h.types().filter((t) => t !== 'metrics')).toEqual([
      'start',
      'tts_started',
      'tts_stopped',
      'tts_started',
      'service_switched',
      'tts_stopped',
    ]);
  });

  it('tries the first service again for the sentence after its cool-down', async () => {
    const primary = new ScriptTTS('Primary', 8000, [{ fail: new FakeRequestError(503) }]);
    const secondary = new ScriptTTS('Secondary', 8000);
    const { h, at } = await chain(primary, secondary);
    await at(0, speak('One.'));
    await h.waitFor('tts_stopped');
    await at(4999, speak('Two.'));
    await h.waitFor('tts_stopped', { count: 2 });
    await at(5000, speak('Three.'));
    await h.waitFor('tts_stopped', { count: 3 });
    expect(primary.texts).toEqual(['One.', 'Three.']);
    expect(secondary.texts).toEqual(['One.', 'Two.']);
    expect(h.ofType('service_switched').map((f) => f.reason)).toEqual(['failure', 'recovered']);
  });
});
