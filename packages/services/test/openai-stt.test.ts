import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OpenAISTTService,
  type OpenAISTTServiceOptions,
  STTConfigurationError,
  STTConnectionError,
} from '../src/index.ts';
import { FakeOpenAIAudioServer } from '../src/testing/index.ts';

const RATE = 8000;
/** One 20 ms frame at 8 kHz: 160 samples, sent as 160 bytes of µ-law. */
const FRAME_SAMPLES = 160;
const FRAME_BYTES = 160;

describe('OpenAISTTService against a fake OpenAI Realtime transcription server', () => {
  let fake: FakeOpenAIAudioServer;
  let harness: ProcessorHarness<OpenAISTTService> | undefined;

  beforeAll(async () => {
    fake = await FakeOpenAIAudioServer.start({ apiKey: 'test-key' });
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

  async function start(
    options: OpenAISTTServiceOptions = {},
    inputSampleRateHz = RATE,
  ): Promise<ProcessorHarness<OpenAISTTService>> {
    const h = new ProcessorHarness(
      new OpenAISTTService({ apiKey: 'test-key', baseUrl: fake.url, ...options }),
    );
    harness = h;
    await h.start({ inputSampleRateHz });
    return h;
  }

  function sendFrames(h: ProcessorHarness, count: number, samples = FRAME_SAMPLES, rate = RATE): void {
    for (let i = 0; i < count; i++) {
      const audio = Int16Array.from({ length: samples }, (_, j) => Math.round(3000 * Math.sin(j / 3)));
      h.send(frame('input_audio', { audio, sampleRateHz: rate, channels: 1 }));
    }
  }

  it('opens a transcription session (intent, key, model, language, prompt, server VAD) and sends 8 kHz calls as µ-law', async () => {
    const h = await start({ model: 'gpt-4o-transcribe', language: 'en-US', prompt: 'Parley, pizza' });
    sendFrames(h, 20);
    await fake.until(() => fake.last.audioBytes === 20 * FRAME_BYTES, 5000, 'the audio');

    const c = fake.last;
    expect(c.query.get('intent')).toBe('transcription');
    expect(c.query.has('model')).toBe(false);
    expect(c.authorization).toBe('Bearer test-key');
    expect(c.events[0]).toBe('session.update');
    expect(c.events.slice(1).every((e) => e === 'input_audio_buffer.append')).toBe(true);
    expect(c.sessions[0]).toEqual({
      type: 'transcription',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: 'gpt-4o-transcribe', language: 'en', prompt: 'Parley, pizza' },
          turn_detection: { type: 'server_vad', silence_duration_ms: 500 },
        },
      },
    });
    expect(h.ofType('input_audio')).toHaveLength(20); // forwarded unchanged
  });

  it('defaults to gpt-4o-mini-transcribe with no language, and resamples other rates to 24 kHz PCM16', async () => {
    const h = await start({}, 16_000);
    sendFrames(h, 50, 320, 16_000); // 1 s
    // 1 s at 24 kHz is 48000 bytes, less the resampler's filter delay (a few ms) still held.
    await fake.until(() => fake.last.audioBytes > 47_000, 5000, 'the audio');

    const input = (fake.last.sessions[0] as { audio: { input: Record<string, unknown> } }).audio.input;
    expect(input.format).toEqual({ type: 'audio/pcm', rate: 24_000 });
    expect(input.transcription).toEqual({ model: 'gpt-4o-mini-transcribe' });
    expect(fake.last.audioBytes).toBeLessThanOrEqual(48_000);
  });

  it('turns deltas into interim transcripts and the completion into a final one that ends the utterance, with token usage', async () => {
    const h = await start({ language: 'en-US' });
    fake.transcribe({ transcript: 'I would like a pizza', afterBytes: 10 * FRAME_BYTES });
    sendFrames(h, 12);
    const final = await h.waitFor('transcription');

    expect(h.ofType('interim_transcription').map((f) => f.text)).toEqual([
      'I',
      'I would',
      'I would like',
      'I would like a',
      'I would like a pizza',
    ]);
    expect(final.text).toBe('I would like a pizza');
    expect(final.endOfUtterance).toBe(true);
    expect(final.language).toBe('en-US');
    const metrics = h.ofType('metrics');
    expect(metrics.find((m) => m.name === 'prompt_tokens')).toMatchObject({ value: 20, unit: 'tokens' });
    expect(metrics.find((m) => m.name === 'completion_tokens')).toMatchObject({ value: 5, unit: 'tokens' });
    expect(metrics.find((m) => m.name === 'audio_seconds')?.unit).toBe('s');
  });

  it('without server VAD, commits the audio when the caller stops speaking and times the transcript from there', async () => {
    const h = await start({ serverVad: false });
    fake.transcribe({ transcript: 'book a table', delayMs: 30 });
    sendFrames(h, 10);
    await fake.until(() => fake.last.audioBytes === 10 * FRAME_BYTES, 5000, 'the audio');
    h.send(frame('vad_user_stopped_speaking'));
    const final = await h.waitFor('transcription');

    expect(
      (fake.last.sessions[0] as { audio: { input: { turn_detection: unknown } } }).audio.input.turn_detection,
    ).toBeNull();
    expect(fake.last.events.filter((e) => e === 'input_audio_buffer.commit')).toHaveLength(1);
    expect(final.text).toBe('book a table');
    expect(final.endOfUtterance).toBeUndefined(); // the pipeline's VAD decided, not OpenAI
    expect(h.ofType('metrics').find((m) => m.name === 'ttfb')?.value).toBeGreaterThanOrEqual(25);
  });

  it('without server VAD, does not commit less than 100 ms of audio (OpenAI would refuse it)', async () => {
    const h = await start({ serverVad: false });
    sendFrames(h, 3); // 60 ms
    await fake.until(() => fake.last.audioBytes === 3 * FRAME_BYTES, 5000, 'the audio');
    h.send(frame('vad_user_stopped_speaking'));
    sendFrames(h, 1);
    await fake.until(() => fake.last.audioBytes === 4 * FRAME_BYTES, 5000, 'the audio');

    expect(fake.last.events).not.toContain('input_audio_buffer.commit');
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('reports a failed transcription as a non-fatal STTConnectionError and keeps going', async () => {
    const h = await start();
    fake.transcribe(
      { fail: 'Audio was unintelligible', afterBytes: 5 * FRAME_BYTES },
      { transcript: 'hello again' },
    );
    sendFrames(h, 6);
    const error = await h.waitFor('error', { side: 'upstream' });
    sendFrames(h, 1);
    const final = await h.waitFor('transcription');

    expect(error.fatal).toBe(false);
    expect(error.cause).toBeInstanceOf(STTConnectionError);
    expect(error.message).toMatch(/unintelligible/);
    expect(final.text).toBe('hello again');
  });

  it('reconnects after a dropped socket and replays the audio OpenAI had not committed plus the audio sent meanwhile', async () => {
    const h = await start({ reconnectDelayMs: 50 });
    const first = fake.last;
    const connectionsBefore = fake.connections.length;
    fake.dropAfter(10 * FRAME_BYTES);
    sendFrames(h, 10);
    await h.waitFor('error', { side: 'upstream' });
    sendFrames(h, 15); // while reconnecting
    await fake.until(() => fake.connections.length > connectionsBefore, 5000, 'the new connection');
    // Nothing was committed on the first socket: its 10 frames come again, then the 15.
    await fake.until(() => fake.last.audioBytes === 25 * FRAME_BYTES, 5000, 'the replayed audio');

    const drop = h.ofType('error', 'upstream')[0];
    expect(drop?.fatal).toBe(false);
    expect(drop?.service).toBe('stt');
    expect(drop?.cause).toBeInstanceOf(STTConnectionError);
    expect(first.closed).toBe(true);
    expect(fake.last.sessions).toHaveLength(1); // the same session configuration again

    // The new socket works: the utterance is transcribed on it.
    fake.transcribe({ transcript: 'still here', afterBytes: 26 * FRAME_BYTES });
    sendFrames(h, 1);
    expect((await h.waitFor('transcription')).text).toBe('still here');
  });

  it('does not replay audio OpenAI already committed', async () => {
    const h = await start({ reconnectDelayMs: 50 });
    fake.transcribe({ transcript: 'first words', afterBytes: 5 * FRAME_BYTES });
    sendFrames(h, 5);
    await h.waitFor('transcription');
    const connectionsBefore = fake.connections.length;
    fake.dropAfter(3 * FRAME_BYTES);
    sendFrames(h, 3);
    await h.waitFor('error', { side: 'upstream' });
    sendFrames(h, 4);
    await fake.until(() => fake.connections.length > connectionsBefore, 5000, 'the new connection');
    await fake.until(() => fake.last.audioBytes === 7 * FRAME_BYTES, 5000, 'the uncommitted audio');
  });

  it('gives up with a fatal STTConnectionError when every reconnection attempt fails', async () => {
    const h = await start({ reconnectDelayMs: 20, maxReconnectAttempts: 2 });
    fake.rejectNext(503, 503);
    fake.dropAfter(FRAME_BYTES);
    sendFrames(h, 1);
    const fatal = await h.waitFor('error', { side: 'upstream', count: 2 });

    expect(fatal.fatal).toBe(true);
    expect(fatal.cause).toBeInstanceOf(STTConnectionError);
    expect(fatal.message).toMatch(/2 reconnection attempts failed/);
  });

  it('fails the start with an STTConfigurationError naming OPENAI_API_KEY when the key is rejected (401)', async () => {
    const rejectedBefore = fake.rejected;
    const h = new ProcessorHarness(new OpenAISTTService({ apiKey: 'wrong-key', baseUrl: fake.url }));
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(fake.rejected).toBe(rejectedBefore + 1);
    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect((error.cause as STTConfigurationError).status).toBe(401);
    expect(error.message).toMatch(/OPENAI_API_KEY/);
  });

  it('fails the start with an STTConfigurationError when OpenAI refuses the model', async () => {
    const h = new ProcessorHarness(
      new OpenAISTTService({ apiKey: 'test-key', baseUrl: fake.url, model: 'gpt-9-transcribe' }),
    );
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect(error.message).toMatch(/gpt-9-transcribe/);
    expect(error.message).toMatch(/session\.audio\.input\.transcription\.model/);
  });

  it('fails the start with an STTConnectionError on a 429 or 5xx handshake', async () => {
    fake.rejectNext(429);
    const h = await start().catch(() => harness!);
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConnectionError);
    expect((error.cause as STTConnectionError).status).toBe(429);
  });

  it('fails the start with an STTConnectionError when OpenAI is unreachable', async () => {
    const gone = await FakeOpenAIAudioServer.start();
    const url = gone.url;
    await gone.close();
    const h = new ProcessorHarness(new OpenAISTTService({ apiKey: 'k', baseUrl: url }));
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConnectionError);
  });

  it('fails the start with an STTConfigurationError when no key is configured', async () => {
    const h = new ProcessorHarness(new OpenAISTTService({ baseUrl: fake.url }));
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect(error.message).toMatch(/OPENAI_API_KEY/);
  });

  it('closes the socket on stop', async () => {
    const h = await start();
    const connection = fake.last;
    h.send(frame('end', { reason: 'caller hung up' }));
    await h.waitFor('end');
    await fake.until(() => connection.closed, 5000, 'the closed socket');
  });
});
