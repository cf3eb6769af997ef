import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SARVAM_STT_LANGUAGES,
  SarvamSTTService,
  type SarvamSTTServiceOptions,
  STTConfigurationError,
  STTConnectionError,
  toSarvamLanguage,
} from '../src/index.ts';
import { FakeSarvamServer } from '../src/testing/index.ts';

const RATE = 8000;
/** One 20 ms frame at 8 kHz: 160 samples, 320 bytes of pcm_s16le. */
const FRAME_SAMPLES = 160;
const FRAME_BYTES = 320;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SarvamSTTService against a fake Sarvam server', () => {
  let fake: FakeSarvamServer;
  let harness: ProcessorHarness<SarvamSTTService> | undefined;

  beforeAll(async () => {
    fake = await FakeSarvamServer.start({ apiKey: 'test-key' });
  });
  afterAll(async () => {
    await fake.close();
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
    options: Partial<SarvamSTTServiceOptions> = {},
    rateHz = RATE,
  ): Promise<ProcessorHarness<SarvamSTTService>> {
    const h = new ProcessorHarness(
      new SarvamSTTService({ apiKey: 'test-key', baseUrl: fake.url, ...options }),
    );
    harness = h;
    await h.start({ inputSampleRateHz: rateHz });
    return h;
  }

  function sendFrames(h: ProcessorHarness, count: number, rateHz = RATE): void {
    for (let i = 0; i < count; i++) {
      const audio = new Int16Array((rateHz / 1000) * 20).fill(i);
      h.send(frame('input_audio', { audio, sampleRateHz: rateHz, channels: 1 }));
    }
  }

  it('asks for pcm_s16le at 8 kHz with the mapped language, model, VAD signals and flush, authenticated with the key', async () => {
    await startService({ language: 'ta', model: 'saarika:v2.5', mode: 'codemix', prompt: 'Parley, Chennai' });
    const c = fake.lastStt;
    const q = c.query;
    expect(c.apiKeyHeader).toBe('test-key');
    expect(c.protocols).toEqual(['api-subscription-key.test-key']);
    expect(q.get('language-code')).toBe('ta-IN');
    expect(q.get('model')).toBe('saarika:v2.5');
    expect(q.get('mode')).toBe('codemix');
    expect(q.get('input_audio_codec')).toBe('pcm_s16le');
    expect(q.get('sample_rate')).toBe('8000');
    expect(q.get('vad_signals')).toBe('true');
    expect(q.get('flush_signal')).toBe('true');
    expect(q.get('high_vad_sensitivity')).toBe('true');
    await fake.until(() => c.prompts.length === 1, 5000, 'the prompt');
    expect(c.prompts).toEqual(['Parley, Chennai']);
  });

  it('defaults to saaras:v3 with language auto-detection', async () => {
    await startService({ highVadSensitivity: false });
    const q = fake.lastStt.query;
    expect(q.get('model')).toBe('saaras:v3');
    expect(q.get('language-code')).toBe('unknown');
    expect(q.has('mode')).toBe(false);
    expect(q.get('high_vad_sensitivity')).toBe('false');
  });

  it('streams the caller audio as base64 PCM declared at 8 kHz in every message, and turns transcripts into final frames with the language, END_SPEECH marking the end of the utterance', async () => {
    const h = await startService({ language: 'hi-IN' });
    fake.scriptStt(
      { vad: 'START_SPEECH' },
      { transcript: 'मुझे एक पिज़्ज़ा', afterBytes: 10 * FRAME_BYTES },
      { vad: 'START_SPEECH' },
      { vad: 'END_SPEECH', afterBytes: 20 * FRAME_BYTES },
      { transcript: 'चाहिए' },
    );
    sendFrames(h, 20);
    await h.waitFor('transcription', { count: 2 });

    const finals = h.ofType('transcription');
    expect(finals.map((f) => f.text)).toEqual(['मुझे एक पिज़्ज़ा', 'चाहिए']);
    expect(finals.map((f) => f.language)).toEqual(['hi-IN', 'hi-IN']);
    expect(finals[0]?.endOfUtterance).toBeUndefined();
    expect(finals[1]?.endOfUtterance).toBe(true);
    expect(h.ofType('interim_transcription')).toHaveLength(0);
    expect(h.ofType('input_audio')).toHaveLength(20); // forwarded unchanged
    await fake.until(() => fake.lastStt.audioBytes === 20 * FRAME_BYTES, 5000, 'all audio');
    expect(fake.lastStt.audioFormats).toHaveLength(20);
    expect(new Set(fake.lastStt.audioFormats.map((f) => f.sampleRate))).toEqual(new Set([8000]));
    const seconds = h.ofType('metrics').filter((m) => m.name === 'audio_seconds');
    expect(seconds.reduce((n, m) => n + m.value, 0)).toBeCloseTo((20 * FRAME_SAMPLES) / RATE, 5);
  });

  it('reports the language Sarvam detected when it was left to auto-detection', async () => {
    const h = await startService();
    fake.scriptStt({ transcript: 'வணக்கம்', languageCode: 'ta-IN' });
    sendFrames(h, 2);
    expect((await h.waitFor('transcription')).language).toBe('ta-IN');
  });

  it('resamples a 16 kHz-incompatible rate (48 kHz) to 16 kHz and declares 16 kHz', async () => {
    const h = await startService({}, 48_000);
    expect(fake.lastStt.query.get('sample_rate')).toBe('16000');
    sendFrames(h, 10, 48_000);
    // 200 ms of 48 kHz in → about 200 ms of 16 kHz out (minus the filter delay).
    await fake.until(() => fake.lastStt.audioBytes > 5000, 5000, 'resampled audio');
    expect(fake.lastStt.audioBytes).toBeLessThanOrEqual(6400);
    expect(new Set(fake.lastStt.audioFormats.map((f) => f.sampleRate))).toEqual(new Set([16000]));
  });

  it('sends a flush when the caller stops speaking and times the transcript from there (ttfb)', async () => {
    const h = await startService();
    fake.scriptStt({ transcript: 'book a table', afterFlush: true, delayMs: 20 });
    sendFrames(h, 5);
    await fake.until(() => fake.lastStt.audioBytes === 5 * FRAME_BYTES, 5000, 'audio');
    h.send(frame('vad_user_stopped_speaking'));
    const final = await h.waitFor('transcription');

    expect(fake.lastStt.controls).toContain('flush');
    expect(final.text).toBe('book a table');
    const ttfb = h.ofType('metrics').find((m) => m.name === 'ttfb');
    expect(ttfb?.unit).toBe('ms');
    expect(ttfb?.value).toBeGreaterThan(0);
  });

  it('closes the socket on stop', async () => {
    const h = await startService();
    sendFrames(h, 3);
    const connection = fake.lastStt;
    h.send(frame('end', { reason: 'caller hung up' }));
    await h.waitFor('end');
    await fake.until(() => connection.closed, 5000, 'the close');
    expect(connection.closedByClient).toBe(true);
  });

  it('reports an error message from Sarvam as a non-fatal error and keeps listening', async () => {
    const h = await startService();
    fake.scriptStt(
      { error: 'audio too loud', code: '500' },
      { transcript: 'still here', afterBytes: 2 * FRAME_BYTES },
    );
    sendFrames(h, 2);
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(false);
    expect(error.cause).toBeInstanceOf(STTConnectionError);
    expect(error.message).toMatch(/audio too loud/);
    expect((await h.waitFor('transcription')).text).toBe('still here');
  });

  it('reconnects after a dropped socket and delivers the audio sent meanwhile, reporting the drop as non-fatal', async () => {
    const h = await startService({ reconnectDelayMs: 50 });
    const first = fake.lastStt;
    const before = fake.sttConnections.length;
    fake.dropSttAfter(10 * FRAME_BYTES);
    sendFrames(h, 10);
    await h.waitFor('error', { side: 'upstream' });
    // The socket is gone: these frames wait in the backlog until the new socket opens.
    sendFrames(h, 15);
    await fake.until(() => fake.sttConnections.length > before, 5000, 'a new connection');
    await fake.until(() => fake.lastStt.audioBytes === 15 * FRAME_BYTES, 5000, 'the buffered audio');

    const drop = h.ofType('error', 'upstream')[0];
    expect(drop?.fatal).toBe(false);
    expect(drop?.service).toBe('stt');
    expect(drop?.cause).toBeInstanceOf(STTConnectionError);
    expect(first.audioBytes).toBe(10 * FRAME_BYTES);
    expect(fake.lastStt.query.get('sample_rate')).toBe('8000');

    fake.scriptStt({ transcript: 'still here', afterBytes: 16 * FRAME_BYTES });
    sendFrames(h, 1);
    expect((await h.waitFor('transcription')).text).toBe('still here');
  });

  it('keeps taking paced caller audio through a drop and reports only the drop, once', async () => {
    const h = await startService({ reconnectDelayMs: 50 });
    const before = fake.sttConnections.length;
    fake.dropSttAfter(10 * FRAME_BYTES);
    for (let i = 0; i < 60; i++) {
      sendFrames(h, 1);
      await sleep(5);
    }
    await fake.until(() => fake.sttConnections.length > before, 5000, 'a new connection');
    sendFrames(h, 1);
    await fake.until(() => fake.lastStt.audioBytes > 0, 5000, 'audio on the new socket');

    expect(h.ofType('error', 'upstream').map((e) => e.message)).toEqual([
      'the Sarvam connection dropped; reconnecting',
    ]);
    expect(h.ofType('input_audio')).toHaveLength(61);
  });

  it('gives up with a fatal STTConnectionError when every reconnection attempt fails (5xx, 429)', async () => {
    const h = await startService({ reconnectDelayMs: 20, maxReconnectAttempts: 2 });
    fake.rejectNext(503, 429);
    fake.dropSttAfter(FRAME_BYTES);
    sendFrames(h, 1);
    const fatal = await h.waitFor('error', { side: 'upstream', count: 2 });

    expect(fatal.fatal).toBe(true);
    expect(fatal.cause).toBeInstanceOf(STTConnectionError);
    expect(fatal.message).toMatch(/2 reconnection attempts failed/);
    expect(((fatal.cause as Error).cause as STTConnectionError).status).toBe(429);
  });

  it.each([403, 401])(
    'fails the start with an STTConfigurationError naming SARVAM_API_KEY when the key is rejected (%i)',
    async (status) => {
      const rejectedBefore = fake.rejected;
      if (status === 401) fake.rejectNext(401);
      const h = new ProcessorHarness(
        new SarvamSTTService({ apiKey: status === 403 ? 'wrong-key' : 'test-key', baseUrl: fake.url }),
      );
      harness = h;
      await h.start({ inputSampleRateHz: RATE });
      const error = await h.waitFor('error', { side: 'upstream' });

      expect(fake.rejected).toBe(rejectedBefore + 1);
      expect(error.fatal).toBe(true);
      expect(error.cause).toBeInstanceOf(STTConfigurationError);
      expect((error.cause as STTConfigurationError).status).toBe(status);
      expect(error.message).toMatch(/SARVAM_API_KEY/);
    },
  );

  it('fails the start with an STTConfigurationError naming the options when Sarvam refuses them (422)', async () => {
    fake.rejectNext(422);
    const h = new ProcessorHarness(
      new SarvamSTTService({ apiKey: 'test-key', baseUrl: fake.url, model: 'nope' }),
    );
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect(error.message).toMatch(/stt\.model/);
  });

  it('fails the start with an STTConfigurationError for a language Sarvam does not transcribe, before connecting', async () => {
    const before = fake.sttConnections.length;
    const h = new ProcessorHarness(
      new SarvamSTTService({ apiKey: 'test-key', baseUrl: fake.url, language: 'fr-FR' }),
    );
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect(error.message).toMatch(/fr-FR/);
    expect(fake.sttConnections.length).toBe(before);
  });

  it('fails the start with an STTConfigurationError when the key function rejects or gives nothing', async () => {
    for (const apiKey of [() => Promise.reject(new Error('vault sealed')), () => Promise.resolve('')]) {
      const h = new ProcessorHarness(new SarvamSTTService({ apiKey, baseUrl: fake.url }));
      await h.start({ inputSampleRateHz: RATE });
      const error = await h.waitFor('error', { side: 'upstream' });
      expect(error.cause).toBeInstanceOf(STTConfigurationError);
      expect(error.message).toMatch(/SARVAM_API_KEY/);
      h.dispose();
    }
  });

  it('fails the start with an STTConnectionError when Sarvam does not answer the handshake in time', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer((s) => s.resume()); // accepts TCP, never answers the upgrade
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const h = new ProcessorHarness(
        new SarvamSTTService({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, connectTimeoutMs: 200 }),
      );
      harness = h;
      await h.start({ inputSampleRateHz: RATE });
      const error = await h.waitFor('error', { side: 'upstream' });
      expect(error.fatal).toBe(true);
      expect(error.cause).toBeInstanceOf(STTConnectionError);
      expect(error.message).toMatch(/no answer within 200 ms/);
    } finally {
      await new Promise((r) => silent.close(r));
    }
  });

  it('fails the start with an STTConnectionError when Sarvam is unreachable', async () => {
    const gone = await FakeSarvamServer.start();
    const url = gone.url;
    await gone.close();
    const h = new ProcessorHarness(new SarvamSTTService({ apiKey: 'k', baseUrl: url }));
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConnectionError);
    expect(error.message).toMatch(/could not stream to Sarvam/);
  });
});

describe('toSarvamLanguage', () => {
  it('maps BCP 47 tags to Sarvam codes by their primary language', () => {
    expect(toSarvamLanguage('hi', SARVAM_STT_LANGUAGES)).toBe('hi-IN');
    expect(toSarvamLanguage('en-US', SARVAM_STT_LANGUAGES)).toBe('en-IN');
    expect(toSarvamLanguage('TA-in', SARVAM_STT_LANGUAGES)).toBe('ta-IN');
    expect(toSarvamLanguage('or-IN', SARVAM_STT_LANGUAGES)).toBe('od-IN');
    expect(toSarvamLanguage('kok', SARVAM_STT_LANGUAGES)).toBe('kok-IN');
    expect(toSarvamLanguage('fr', SARVAM_STT_LANGUAGES)).toBeUndefined();
  });
});
