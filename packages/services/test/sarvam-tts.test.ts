import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SarvamTTSService,
  type SarvamTTSServiceOptions,
  TTSConfigurationError,
  TTSRequestError,
} from '../src/index.ts';
import { Linear16Decoder } from '../src/sarvam/linear16-decoder.ts';
import { FakeSarvamServer } from '../src/testing/index.ts';

const TEXT = 'नमस्ते, आपका स्वागत है।';

describe('SarvamTTSService against a fake Sarvam server', () => {
  let fake: FakeSarvamServer;
  let harness: ProcessorHarness<SarvamTTSService> | undefined;
  /** Connections accepted before the test's service started. */
  let connectionsBefore = 0;

  beforeAll(async () => {
    fake = await FakeSarvamServer.start({ apiKey: 'test-key' });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.ttsLatencyMs = 0;
    fake.ttsChunkIntervalMs = 2;
  });
  afterEach(async () => {
    if (harness?.processor.isRunning) {
      harness.send(frame('end', { reason: 'test over' }));
      await harness.waitFor('end').catch(() => {});
    }
    harness?.dispose();
    harness = undefined;
  });

  async function startService(
    options: Partial<SarvamTTSServiceOptions> = {},
    outputSampleRateHz = 8000,
  ): Promise<ProcessorHarness<SarvamTTSService>> {
    const h = new ProcessorHarness(
      new SarvamTTSService({ apiKey: 'test-key', baseUrl: fake.url, ...options }),
    );
    harness = h;
    connectionsBefore = fake.ttsConnections.length;
    await h.start({ outputSampleRateHz });
    return h;
  }

  /** Waits for the service's warm-up socket to be configured. */
  async function configured(): Promise<void> {
    await fake.until(
      () => fake.ttsConnections.length > connectionsBefore && fake.lastTts.config !== undefined,
      5000,
      'the config',
    );
  }

  it('opens a socket at start and asks for linear16 at the call rate (8 kHz) with the model, speaker and mapped language', async () => {
    await startService({ language: 'hi', voice: 'vidya', pace: 1.2, model: 'bulbul:v2' });
    await configured();
    const c = fake.lastTts;
    expect(c.apiKeyHeader).toBe('test-key');
    expect(c.query.get('model')).toBe('bulbul:v2');
    expect(c.query.get('send_completion_event')).toBe('true');
    expect(c.config).toMatchObject({
      language_code: 'hi-IN',
      speaker: 'vidya',
      pace: 1.2,
      speech_sample_rate: 8000,
      output_audio_codec: 'linear16',
    });
    expect(c.controls[0]).toBe('config');
  });

  it('defaults to bulbul:v2, anushka and en-IN, and asks for 24 kHz when the call rate is not one Sarvam offers', async () => {
    const h = await startService({}, 48_000);
    await configured();
    expect(h.processor.sampleRateHz).toBe(24_000);
    expect(fake.lastTts.query.get('model')).toBe('bulbul:v2');
    expect(fake.lastTts.config).toMatchObject({
      speaker: 'anushka',
      language_code: 'en-IN',
      speech_sample_rate: 24_000,
    });
    h.send(frame('tts_speak', { text: 'Hello' }));
    await h.waitFor('tts_stopped');
    const audio = h.ofType('output_audio');
    expect(audio.every((f) => f.sampleRateHz === 48_000)).toBe(true); // resampled by the base
    const samples = audio.reduce((n, f) => n + f.audio.length, 0);
    // 5 chars × 20 ms = 100 ms of audio at 48 kHz, about 4800 samples.
    expect(samples).toBeGreaterThan(4000);
    expect(samples).toBeLessThan(5600);
  });

  it('streams a sentence as text then flush and yields the audio chunks at 8 kHz until the final event, with ttfb', async () => {
    const h = await startService({ language: 'hi-IN' });
    await configured();
    h.send(frame('tts_speak', { text: TEXT }));
    await h.waitFor('tts_stopped');

    const c = fake.lastTts;
    expect(c.texts).toEqual([TEXT]);
    expect(c.controls).toEqual(['config', 'flush']);
    const audio = h.ofType('output_audio');
    expect(audio.length).toBe(c.audioChunks);
    expect(audio.every((f) => f.sampleRateHz === 8000)).toBe(true);
    const samples = audio.reduce((n, f) => n + f.audio.length, 0);
    expect(samples).toBe((TEXT.length * 20 * 8000) / 1000);
    expect(audio[0]?.audio.some((s) => s !== 0)).toBe(true);
    const ttfb = h.ofType('metrics').find((m) => m.name === 'ttfb');
    expect(ttfb?.unit).toBe('ms');
    expect(ttfb?.value).toBeGreaterThanOrEqual(0);
    expect(h.ofType('metrics').find((m) => m.name === 'characters')?.value).toBe(TEXT.length);
  });

  it('reuses one socket for consecutive sentences', async () => {
    const h = await startService();
    await configured();
    const before = fake.ttsConnections.length;
    h.send(frame('tts_speak', { text: 'One.' }));
    h.send(frame('tts_speak', { text: 'Two.' }));
    await h.waitFor('tts_stopped', { count: 2 });
    expect(fake.ttsConnections.length).toBe(before);
    expect(fake.lastTts.texts).toEqual(['One.', 'Two.']);
    expect(fake.lastTts.controls).toEqual(['config', 'flush', 'flush']);
  });

  it('closes the socket at Sarvam when the caller barges in, and the next sentence opens a new one', async () => {
    fake.ttsChunkIntervalMs = 40;
    const h = await startService();
    await configured();
    const first = fake.lastTts;
    h.send(frame('tts_speak', { text: 'A long sentence that the caller interrupts halfway through.' }));
    await h.waitFor('output_audio');
    h.send(frame('interruption'));
    await fake.until(() => first.closed, 5000, 'the cancel');
    expect(first.closedByClient).toBe(true);
    const chunksAtCancel = first.audioChunks;

    fake.ttsChunkIntervalMs = 2;
    h.send(frame('tts_speak', { text: 'Yes?' }));
    await h.waitFor('tts_stopped', { count: 1 });
    expect(fake.lastTts).not.toBe(first);
    expect(fake.lastTts.texts).toEqual(['Yes?']);
    expect(first.audioChunks).toBe(chunksAtCancel); // nothing more was synthesized for it
  });

  it('times out a hanging synthesis and cancels it at Sarvam', async () => {
    const h = await startService({ responseTimeoutMs: 300 });
    await configured();
    const c = fake.lastTts;
    fake.scriptTts({ hang: true });
    h.send(frame('tts_speak', { text: 'Hello?' }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.service).toBe('tts');
    expect(error.message).toMatch(/no response/);
    await fake.until(() => c.closed, 5000, 'the cancel');
    expect(c.closedByClient).toBe(true);
    await h.waitFor('tts_stopped');
  });

  it('reopens a socket that Sarvam closed while idle for the next sentence', async () => {
    const h = await startService();
    await configured();
    const first = fake.lastTts;
    fake.dropOpen('tts');
    await fake.until(() => first.closed);
    await new Promise((r) => setTimeout(r, 50)); // let the client see the drop
    h.send(frame('tts_speak', { text: 'Still here.' }));
    await h.waitFor('tts_stopped');
    expect(fake.lastTts).not.toBe(first);
    expect(fake.lastTts.texts).toEqual(['Still here.']);
    expect(h.ofType('output_audio').length).toBeGreaterThan(0);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('sends a sentence again on a new socket when the socket drops before its first audio', async () => {
    const h = await startService();
    await configured();
    const first = fake.lastTts;
    fake.scriptTts({ dropAfterChunks: 0 });
    h.send(frame('tts_speak', { text: 'Again.' }));
    await h.waitFor('tts_stopped');
    expect(first.texts).toEqual(['Again.']);
    expect(fake.lastTts).not.toBe(first);
    expect(fake.lastTts.texts).toEqual(['Again.']);
    expect(h.ofType('output_audio').length).toBeGreaterThan(0);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('fails a sentence whose socket drops after some audio with a TTSRequestError, and recovers for the next', async () => {
    const h = await startService();
    await configured();
    fake.scriptTts({ dropAfterChunks: 1 });
    h.send(frame('tts_speak', { text: 'A sentence long enough for several chunks of audio.' }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(false);
    expect(error.cause).toBeInstanceOf(TTSRequestError);
    expect(error.message).toMatch(/dropped/);
    await h.waitFor('tts_stopped');
    h.send(frame('tts_speak', { text: 'Next.' }));
    await h.waitFor('tts_stopped', { count: 2 });
    expect(fake.lastTts.texts).toEqual(['Next.']);
  });

  it.each([
    [422, TTSConfigurationError, /tts\.voice/],
    [429, TTSRequestError, /HTTP 429/],
    [500, TTSRequestError, /HTTP 500/],
  ])('maps an error message with code %i', async (code, type, message) => {
    const h = await startService();
    await configured();
    fake.scriptTts({ error: { message: 'refused', code } });
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(false);
    expect(error.cause).toBeInstanceOf(type);
    expect((error.cause as TTSRequestError).status).toBe(code);
    expect(error.message).toMatch(message);
    await h.waitFor('tts_stopped');
  });

  it.each([
    [403, TTSConfigurationError, /SARVAM_API_KEY/],
    [429, TTSRequestError, /HTTP 429/],
    [503, TTSRequestError, /HTTP 503/],
  ])('maps a handshake refused with %i', async (status, type, message) => {
    const rejectedBefore = fake.rejected;
    // The warm-up attempt and the sentence's own attempt are both refused.
    if (status !== 403) fake.rejectNext(status, status);
    const h = await startService({ apiKey: status === 403 ? 'wrong-key' : 'test-key' });
    await fake.until(() => fake.rejected === rejectedBefore + 1, 5000, 'the warm-up refusal');
    h.send(frame('tts_speak', { text: 'Hello.' }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(false);
    expect(error.cause).toBeInstanceOf(type);
    expect((error.cause as TTSRequestError).status).toBe(status);
    expect(error.message).toMatch(message);
    await h.waitFor('tts_stopped');
  });

  it('fails the start for a language Sarvam does not speak', async () => {
    const h = new ProcessorHarness(
      new SarvamTTSService({ apiKey: 'test-key', baseUrl: fake.url, language: 'de-DE' }),
    );
    harness = h;
    await h.start();
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect(error.message).toMatch(/de-DE/);
  });

  it('pings an idle socket', async () => {
    await startService({ keepAliveMs: 100 });
    await configured();
    await fake.until(() => fake.lastTts.controls.includes('ping'), 5000, 'a ping');
  });
});

describe('Linear16Decoder', () => {
  const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');

  it('carries a split sample over to the next chunk', () => {
    const d = new Linear16Decoder();
    expect([...d.decode(b64([0x01, 0x00, 0x02]))]).toEqual([1]);
    expect([...d.decode(b64([0x00, 0x03, 0x00]))]).toEqual([2, 3]);
  });

  it('skips a WAV header', () => {
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.write('WAVE', 8);
    header.write('fmt ', 12);
    header.writeUInt32LE(16, 16);
    header.write('data', 36);
    header.writeUInt32LE(4, 40);
    const wav = Buffer.concat([header, Buffer.from([0x05, 0x00, 0xff, 0xff])]);
    expect([...new Linear16Decoder().decode(wav.toString('base64'))]).toEqual([5, -1]);
  });
});
