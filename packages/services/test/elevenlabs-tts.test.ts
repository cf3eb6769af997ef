import { frame, ProcessorHarness, type WordTiming } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadElevenLabsSdk } from '../src/elevenlabs/sdk.ts';
import { WordAligner } from '../src/elevenlabs/word-alignment.ts';
import {
  DEFAULT_ELEVENLABS_TTS_MODEL,
  DEFAULT_ELEVENLABS_VOICE_ID,
  ElevenLabsTTSService,
  type ElevenLabsTTSServiceOptions,
  TTSConfigurationError,
  TTSRequestError,
} from '../src/index.ts';
import { FakeElevenLabsServer } from '../src/testing/index.ts';

const KEY = 'test-key';
/** The fake speaks 20 ms per character by default. */
const MS_PER_CHAR = 20;

describe('ElevenLabsTTSService against a fake ElevenLabs server', () => {
  let fake: FakeElevenLabsServer;
  let harness: ProcessorHarness<ElevenLabsTTSService> | undefined;

  beforeAll(async () => {
    await loadElevenLabsSdk(); // loaded on first use: not in the first test's time limits
    fake = await FakeElevenLabsServer.start({
      apiKey: KEY,
      voices: [DEFAULT_ELEVENLABS_VOICE_ID, 'voice-2'],
    });
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
    options: Partial<ElevenLabsTTSServiceOptions> = {},
    outputSampleRateHz = 8000,
  ): Promise<ProcessorHarness<ElevenLabsTTSService>> {
    const h = new ProcessorHarness(
      new ElevenLabsTTSService({ apiKey: KEY, baseUrl: fake.url, maxRetries: 0, ...options }),
    );
    harness = h;
    await h.start({ outputSampleRateHz });
    return h;
  }

  async function speak(h: ProcessorHarness, text: string) {
    const stoppedBefore = h.ofType('tts_stopped').length;
    h.send(frame('tts_speak', { text }));
    await h.waitFor('tts_stopped', { count: stoppedBefore + 1 });
  }

  it('asks for 16-bit PCM at the call rate with the default model and voice, authenticated with xi-api-key', async () => {
    const h = await startService();
    await speak(h, 'Hello there');
    const req = fake.lastTts;

    expect(req.apiKey).toBe(KEY);
    expect(req.voiceId).toBe(DEFAULT_ELEVENLABS_VOICE_ID);
    expect(req.query.get('output_format')).toBe('pcm_8000');
    expect(req.body.text).toBe('Hello there');
    expect(req.body.model_id).toBe(DEFAULT_ELEVENLABS_TTS_MODEL);
    expect(req.body).not.toHaveProperty('language_code');
    expect(req.body).not.toHaveProperty('voice_settings');
  });

  it('streams the audio at 16 kHz untouched on a 16 kHz call, the length of the text', async () => {
    const h = await startService({}, 16000);
    await speak(h, 'Hello there');

    expect(fake.lastTts.query.get('output_format')).toBe('pcm_16000');
    const audio = h.ofType('output_audio');
    expect(audio.length).toBeGreaterThanOrEqual(2); // streamed, not one blob
    expect(audio.every((a) => a.sampleRateHz === 16000)).toBe(true);
    const samples = audio.reduce((n, a) => n + a.audio.length, 0);
    expect(samples).toBe(('Hello there'.length * MS_PER_CHAR * 16000) / 1000);
  });

  it('asks for the next offered rate up and resamples when the call rate is not offered', async () => {
    const h = await startService({}, 11025);
    await speak(h, 'Hi');
    expect(fake.lastTts.query.get('output_format')).toBe('pcm_16000');
    expect(h.ofType('output_audio').every((a) => a.sampleRateHz === 11025)).toBe(true);
  });

  it('sends the agent language as language_code for Flash v2.5, with the voice, model and voice settings asked for', async () => {
    const h = await startService({
      voiceId: 'voice-2',
      model: 'eleven_turbo_v2_5',
      language: 'hi-IN',
      voiceSettings: { stability: 0.4, similarityBoost: 0.8, speed: 1.1 },
      optimizeStreamingLatency: 2,
    });
    await speak(h, 'Namaste');
    const req = fake.lastTts;

    expect(req.voiceId).toBe('voice-2');
    expect(req.body.model_id).toBe('eleven_turbo_v2_5');
    expect(req.body.language_code).toBe('hi');
    expect(req.body.voice_settings).toEqual({ stability: 0.4, similarity_boost: 0.8, speed: 1.1 });
    expect(req.query.get('optimize_streaming_latency')).toBe('2');
  });

  it('sends no language_code to a model that does not take one', async () => {
    const h = await startService({ model: 'eleven_multilingual_v2', language: 'de-DE' });
    await speak(h, 'Hallo');
    expect(fake.lastTts.body).not.toHaveProperty('language_code');
  });

  it('turns the character alignment into word timings in ms from the sentence start, words split across chunks included', async () => {
    // 3 chunks over "Good morning, Ada": "Good ", "mornin", "g, Ada" (a word cut in two).
    const h = await startService();
    await speak(h, 'Good morning, Ada');
    const words = h.ofType('output_audio').flatMap((a) => a.words ?? []);

    expect(words).toEqual<WordTiming[]>([
      { word: 'Good', startMs: 0, endMs: 4 * MS_PER_CHAR },
      { word: 'morning,', startMs: 5 * MS_PER_CHAR, endMs: 13 * MS_PER_CHAR },
      { word: 'Ada', startMs: 14 * MS_PER_CHAR, endMs: 17 * MS_PER_CHAR },
    ]);
  });

  it('uses normalized_alignment when alignment is absent', async () => {
    fake.replyNext({ alignment: 'normalized', chunks: 1 });
    const h = await startService();
    await speak(h, 'One two');
    expect(
      h
        .ofType('output_audio')
        .flatMap((a) => a.words ?? [])
        .map((w) => w.word),
    ).toEqual(['One', 'two']);
  });

  it('reports TTFB and characters metrics per sentence', async () => {
    fake.replyNext({ firstChunkDelayMs: 80 });
    const h = await startService();
    await speak(h, 'Timing test');
    const metrics = h.ofType('metrics');
    const ttfb = metrics.find((m) => m.name === 'ttfb');
    expect(ttfb?.unit).toBe('ms');
    expect(ttfb?.value).toBeGreaterThanOrEqual(70);
    expect(metrics.find((m) => m.name === 'characters')?.value).toBe('Timing test'.length);
  });

  it('aborts the HTTP stream at ElevenLabs when the caller barges in, with no error', async () => {
    fake.replyNext({ stallAfterChunks: 1 });
    const h = await startService();
    h.send(frame('tts_speak', { text: 'A long answer that the caller interrupts' }));
    await h.waitFor('output_audio');
    const req = fake.lastTts;
    h.send(frame('interruption'));
    await fake.until(() => req.aborted, 5000, 'the request to be aborted');

    expect(req.completed).toBe(false);
    expect(req.linesSent).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('maps a rejected key (401) to a TTSConfigurationError naming ELEVENLABS_API_KEY', async () => {
    const h = await startService({ apiKey: 'wrong-key' });
    h.send(frame('tts_speak', { text: 'Hello' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.service).toBe('tts');
    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect((error.cause as TTSConfigurationError).status).toBe(401);
    expect(error.message).toMatch(/ELEVENLABS_API_KEY/);
    expect(error.message).toMatch(/Invalid API key/);
  });

  it('maps an unknown voice (404 voice_not_found) to a TTSConfigurationError naming the voice', async () => {
    const h = await startService({ voiceId: 'no-such-voice' });
    h.send(frame('tts_speak', { text: 'Hello' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect(error.message).toMatch(/tts\.voice \("no-such-voice"\)/);
  });

  it('maps a 422 validation error to a TTSConfigurationError naming the offending option', async () => {
    fake.replyNext({
      status: 422,
      body: { detail: [{ loc: ['body', 'model_id'], msg: 'unknown model', type: 'value_error' }] },
    });
    const h = await startService({ model: 'eleven_nonexistent' });
    h.send(frame('tts_speak', { text: 'Hello' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect((error.cause as TTSConfigurationError).status).toBe(422);
    expect(error.message).toMatch(/tts\.model \("eleven_nonexistent"\)/);
  });

  it('maps 429 and 5xx to TTSRequestErrors and still ends each sentence with tts_stopped', async () => {
    fake.replyNext(
      {
        status: 429,
        body: { detail: { status: 'too_many_concurrent_requests', message: 'Too many requests' } },
      },
      { status: 503 },
    );
    const h = await startService();
    await speak(h, 'First');
    await speak(h, 'Second');
    const errors = h.ofType('error', 'upstream');

    expect(errors.map((e) => (e.cause as TTSRequestError).status)).toEqual([429, 503]);
    expect(errors.every((e) => e.cause instanceof TTSRequestError && !e.fatal)).toBe(true);
    expect(errors[0]?.message).toMatch(/Too many requests/);
  });

  it('retries a 503 once by default through the SDK and speaks the answer', async () => {
    fake.replyNext({ status: 503 });
    const before = fake.ttsRequests.length;
    const h = await startService({ maxRetries: undefined });
    await speak(h, 'Retry me');

    expect(fake.ttsRequests.length - before).toBe(2);
    expect(h.ofType('output_audio').length).toBeGreaterThan(0);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('gives up with a TTSRequestError when ElevenLabs does not answer within requestTimeoutMs', async () => {
    fake.replyNext({ hang: true });
    const h = await startService({ requestTimeoutMs: 200 });
    h.send(frame('tts_speak', { text: 'Anyone there?' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSRequestError);
    expect(error.message).toMatch(/did not answer in time/);
    await fake.until(() => fake.lastTts.aborted, 5000, 'the hung request to be dropped');
  });

  it('maps an unreachable server to a TTSRequestError', async () => {
    const gone = await FakeElevenLabsServer.start();
    const url = gone.url;
    await gone.close();
    const h = await startService({ baseUrl: url });
    h.send(frame('tts_speak', { text: 'Hello' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSRequestError);
    expect(error.message).toMatch(/Could not reach ElevenLabs/);
  });

  it('reads a lazy key before each request, and maps its failure to a TTSConfigurationError', async () => {
    let calls = 0;
    const h = await startService({
      apiKey: async () => {
        calls++;
        if (calls > 1) throw new Error('credential store is locked');
        return KEY;
      },
    });
    await speak(h, 'One');
    expect(fake.lastTts.apiKey).toBe(KEY);
    h.send(frame('tts_speak', { text: 'Two' }));
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(TTSConfigurationError);
    expect(error.message).toMatch(/credential store is locked/);
  });

  it('refuses an empty key at construction', () => {
    expect(() => new ElevenLabsTTSService({ apiKey: '' })).toThrow(TTSConfigurationError);
  });
});

describe('WordAligner', () => {
  const span = (text: string, startSecs: number, stepSecs = 0.1) => {
    const characters = Array.from(text);
    return {
      characters,
      characterStartTimesSeconds: characters.map((_, i) => startSecs + i * stepSecs),
      characterEndTimesSeconds: characters.map((_, i) => startSecs + (i + 1) * stepSecs),
    };
  };

  it('carries a word across chunks and closes the last one on flush', () => {
    const a = new WordAligner();
    expect(a.add(span(' Hel', 0))).toEqual([]);
    expect(a.add(span('lo  you', 0.4))).toEqual([{ word: 'Hello', startMs: 100, endMs: 600 }]);
    expect(a.flush()).toEqual([{ word: 'you', startMs: 800, endMs: 1100 }]);
    expect(a.flush()).toEqual([]);
  });
});
