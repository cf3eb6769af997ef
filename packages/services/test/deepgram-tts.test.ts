import { frame, mulawToPcm, ProcessorHarness, pcmToMulaw, ServiceTimeoutError } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DeepgramTTSService,
  type DeepgramTTSServiceOptions,
  TTSConfigurationError,
  TTSRequestError,
} from '../src/index.ts';
import { FakeDeepgramServer } from '../src/testing/index.ts';

/** The fake's tone at `rateHz`: 440 Hz, amplitude 8000. */
const tone = (n: number, rateHz: number) =>
  Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rateHz)));

function joined(h: ProcessorHarness): Int16Array {
  const chunks = h.ofType('output_audio').map((f) => f.audio);
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

describe('DeepgramTTSService against a fake Deepgram server', () => {
  let fake: FakeDeepgramServer;
  let harness: ProcessorHarness<DeepgramTTSService> | undefined;

  beforeAll(async () => {
    fake = await FakeDeepgramServer.start({ apiKey: 'test-key' });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    harness?.send(frame('cancel', { reason: 'test over' }));
    harness?.dispose();
    harness = undefined;
  });

  async function start(
    options: DeepgramTTSServiceOptions = {},
    outputSampleRateHz = 8000,
  ): Promise<ProcessorHarness<DeepgramTTSService>> {
    const tts = new DeepgramTTSService({
      apiKey: 'test-key',
      baseUrl: fake.url.replace('ws:', 'http:'),
      maxRetries: 0,
      ...options,
    });
    const h = new ProcessorHarness(tts);
    harness = h;
    await h.start({ outputSampleRateHz });
    return h;
  }

  it('asks for raw linear16 at the 8 kHz call rate with the model, authenticated with the key, so nothing is resampled', async () => {
    fake.speak({ audioMs: 200, chunkBytes: 161, chunkDelayMs: 1 });
    const h = await start({ model: 'aura-2-andromeda-en', speed: 1.1 });
    expect(h.processor.sampleRateHz).toBe(8000);
    h.send(frame('tts_speak', { text: 'Hello there.' }));
    await h.waitFor('tts_stopped');

    const request = fake.speakRequests.at(-1)!;
    expect(request.authorization).toBe('Token test-key');
    expect(request.text).toBe('Hello there.');
    const q = request.query;
    expect(q.get('model')).toBe('aura-2-andromeda-en');
    expect(q.get('encoding')).toBe('linear16');
    expect(q.get('sample_rate')).toBe('8000');
    expect(q.get('container')).toBe('none');
    expect(q.get('speed')).toBe('1.1');
    // Every sample, in order, though the 161-byte chunks split samples.
    expect(joined(h)).toEqual(tone(1600, 8000));
    expect(h.ofType('output_audio').every((f) => f.sampleRateHz === 8000)).toBe(true);
  });

  it('defaults to aura-2-thalia-en and asks for the call rate at 16 kHz too', async () => {
    const h = await start({}, 16_000);
    h.send(frame('tts_speak', { text: 'Hi.' }));
    await h.waitFor('tts_stopped');

    const q = fake.speakRequests.at(-1)!.query;
    expect(q.get('model')).toBe('aura-2-thalia-en');
    expect(q.get('sample_rate')).toBe('16000');
    expect(q.has('speed')).toBe(false);
  });

  it('asks for 24 kHz when the call rate is not offered (44.1 kHz) and the base resamples', async () => {
    fake.speak({ audioMs: 100 });
    const h = await start({}, 44_100);
    h.send(frame('tts_speak', { text: 'Hi.' }));
    await h.waitFor('tts_stopped');

    expect(fake.speakRequests.at(-1)!.query.get('sample_rate')).toBe('24000');
    expect(Math.abs(joined(h).length - 4410)).toBeLessThanOrEqual(2);
    expect(h.ofType('output_audio').every((f) => f.sampleRateHz === 44_100)).toBe(true);
  });

  it('asks for mulaw at 8 kHz when configured and decodes it', async () => {
    fake.speak({ audioMs: 100, chunkBytes: 77 });
    const h = await start({ encoding: 'mulaw' });
    h.send(frame('tts_speak', { text: 'Hi.' }));
    await h.waitFor('tts_stopped');

    const q = fake.speakRequests.at(-1)!.query;
    expect(q.get('encoding')).toBe('mulaw');
    expect(q.get('sample_rate')).toBe('8000');
    expect(joined(h)).toEqual(mulawToPcm(pcmToMulaw(tone(800, 8000))));
  });

  it('reports ttfb and characters', async () => {
    fake.speak({ audioMs: 100, latencyMs: 40 });
    const h = await start();
    h.send(frame('tts_speak', { text: 'Your table is booked.' }));
    await h.waitFor('tts_stopped');

    const metrics = h.ofType('metrics');
    expect(metrics.find((m) => m.name === 'ttfb')?.value).toBeGreaterThanOrEqual(35);
    expect(metrics.find((m) => m.name === 'characters')?.value).toBe('Your table is booked.'.length);
  });

  it('aborts the request at Deepgram when the caller barges in', async () => {
    fake.speak({ audioMs: 5000, chunkBytes: 1600, chunkDelayMs: 40 });
    const h = await start();
    h.send(frame('tts_speak', { text: 'A long answer that the caller will cut short.' }));
    await h.waitFor('output_audio');
    const request = fake.speakRequests.at(-1)!;
    h.send(frame('interruption'));
    await fake.until(() => request.aborted, 5000, 'the aborted request');

    expect(request.bytesSent).toBeLessThan(5 * 8000 * 2);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('fails the sentence with a TTSConfigurationError naming DEEPGRAM_API_KEY when the key is rejected (401)', async () => {
    const h = await start({ apiKey: 'wrong-key' });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.service).toBe('tts');
    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect((error.cause as TTSConfigurationError).status).toBe(401);
    expect(error.message).toMatch(/DEEPGRAM_API_KEY/);
    await h.waitFor('tts_stopped');
  });

  it('fails with a TTSConfigurationError naming the model when Deepgram refuses it (400)', async () => {
    fake.speak({ error: 400, message: 'No such model/version/tier combination found.' });
    const h = await start({ model: 'aura-9-nobody-en' });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect(error.message).toMatch(/tts\.model \("aura-9-nobody-en"\)/);
    expect(error.message).toMatch(/No such model/);
  });

  it.each([429, 500, 503])('fails with a TTSRequestError carrying HTTP %i', async (status) => {
    fake.speak({ error: status });
    const h = await start();
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.fatal).toBe(false);
    expect(error.cause).toBeInstanceOf(TTSRequestError);
    expect((error.cause as TTSRequestError).status).toBe(status);
  });

  it('gives up on a stream that hangs after responseTimeoutMs and closes the request', async () => {
    fake.speak({ hang: true });
    const h = await start({ responseTimeoutMs: 300 });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });
    const request = fake.speakRequests.at(-1)!;

    expect(error.cause).toBeInstanceOf(ServiceTimeoutError);
    await fake.until(() => request.aborted, 5000, 'the aborted request');
    await h.waitFor('tts_stopped');
  });

  it('fails with a TTSRequestError when Deepgram cannot be reached', async () => {
    const gone = await FakeDeepgramServer.start();
    const url = gone.url.replace('ws:', 'http:');
    await gone.close();
    const h = await start({ baseUrl: url });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSRequestError);
  });

  it('refuses to start without an API key', () => {
    expect(() => new DeepgramTTSService({ baseUrl: fake.url })).toThrow(TTSConfigurationError);
  });
});
