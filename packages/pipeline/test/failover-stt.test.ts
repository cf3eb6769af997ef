import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { frame } from '../src/frames/frames.ts';
import { UsageCollector } from '../src/observers/usage.ts';
import type { FrameProcessor } from '../src/processors/frame-processor.ts';
import { FailoverSTTService, type STTServiceSource } from '../src/services/failover/stt-failover.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';
import { CountingSTT, FakeConfigurationError, FakeRequestError } from './failover-fakes.ts';
import { f, onVirtualClock } from './turn-harness.ts';

const harnesses: ProcessorHarness[] = [];
beforeEach(() => {
  CountingSTT.made.length = 0;
});
afterEach(() => {
  for (const h of harnesses.splice(0)) {
    h.send(frame('cancel', { reason: 'test over' }));
    h.dispose();
  }
});

async function chain(services: readonly STTServiceSource[], replayBufferMs?: number) {
  const stt = new FailoverSTTService(services, {
    cooldownMs: 5000,
    ...(replayBufferMs ? { replayBufferMs } : {}),
  });
  const run = await onVirtualClock(stt as FrameProcessor);
  harnesses.push(run.h);
  const usage = new UsageCollector();
  run.h.processor.setTap((frame, direction, source) => usage.onFrame({ frame, direction, source }));
  return { ...run, usage };
}

/** `n` frames of 20 ms caller audio at 8 kHz (160 samples each). */
const audio = (n: number) =>
  Array.from({ length: n }, () =>
    frame('input_audio', { audio: new Int16Array(160), sampleRateHz: 8000, channels: 1 }),
  );

const finals = (h: ProcessorHarness) => h.ofType('transcription').map((t) => t.text);

describe('FailoverSTTService', () => {
  it('replays the caller’s audio since the last transcript to the next service when the stream is lost', async () => {
    const primary = new CountingSTT('Primary');
    const secondary = new CountingSTT('Secondary');
    const { h, at, usage } = await chain([primary, secondary]);
    await at(0, f.vadStart(), ...audio(5), f.vadStop());
    await h.waitFor('transcription');
    await at(1000, f.vadStart(), ...audio(10));
    primary.lose();
    await at(1300, ...audio(5), f.vadStop());
    await h.waitFor('transcription', { count: 2 });

    // 10 frames replayed + 5 new ones, none of the first utterance.
    expect(finals(h)).toEqual(['Primary heard 800 samples', 'Secondary heard 2400 samples']);
    expect(h.ofType('error', 'upstream')).toEqual([]); // the fatal error stayed inside the chain
    expect(h.ofType('service_switched')).toEqual([
      expect.objectContaining({ service: 'stt', from: 'Primary', to: 'Secondary', reason: 'failure' }),
    ]);
    expect(h.ofType('service_switched')[0]!.error).toBe('Primary stream lost');
    expect(primary.closed).toBe(true);
    expect(h.ofType('input_audio')).toHaveLength(20); // forwarded once, whoever listens
    // Each service's usage: the primary streamed 30 frames, the secondary 15 (10 of them replayed).
    const seconds = usage.summary().stt.map((u) => [u.provider, Math.round(u.audioSeconds * 1000)]);
    expect(seconds).toEqual([
      ['primary', 300],
      ['secondary', 300],
    ]);
  });

  it('keeps at most replayBufferMs of audio to replay', async () => {
    const primary = new CountingSTT('Primary');
    const { h, at } = await chain([primary, new CountingSTT('Secondary')], 100);
    await at(0, f.vadStart(), ...audio(12));
    primary.lose();
    await at(500, f.vadStop());
    await h.waitFor('transcription');
    expect(finals(h)).toEqual(['Secondary heard 800 samples']); // the last 100 ms
  });

  it('opens the next service when the first cannot open its stream at the start', async () => {
    const primary = new CountingSTT('Primary', new FakeRequestError(503));
    const secondary = new CountingSTT('Secondary');
    const { h, at } = await chain([primary, secondary]);
    expect(secondary.opened).toBe(true);
    await at(0, f.vadStart(), ...audio(3), f.vadStop());
    await h.waitFor('transcription');
    expect(finals(h)).toEqual(['Secondary heard 480 samples']);
    expect(h.ofType('service_switched').map((s) => s.error)).toEqual(['request failed (HTTP 503)']);
    expect(h.ofType('error', 'upstream')).toEqual([]);
  });

  it('does not hide a configuration error at the start: it is fatal, as with a single service', async () => {
    const secondary = new CountingSTT('Secondary');
    const { h } = await chain([new CountingSTT('Primary', new FakeConfigurationError()), secondary]);
    expect(h.ofType('error', 'upstream')).toEqual([
      expect.objectContaining({ fatal: true, service: 'stt', cause: expect.any(FakeConfigurationError) }),
    ]);
    expect(secondary.opened).toBe(false);
  });

  it('stops the service whose stream is opening when the call is cancelled', async () => {
    const opening = new CountingSTT('Primary', 'hang');
    const h = new ProcessorHarness(new FailoverSTTService([opening, new CountingSTT('Secondary')]));
    harnesses.push(h);
    h.send(frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {} }));
    h.send(frame('cancel', { reason: 'caller hung up' }));
    await h.waitFor('cancel');
    await expect.poll(() => opening.closed).toBe(true);
    expect(CountingSTT.made.filter((s) => s.opened)).toEqual([]);
  });

  it('passes the fatal error on when no service is left', async () => {
    const primary = new CountingSTT('Primary');
    const secondary = new CountingSTT('Secondary');
    const { h, at } = await chain([primary, secondary]);
    await at(0, f.vadStart(), ...audio(2));
    primary.lose();
    await at(100);
    secondary.lose();
    await at(200);
    expect(h.ofType('error', 'upstream')).toEqual([
      expect.objectContaining({ fatal: true, message: 'Secondary stream lost' }),
    ]);
  });

  it('goes back to the first service after its cool-down, between utterances, with fresh instances', async () => {
    const { h, at } = await chain([() => new CountingSTT('Primary'), () => new CountingSTT('Secondary')]);
    await at(0, f.vadStart(), ...audio(2));
    CountingSTT.made[0]!.lose();
    await at(100, f.vadStop());
    await h.waitFor('transcription');
    // Before the cool-down ends, a transcript does not bring the first back.
    await at(4000, f.vadStart(), ...audio(2), f.vadStop());
    await h.waitFor('transcription', { count: 2 });
    expect(CountingSTT.made.map((s) => s.name)).toEqual(['Primary', 'Secondary']);
    // After it, the next transcript opens a new Primary alongside, which then takes over.
    await at(6000, f.vadStart(), ...audio(2), f.vadStop());
    await h.waitFor('transcription', { count: 3 });
    await at(6100);
    expect(CountingSTT.made.map((s) => s.name)).toEqual(['Primary', 'Secondary', 'Primary']);
    expect(CountingSTT.made[1]!.closed).toBe(true);
    await at(7000, f.vadStart(), ...audio(4), f.vadStop());
    await h.waitFor('transcription', { count: 4 });
    expect(finals(h)).toEqual([
      'Secondary heard 320 samples',
      'Secondary heard 320 samples',
      'Secondary heard 320 samples',
      'Primary heard 640 samples',
    ]);
    expect(h.ofType('service_switched').map((s) => `${s.from}→${s.to} ${s.reason}`)).toEqual([
      'Primary→Secondary failure',
      'Secondary→Primary recovered',
    ]);
  });
});
