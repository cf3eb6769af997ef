import { frame, ProcessorHarness, ServiceTimeoutError } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OpenAITTSService,
  type OpenAITTSServiceOptions,
  TTSConfigurationError,
  TTSRequestError,
} from '../src/index.ts';
import { FakeOpenAIAudioServer } from '../src/testing/index.ts';

/** The fake's tone, as the service must deliver it at 24 kHz: 440 Hz, amplitude 8000. */
const toneSample = (i: number) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 24_000));

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

describe('OpenAITTSService against a fake OpenAI audio server', () => {
  let fake: FakeOpenAIAudioServer;
  let harness: ProcessorHarness<OpenAITTSService> | undefined;

  beforeAll(async () => {
    fake = await FakeOpenAIAudioServer.start({ apiKey: 'test-key' });
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
    options: OpenAITTSServiceOptions = {},
    outputSampleRateHz = 8000,
  ): Promise<ProcessorHarness<OpenAITTSService>> {
    const tts = new OpenAITTSService({ apiKey: 'test-key', baseUrl: fake.url, maxRetries: 0, ...options });
    const h = new ProcessorHarness(tts);
    harness = h;
    await h.start({ outputSampleRateHz });
    return h;
  }

  it('asks for 24 kHz pcm with the model, voice, instructions and speed, authenticated with the key', async () => {
    const h = await start({ model: 'gpt-4o-mini-tts', voice: 'coral', instructions: 'Be warm.', speed: 1.2 });
    h.send(frame('tts_speak', { text: 'Hello there.' }));
    await h.waitFor('tts_stopped');

    const request = fake.speechRequests.at(-1)!;
    expect(request.authorization).toBe('Bearer test-key');
    expect(request.body).toMatchObject({
      model: 'gpt-4o-mini-tts',
      voice: 'coral',
      input: 'Hello there.',
      response_format: 'pcm',
      instructions: 'Be warm.',
      speed: 1.2,
    });
  });

  it('defaults to gpt-4o-mini-tts and alloy and sends no instructions unless configured', async () => {
    const h = await start();
    h.send(frame('tts_speak', { text: 'Hi.' }));
    await h.waitFor('tts_stopped');

    const body = fake.speechRequests.at(-1)!.body;
    expect(body.model).toBe('gpt-4o-mini-tts');
    expect(body.voice).toBe('alloy');
    expect(body.instructions).toBeUndefined();
  });

  it('streams every sample of the body in order, though network chunks split samples (odd byte counts)', async () => {
    fake.speak({ audioMs: 200, chunkBytes: 333, chunkDelayMs: 1 });
    const h = await start({}, 24_000); // the call's rate is the API's: nothing is resampled
    h.send(frame('tts_speak', { text: 'One two three.' }));
    await h.waitFor('tts_stopped');

    const audio = joined(h);
    expect(audio.length).toBe(4800);
    const expected = Int16Array.from({ length: 4800 }, (_, i) => toneSample(i));
    expect(audio).toEqual(expected);
    expect(h.ofType('output_audio').length).toBeGreaterThan(5); // streamed, not one blob
  });

  it('resamples the 24 kHz audio to an 8 kHz call and reports ttfb and characters', async () => {
    fake.speak({ audioMs: 300, latencyMs: 30 });
    const h = await start();
    h.send(frame('tts_speak', { text: 'Your order is on its way.' }));
    const stopped = await h.waitFor('tts_stopped');

    const started = h.ofType('tts_started')[0]!;
    expect(stopped.contextId).toBe(started.contextId);
    const chunks = h.ofType('output_audio');
    expect(chunks.every((c) => c.sampleRateHz === 8000 && c.contextId === started.contextId)).toBe(true);
    expect(Math.abs(joined(h).length - 2400)).toBeLessThanOrEqual(2);
    const metrics = h.ofType('metrics');
    expect(metrics.find((m) => m.name === 'ttfb')?.value).toBeGreaterThanOrEqual(25);
    expect(metrics.find((m) => m.name === 'characters')?.value).toBe('Your order is on its way.'.length);
  });

  it('aborts the request at OpenAI when the caller barges in', async () => {
    fake.speak({ audioMs: 5000, chunkBytes: 4800, chunkDelayMs: 40 });
    const h = await start();
    h.send(frame('tts_speak', { text: 'A long answer that the caller will cut short.' }));
    await h.waitFor('output_audio');
    const request = fake.speechRequests.at(-1)!;
    h.send(frame('interruption'));
    await fake.until(() => request.aborted, 5000, 'the aborted request');

    const sent = request.bytesSent;
    expect(sent).toBeLessThan(5 * 24_000 * 2);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('fails the sentence with a TTSConfigurationError naming OPENAI_API_KEY when the key is rejected (401)', async () => {
    const h = await start({ apiKey: 'wrong-key' });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.service).toBe('tts');
    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect((error.cause as TTSConfigurationError).status).toBe(401);
    expect(error.message).toMatch(/OPENAI_API_KEY/);
    await h.waitFor('tts_stopped');
  });

  it('fails with a TTSConfigurationError naming the voice when OpenAI does not know it (400)', async () => {
    const h = await start({ voice: 'nobody' });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect(error.message).toMatch(/tts\.voice \("nobody"\)/);
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

  it('retries a 503 with the SDK when asked to, and then speaks', async () => {
    fake.speak({ error: 503 }, { audioMs: 100 });
    const h = await start({ maxRetries: 1 });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    await h.waitFor('tts_stopped', { timeoutMs: 10_000 });

    expect(h.ofType('error', 'upstream')).toHaveLength(0);
    expect(joined(h).length).toBeGreaterThan(0);
  });

  it('gives up on a stream that hangs after responseTimeoutMs and closes the request', async () => {
    fake.speak({ hang: true });
    const h = await start({ responseTimeoutMs: 300 });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });
    const request = fake.speechRequests.at(-1)!;

    expect(error.cause).toBeInstanceOf(ServiceTimeoutError);
    await fake.until(() => request.aborted, 5000, 'the aborted request');
    await h.waitFor('tts_stopped');
  });

  it('fails with a TTSRequestError when OpenAI cannot be reached', async () => {
    const gone = await FakeOpenAIAudioServer.start();
    const url = gone.url;
    await gone.close();
    const h = await start({ baseUrl: url });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSRequestError);
    expect(error.message).toMatch(/Could not reach OpenAI/);
  });

  it('reads a lazy key before each request, and reports its failure as a TTSConfigurationError', async () => {
    let calls = 0;
    const h = await start({
      apiKey: async () => {
        calls++;
        if (calls > 1) throw new Error('the credential store is locked');
        return 'test-key';
      },
    });
    h.send(frame('tts_speak', { text: 'First.' }));
    await h.waitFor('tts_stopped');
    h.send(frame('tts_speak', { text: 'Second.' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(calls).toBe(2);
    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect(error.message).toMatch(/credential store is locked/);
  });

  it('refuses to start without an API key', () => {
    expect(() => new OpenAITTSService({ baseUrl: fake.url })).toThrow(TTSConfigurationError);
  });
});
