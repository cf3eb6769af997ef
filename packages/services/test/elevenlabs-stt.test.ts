import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadElevenLabsSdk } from '../src/elevenlabs/sdk.ts';
import {
  DEFAULT_ELEVENLABS_STT_MODEL,
  ElevenLabsSTTService,
  type ElevenLabsSTTServiceOptions,
  STTConfigurationError,
  STTConnectionError,
} from '../src/index.ts';
import { FakeElevenLabsServer } from '../src/testing/index.ts';

const KEY = 'test-key';
const RATE = 8000;
/** One 20 ms frame at 8 kHz: 160 samples, 320 bytes of PCM16. */
const FRAME_SAMPLES = 160;
const FRAME_BYTES = 320;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ElevenLabsSTTService against a fake ElevenLabs realtime server', () => {
  let fake: FakeElevenLabsServer;
  let harness: ProcessorHarness<ElevenLabsSTTService> | undefined;

  beforeAll(async () => {
    await loadElevenLabsSdk(); // loaded on first use: not in the first test's time limits
    fake = await FakeElevenLabsServer.start({ apiKey: KEY });
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
    options: Partial<ElevenLabsSTTServiceOptions> = {},
    inputSampleRateHz = RATE,
  ): Promise<ProcessorHarness<ElevenLabsSTTService>> {
    const h = new ProcessorHarness(new ElevenLabsSTTService({ apiKey: KEY, baseUrl: fake.url, ...options }));
    harness = h;
    await h.start({ inputSampleRateHz });
    return h;
  }

  function sendFrames(h: ProcessorHarness, count: number, rate = RATE): void {
    for (let i = 0; i < count; i++) {
      const audio = new Int16Array((rate * 20) / 1000).fill(i);
      h.send(frame('input_audio', { audio, sampleRateHz: rate, channels: 1 }));
    }
  }

  it('asks for PCM at the pipeline rate with the model, language, manual commits and keyterms, authenticated with xi-api-key', async () => {
    await startService({ language: 'en-US', keyterms: ['Parley', 'order'] });
    const c = fake.lastStt;
    expect(c.apiKey).toBe(KEY);
    expect(c.query.get('model_id')).toBe(DEFAULT_ELEVENLABS_STT_MODEL);
    expect(c.query.get('audio_format')).toBe('pcm_8000');
    expect(c.query.get('commit_strategy')).toBe('manual');
    expect(c.query.get('language_code')).toBe('en');
    expect(c.query.getAll('keyterms')).toEqual(['Parley', 'order']);
  });

  it('streams the caller audio as base64 chunks at the session rate and turns partial and committed transcripts into frames', async () => {
    const h = await startService();
    fake.script(
      { partial: 'I would' },
      { partial: 'I would like', afterBytes: 10 * FRAME_BYTES },
      { committed: 'I would like a pizza', afterBytes: 20 * FRAME_BYTES },
    );
    sendFrames(h, 20);
    const final = await h.waitFor('transcription');

    expect(h.ofType('interim_transcription').map((f) => f.text)).toEqual(['I would', 'I would like']);
    expect(final.text).toBe('I would like a pizza');
    expect(final.endOfUtterance).toBeUndefined(); // manual commits leave the turn to the turn processor
    expect(h.ofType('input_audio')).toHaveLength(20); // forwarded unchanged
    await fake.until(() => fake.lastStt.audioBytes === 20 * FRAME_BYTES);
    expect(fake.lastStt.sampleRate).toBe(RATE);
    const seconds = h.ofType('metrics').filter((m) => m.name === 'audio_seconds');
    expect(seconds.map((m) => m.unit)).toEqual(['s']);
    expect(seconds[0]?.value).toBeCloseTo((20 * FRAME_SAMPLES) / RATE, 5);
  });

  it('commits when the caller stops speaking and times the committed transcript from there (ttfb)', async () => {
    const h = await startService();
    fake.script({ partial: 'book a table' });
    sendFrames(h, 5);
    await h.waitFor('interim_transcription');
    h.send(frame('vad_user_stopped_speaking'));
    const final = await h.waitFor('transcription');

    expect(fake.lastStt.commits).toBe(1);
    expect(final.text).toBe('book a table');
    const ttfb = h.ofType('metrics').find((m) => m.name === 'ttfb');
    expect(ttfb?.unit).toBe('ms');
    expect(ttfb?.value).toBeGreaterThan(0);
  });

  it('does not commit an empty segment', async () => {
    const h = await startService();
    sendFrames(h, 2);
    h.send(frame('vad_user_stopped_speaking'));
    await fake.until(() => fake.lastStt.commits === 1);
    h.send(frame('vad_user_started_speaking'));
    h.send(frame('vad_user_stopped_speaking')); // no audio since the last commit
    await sleep(100);
    expect(fake.lastStt.commits).toBe(1);
  });

  it("with commitStrategy 'vad' leaves commits to Scribe and marks its committed transcripts as the end of the utterance", async () => {
    const h = await startService({ commitStrategy: 'vad', vadSilenceMs: 500 });
    expect(fake.lastStt.query.get('commit_strategy')).toBe('vad');
    expect(fake.lastStt.query.get('vad_silence_threshold_secs')).toBe('0.5');
    fake.script({ committed: 'yes please' });
    sendFrames(h, 3);
    h.send(frame('vad_user_stopped_speaking'));
    const final = await h.waitFor('transcription');

    expect(final.endOfUtterance).toBe(true);
    expect(fake.lastStt.commits).toBe(0);
  });

  it('resamples to 16 kHz a call rate Scribe does not accept', async () => {
    const h = await startService({}, 11025);
    expect(fake.lastStt.query.get('audio_format')).toBe('pcm_16000');
    sendFrames(h, 50, 11025);
    // 1 s at 11025 Hz becomes about 1 s at 16 kHz (less the resampler's filter delay).
    await fake.until(() => fake.lastStt.audioBytes > 0.9 * 32000, 5000, 'the resampled audio');
    expect(fake.lastStt.sampleRate).toBe(16000);
    expect(fake.lastStt.audioBytes).toBeLessThanOrEqual(32000);
  });

  it('closes the socket on stop', async () => {
    const h = await startService();
    sendFrames(h, 3);
    const connection = fake.lastStt;
    h.send(frame('end', { reason: 'caller hung up' }));
    await h.waitFor('end');
    await fake.until(() => connection.closed, 5000, 'the socket to close');
  });

  it('reconnects after a dropped socket and delivers the audio sent meanwhile, reporting the drop as non-fatal', async () => {
    const h = await startService({ reconnectDelayMs: 50 });
    const first = fake.lastStt;
    const connectionsBefore = fake.sttConnections.length;
    fake.dropAfter(10 * FRAME_BYTES);
    sendFrames(h, 10);
    await h.waitFor('error', { side: 'upstream' });
    // The socket is gone: these frames wait in the backlog until the new session starts.
    sendFrames(h, 15);
    await fake.until(() => fake.sttConnections.length > connectionsBefore, 5000, 'a new connection');
    await fake.until(() => fake.lastStt.audioBytes === 15 * FRAME_BYTES, 5000, 'the buffered audio');

    const drop = h.ofType('error', 'upstream')[0];
    expect(drop?.fatal).toBe(false);
    expect(drop?.service).toBe('stt');
    expect(drop?.cause).toBeInstanceOf(STTConnectionError);
    expect(first.audioBytes).toBe(10 * FRAME_BYTES);
    expect(fake.lastStt.query.get('audio_format')).toBe('pcm_8000');

    fake.script({ committed: 'still here', afterBytes: 16 * FRAME_BYTES });
    sendFrames(h, 1);
    expect((await h.waitFor('transcription')).text).toBe('still here');
  });

  it('reconnects after Scribe ends the session with a transient error, reporting both', async () => {
    const h = await startService({ reconnectDelayMs: 50 });
    const connectionsBefore = fake.sttConnections.length;
    fake.script({ error: 'resource_exhausted', message: 'busy', close: true });
    sendFrames(h, 1);
    await fake.until(() => fake.sttConnections.length > connectionsBefore, 5000, 'a new connection');
    await h.waitFor('error', { side: 'upstream', count: 2 });

    const errors = h.ofType('error', 'upstream');
    expect(errors.map((e) => e.fatal)).toEqual([false, false]);
    expect(errors[0]?.message).toMatch(/resource_exhausted: busy/);
    expect(errors[1]?.message).toMatch(/dropped; reconnecting/);
  });

  it('gives up with a fatal STTConnectionError when every reconnection attempt fails (429, 503)', async () => {
    const h = await startService({ reconnectDelayMs: 20, maxReconnectAttempts: 2 });
    fake.rejectNextStt(429, 503);
    fake.dropAfter(FRAME_BYTES);
    sendFrames(h, 1);
    const fatal = await h.waitFor('error', { side: 'upstream', count: 2 });

    expect(fatal.fatal).toBe(true);
    expect(fatal.cause).toBeInstanceOf(STTConnectionError);
    expect(fatal.message).toMatch(/2 reconnection attempts failed/);
    expect(((fatal.cause as STTConnectionError).cause as STTConnectionError).status).toBe(503);
  });

  it('fails the start with an STTConfigurationError naming ELEVENLABS_API_KEY when Scribe answers auth_error', async () => {
    const h = await startService({ apiKey: 'wrong-key' });
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect(error.message).toMatch(/auth_error/);
    expect(error.message).toMatch(/ELEVENLABS_API_KEY/);
  });

  it('fails the start with an STTConfigurationError when the handshake is refused with 401', async () => {
    fake.rejectNextStt(401);
    const h = await startService();
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect((error.cause as STTConfigurationError).status).toBe(401);
  });

  it('fails the start with an STTConnectionError on a 5xx handshake or an unreachable server', async () => {
    fake.rejectNextStt(502);
    const h = await startService();
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(STTConnectionError);
    expect((error.cause as STTConnectionError).status).toBe(502);
    h.dispose();

    const gone = await FakeElevenLabsServer.start();
    const url = gone.url;
    await gone.close();
    const h2 = new ProcessorHarness(new ElevenLabsSTTService({ apiKey: KEY, baseUrl: url }));
    harness = h2;
    await h2.start({ inputSampleRateHz: RATE });
    const unreachable = await h2.waitFor('error', { side: 'upstream' });
    expect(unreachable.fatal).toBe(true);
    expect(unreachable.cause).toBeInstanceOf(STTConnectionError);
    expect(unreachable.message).toMatch(/could not connect to ElevenLabs Scribe/);
  });

  it('ends the call when Scribe refuses the session mid-call (quota_exceeded), without reconnecting', async () => {
    const h = await startService({ reconnectDelayMs: 20 });
    const connectionsBefore = fake.sttConnections.length;
    fake.script({ error: 'quota_exceeded', message: 'quota used up', close: true });
    sendFrames(h, 1);
    const error = await h.waitFor('error', { side: 'upstream' });
    await sleep(150);

    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect(fake.sttConnections.length).toBe(connectionsBefore);
  });

  it('fails the start with an STTConfigurationError when no key is given', async () => {
    const h = await startService({ apiKey: '' });
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect(error.message).toMatch(/ELEVENLABS_API_KEY/);
  });
});
