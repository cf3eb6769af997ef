import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DeepgramSTTService,
  type DeepgramSTTServiceOptions,
  STTConfigurationError,
  STTConnectionError,
} from '../src/index.ts';
import { AudioBacklog } from '../src/streaming/audio-backlog.ts';
import { FakeDeepgramServer } from '../src/testing/index.ts';

const RATE = 8000;
/** One 20 ms frame at 8 kHz: 160 samples, 320 bytes of linear16. */
const FRAME_SAMPLES = 160;
const FRAME_BYTES = 320;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DeepgramSTTService against a fake Deepgram server', () => {
  let fake: FakeDeepgramServer;
  let harness: ProcessorHarness<DeepgramSTTService> | undefined;

  beforeAll(async () => {
    fake = await FakeDeepgramServer.start({ apiKey: 'test-key' });
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

  function service(options: DeepgramSTTServiceOptions = {}): DeepgramSTTService {
    return new DeepgramSTTService({ apiKey: 'test-key', baseUrl: fake.url, ...options });
  }

  async function startService(
    options: DeepgramSTTServiceOptions = {},
  ): Promise<ProcessorHarness<DeepgramSTTService>> {
    const h = new ProcessorHarness(service(options));
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    return h;
  }

  function sendFrames(h: ProcessorHarness, count: number): void {
    for (let i = 0; i < count; i++) {
      const audio = new Int16Array(FRAME_SAMPLES).fill(i);
      h.send(frame('input_audio', { audio, sampleRateHz: RATE, channels: 1 }));
    }
  }

  it('asks for linear16 at the pipeline rate with the model, language, endpointing and keyterms, authenticated with the key', async () => {
    await startService({
      model: 'nova-2-phonecall',
      language: 'en-US',
      keyterms: ['Parley', 'order status'],
    });
    const q = fake.last.query;
    expect(fake.last.authorization).toBe('Token test-key');
    expect(q.get('encoding')).toBe('linear16');
    expect(q.get('sample_rate')).toBe(String(RATE));
    expect(q.get('channels')).toBe('1');
    expect(q.get('model')).toBe('nova-2-phonecall');
    expect(q.get('language')).toBe('en-US');
    expect(q.get('interim_results')).toBe('true');
    expect(q.get('endpointing')).toBe('300');
    expect(q.get('utterance_end_ms')).toBe('1000');
    expect(q.get('smart_format')).toBe('true');
    expect(q.getAll('keyterm')).toEqual(['Parley', 'order status']);
  });

  it('defaults to nova-3 and sends no language or keyterm unless configured', async () => {
    await startService({ endpointingMs: false, utteranceEndMs: false });
    const q = fake.last.query;
    expect(q.get('model')).toBe('nova-3');
    expect(q.has('language')).toBe(false);
    expect(q.has('keyterm')).toBe(false);
    expect(q.get('endpointing')).toBe('false');
    expect(q.has('utterance_end_ms')).toBe(false);
  });

  it('streams the caller audio as binary and turns interim and final results into frames, the speech_final one ending the utterance', async () => {
    const h = await startService();
    fake.script(
      { transcript: 'I would' },
      { transcript: 'I would like', afterBytes: 10 * FRAME_BYTES },
      { transcript: 'I would like to order', isFinal: true },
      { transcript: 'a pizza', speechFinal: true, afterBytes: 20 * FRAME_BYTES },
    );
    sendFrames(h, 20);
    await h.waitFor('transcription', { count: 2 });

    expect(h.ofType('interim_transcription').map((f) => f.text)).toEqual(['I would', 'I would like']);
    const finals = h.ofType('transcription');
    expect(finals.map((f) => f.text)).toEqual(['I would like to order', 'a pizza']);
    expect(finals[0]?.endOfUtterance).toBeUndefined();
    expect(finals[1]?.endOfUtterance).toBe(true);
    expect(h.ofType('input_audio')).toHaveLength(20); // forwarded unchanged
    await fake.until(() => fake.last.audioBytes === 20 * FRAME_BYTES);
    const seconds = h.ofType('metrics').filter((m) => m.name === 'audio_seconds');
    expect(seconds.map((m) => m.unit)).toEqual(['s', 's']);
    expect(seconds.reduce((n, m) => n + m.value, 0)).toBeCloseTo((20 * FRAME_SAMPLES) / RATE, 5);
  });

  it('sends Finalize when the caller stops speaking and times the final transcript from there (ttfb)', async () => {
    const h = await startService();
    fake.script({ transcript: 'book a table', delayMs: 0 });
    sendFrames(h, 5);
    await h.waitFor('interim_transcription');
    h.send(frame('vad_user_stopped_speaking'));
    const final = await h.waitFor('transcription');

    expect(fake.last.controls).toContain('Finalize');
    expect(final.text).toBe('book a table');
    const ttfb = h.ofType('metrics').find((m) => m.name === 'ttfb');
    expect(ttfb?.unit).toBe('ms');
    expect(ttfb?.value).toBeGreaterThan(0);
  });

  it('sends KeepAlive while no audio flows, and none while audio does', async () => {
    const h = await startService({ keepAliveMs: 300 });
    await fake.until(
      () => fake.last.controls.filter((c) => c === 'KeepAlive').length >= 2,
      5000,
      'KeepAlives',
    );

    const before = fake.last.controls.length;
    const t0 = Date.now();
    while (Date.now() - t0 < 900) {
      sendFrames(h, 1);
      await sleep(20);
    }
    // A KeepAlive may already have been on its way when the audio began; no more after it.
    expect(fake.last.controls.slice(before).filter((c) => c === 'KeepAlive').length).toBeLessThanOrEqual(1);
  });

  it('sends CloseStream on stop and waits for the socket to close', async () => {
    const h = await startService();
    sendFrames(h, 3);
    const connection = fake.last;
    h.send(frame('end', { reason: 'caller hung up' }));
    await h.waitFor('end');

    expect(connection.controls.at(-1)).toBe('CloseStream');
    await fake.until(() => connection.closed);
  });

  it('reconnects after a dropped socket and delivers the audio sent meanwhile, reporting the drop as non-fatal', async () => {
    const h = await startService({ reconnectDelayMs: 50 });
    const first = fake.last;
    const connectionsBefore = fake.connections.length;
    fake.dropAfter(10 * FRAME_BYTES);
    sendFrames(h, 10);
    await h.waitFor('error', { side: 'upstream' });
    // The socket is gone: these frames wait in the backlog until the new socket opens.
    sendFrames(h, 15);
    await fake.waitForConnections(connectionsBefore + 1);
    await fake.until(() => fake.last.audioBytes === 15 * FRAME_BYTES, 5000, 'the buffered audio');

    const drop = h.ofType('error', 'upstream')[0];
    expect(drop?.fatal).toBe(false);
    expect(drop?.service).toBe('stt');
    expect(drop?.cause).toBeInstanceOf(STTConnectionError);
    expect(first.audioBytes).toBe(10 * FRAME_BYTES);
    expect(first.closed).toBe(true);
    expect(fake.last.query.get('sample_rate')).toBe(String(RATE));

    // The new socket works: results come back on it.
    fake.script({ transcript: 'still here', isFinal: true, afterBytes: 16 * FRAME_BYTES });
    sendFrames(h, 1);
    expect((await h.waitFor('transcription')).text).toBe('still here');
  });

  it('keeps taking paced caller audio through a drop and reports only the drop, once', async () => {
    const h = await startService({ reconnectDelayMs: 50 });
    const connectionsBefore = fake.connections.length;
    fake.dropAfter(10 * FRAME_BYTES);
    for (let i = 0; i < 60; i++) {
      sendFrames(h, 1);
      await sleep(5);
    }
    await fake.waitForConnections(connectionsBefore + 1);
    sendFrames(h, 1);
    await fake.until(() => fake.last.audioBytes > 0, 5000, 'audio on the new socket');

    const errors = h.ofType('error', 'upstream');
    expect(errors.map((e) => e.message)).toEqual(['the Deepgram connection dropped; reconnecting']);
    expect(h.ofType('input_audio')).toHaveLength(61);
  });

  it('gives up with a fatal STTConnectionError when every reconnection attempt fails', async () => {
    const h = await startService({ reconnectDelayMs: 20, maxReconnectAttempts: 2 });
    fake.rejectNext(503, 503);
    fake.dropAfter(FRAME_BYTES);
    sendFrames(h, 1);
    const fatal = await h.waitFor('error', { side: 'upstream', count: 2 });

    expect(fatal.fatal).toBe(true);
    expect(fatal.cause).toBeInstanceOf(STTConnectionError);
    expect(fatal.message).toMatch(/2 reconnection attempts failed/);
  });

  it('fails the start with an STTConfigurationError naming DEEPGRAM_API_KEY when the key is rejected (401)', async () => {
    const stt = new DeepgramSTTService({ apiKey: 'wrong-key', baseUrl: fake.url });
    const h = new ProcessorHarness(stt);
    harness = h;
    const rejectedBefore = fake.rejected;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });

    expect(fake.rejected).toBe(rejectedBefore + 1);
    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConfigurationError);
    expect((error.cause as STTConfigurationError).status).toBe(401);
    expect(error.message).toMatch(/DEEPGRAM_API_KEY/);
  });

  it('fails the start with an STTConfigurationError when no key is configured', async () => {
    const saved = process.env.DEEPGRAM_API_KEY;
    delete process.env.DEEPGRAM_API_KEY;
    try {
      const h = new ProcessorHarness(new DeepgramSTTService({ baseUrl: fake.url }));
      harness = h;
      await h.start({ inputSampleRateHz: RATE });
      const error = await h.waitFor('error', { side: 'upstream' });
      expect(error.cause).toBeInstanceOf(STTConfigurationError);
      expect(error.message).toMatch(/DEEPGRAM_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.DEEPGRAM_API_KEY = saved;
    }
  });

  it('fails the start with an STTConnectionError when Deepgram is unreachable', async () => {
    const gone = await FakeDeepgramServer.start();
    const url = gone.url;
    await gone.close();
    const h = new ProcessorHarness(new DeepgramSTTService({ apiKey: 'k', baseUrl: url }));
    harness = h;
    await h.start({ inputSampleRateHz: RATE });
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(STTConnectionError);
    expect(error.message).toMatch(/could not connect to Deepgram/);
  });
});

describe('AudioBacklog', () => {
  it('keeps at most its bound, dropping the oldest audio and reporting the first drop once', () => {
    const backlog = new AudioBacklog(400);
    const chunk = (v: number) => new Int16Array(160).fill(v);
    expect(backlog.push(chunk(1))).toBe(false);
    expect(backlog.push(chunk(2))).toBe(false);
    expect(backlog.push(chunk(3))).toBe(true); // 480 > 400: chunk 1 goes
    expect(backlog.push(chunk(4))).toBe(false); // dropped again, already reported
    expect(backlog.drain().map((c) => c[0])).toEqual([3, 4]);
    expect(backlog.drain()).toEqual([]);
  });
});
