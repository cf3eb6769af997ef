import { execFile } from 'node:child_process';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { frame, ProcessorHarness, ServiceTimeoutError } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CARTESIA_API_BASE_URL,
  CartesiaTTSService,
  type CartesiaTTSServiceOptions,
  cartesiaTTSVendor,
  DEFAULT_CARTESIA_MODEL,
  DEFAULT_CARTESIA_VOICE_ID,
  findVendor,
  TTSConfigurationError,
  TTSRequestError,
} from '../src/index.ts';
import { FakeCartesiaServer } from '../src/testing/index.ts';
import { trustedCaOption } from '../src/vendors/vendor.ts';

const RATE = 8000;
const KEY = 'test-key';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Matches a number within 1e-6 of `n` (timestamps are seconds × 1000 in floating point). */
const near = (n: number) => expect.closeTo(n, 6);

describe('CartesiaTTSService against a fake Cartesia server', () => {
  let fake: FakeCartesiaServer;
  let harness: ProcessorHarness<CartesiaTTSService> | undefined;

  beforeAll(async () => {
    fake = await FakeCartesiaServer.start({ apiKey: KEY, voiceIds: [DEFAULT_CARTESIA_VOICE_ID, 'voice-2'] });
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
    options: Partial<CartesiaTTSServiceOptions> = {},
    outputSampleRateHz = RATE,
  ): Promise<ProcessorHarness<CartesiaTTSService>> {
    const h = new ProcessorHarness(
      new CartesiaTTSService({ apiKey: KEY, baseUrl: fake.url, ca: fake.ca, ...options }),
    );
    harness = h;
    await h.start({ outputSampleRateHz });
    return h;
  }

  /** Samples of the `output_audio` frames of the `index`-th utterance (0-based). */
  function utteranceSamples(h: ProcessorHarness, index: number): number {
    const contextId = h.ofType('tts_started')[index]?.contextId;
    return h
      .ofType('output_audio')
      .filter((f) => f.contextId === contextId)
      .reduce((n, f) => n + f.audio.length, 0);
  }

  it('opens one authenticated socket at start and asks for pcm_s16le at the call rate, with the voice, model, language and timestamps', async () => {
    const before = fake.connections.length;
    const h = await startService({ language: 'pt-BR', speed: 1.2, emotion: 'calm', voiceId: 'voice-2' });
    expect(fake.connections.length).toBe(before + 1); // opened at start, before any sentence
    const connection = fake.last;
    expect(connection.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(connection.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    h.send(frame('tts_speak', { text: 'Olá, tudo bem?' }));
    await h.waitFor('tts_stopped');

    const request = connection.requests[0]!;
    expect(request.output_format).toEqual({ container: 'raw', encoding: 'pcm_s16le', sample_rate: RATE });
    expect(request.model_id).toBe(DEFAULT_CARTESIA_MODEL);
    expect(request.voice).toEqual({ mode: 'id', id: 'voice-2' });
    expect(request.language).toBe('pt');
    expect(request.add_timestamps).toBe(true);
    expect(request.generation_config).toEqual({ speed: 1.2, emotion: 'calm' });
    expect(fake.connections.length).toBe(before + 1);
  });

  it('asks for 16 kHz on a 16 kHz call and the next rate Cartesia offers on an 11025 Hz one', async () => {
    const h = await startService({}, 16000);
    expect(h.processor.sampleRateHz).toBe(16000);
    h.send(frame('tts_speak', { text: 'Wideband.' }));
    await h.waitFor('tts_stopped');
    expect(fake.last.requests.at(-1)?.output_format?.sample_rate).toBe(16000);
    expect(h.ofType('output_audio').every((f) => f.sampleRateHz === 16000)).toBe(true);

    h.send(frame('end', { reason: 'next rate' }));
    await h.waitFor('end');
    const h2 = await startService({}, 11025);
    expect(h2.processor.sampleRateHz).toBe(16000);
  });

  it('speaks a sentence outside a response as a context of its own and reports ttfb and characters', async () => {
    const h = await startService();
    fake.reply('Hello, thanks for calling.', { durationMs: 300, latencyMs: 30 });
    h.send(frame('tts_speak', { text: 'Hello, thanks for calling.' }));
    await h.waitFor('tts_stopped');

    const [context] = fake.contexts().slice(-1);
    expect(context?.inputs).toEqual([
      { transcript: 'Hello, thanks for calling.', continue: false, flush: false },
    ]);
    expect(utteranceSamples(h, 0)).toBe(0.3 * RATE);
    const ttfb = h.ofType('metrics').find((m) => m.name === 'ttfb');
    expect(ttfb?.value).toBeGreaterThanOrEqual(25);
    expect(h.ofType('metrics').find((m) => m.name === 'characters')?.value).toBe(26);
  });

  it('sends the sentences of one response as continuations of one context, each flushed, and delimits their audio', async () => {
    const h = await startService();
    const connections = fake.connections.length;
    fake
      .reply('One.', { durationMs: 200 })
      .reply('Two two.', { durationMs: 400 })
      .reply('Three.', { durationMs: 120 });
    h.send(frame('llm_response_start'));
    h.send(frame('tts_speak', { text: 'One.' }));
    h.send(frame('tts_speak', { text: 'Two two.' }));
    h.send(frame('tts_speak', { text: 'Three.' }));
    h.send(frame('llm_response_end'));
    h.send(frame('tts_speak', { text: 'Anything else?' })); // outside a response: a new context
    await h.waitFor('tts_stopped', { count: 4 });
    await fake.until(() => fake.last.requests.length === 8, 5000, 'all inputs');

    const contexts = fake.contexts().slice(-2);
    expect(contexts[0]?.inputs).toEqual([
      { transcript: 'One.', continue: true, flush: false },
      { transcript: '', continue: true, flush: true },
      { transcript: ' Two two.', continue: true, flush: false },
      { transcript: '', continue: true, flush: true },
      { transcript: ' Three.', continue: true, flush: false },
      { transcript: '', continue: true, flush: true },
      { transcript: '', continue: false, flush: false },
    ]);
    expect(contexts[1]?.inputs).toEqual([{ transcript: 'Anything else?', continue: false, flush: false }]);
    expect([0, 1, 2].map((i) => utteranceSamples(h, i))).toEqual([0.2 * RATE, 0.4 * RATE, 0.12 * RATE]);
    expect(h.types()).toEqual([
      'start',
      'llm_response_start',
      ...['tts_started', 'metrics', 'metrics', 'tts_stopped'],
      ...['tts_started', 'metrics', 'metrics', 'tts_stopped'],
      ...['tts_started', 'metrics', 'metrics', 'tts_stopped'],
      'llm_response_end',
      ...['tts_started', 'metrics', 'metrics', 'tts_stopped'],
    ]);
    expect(fake.connections.length).toBe(connections); // all on the socket opened at start
  });

  it('gives each sentence its word timings, ms from its own first sample, on output_audio frames', async () => {
    const h = await startService();
    fake.reply('Good morning.', { durationMs: 400 }).reply('How are you?', { durationMs: 600 });
    h.send(frame('llm_response_start'));
    h.send(frame('tts_speak', { text: 'Good morning.' }));
    h.send(frame('tts_speak', { text: 'How are you?' }));
    h.send(frame('llm_response_end'));
    await h.waitFor('tts_stopped', { count: 2 });

    const [first, second] = h.ofType('tts_started').map((s) =>
      h
        .ofType('output_audio')
        .filter((f) => f.contextId === s.contextId)
        .flatMap((f) => f.words ?? []),
    );
    expect(first?.map((w) => w.word)).toEqual(['Good', 'morning.']);
    expect(first?.flatMap((w) => [w.startMs, w.endMs])).toEqual([0, 160, 200, 360].map(near));
    // Cartesia times the second sentence from the context's start (400 ms in); the frames count from its own.
    expect(second?.map((w) => w.word)).toEqual(['How', 'are', 'you?']);
    expect(second?.flatMap((w) => [w.startMs, w.endMs])).toEqual([0, 160, 200, 360, 400, 560].map(near));
  });

  it('starts a new context when the next sentence comes after the previous context could have expired', async () => {
    const h = await startService();
    h.send(frame('llm_response_start'));
    h.send(frame('tts_speak', { text: 'Let me check.' }));
    await h.waitFor('tts_stopped');
    await sleep(900); // a tool call, say: Cartesia expires a context 1 s after its last audio
    h.send(frame('tts_speak', { text: 'Found it.' }));
    h.send(frame('llm_response_end'));
    await h.waitFor('tts_stopped', { count: 2 });

    const [a, b] = fake.contexts().slice(-2);
    expect(a?.inputs[0]?.transcript).toBe('Let me check.');
    expect(b?.inputs[0]).toEqual({ transcript: 'Found it.', continue: true, flush: false });
    expect(utteranceSamples(h, 1)).toBeGreaterThan(0);
  });

  it('gives every sentence its own context with continuations off', async () => {
    const h = await startService({ continuations: false });
    h.send(frame('llm_response_start'));
    h.send(frame('tts_speak', { text: 'First.' }));
    h.send(frame('tts_speak', { text: 'Second.' }));
    h.send(frame('llm_response_end'));
    await h.waitFor('tts_stopped', { count: 2 });

    expect(
      fake
        .contexts()
        .slice(-2)
        .map((c) => c.inputs),
    ).toEqual([
      [{ transcript: 'First.', continue: false, flush: false }],
      [{ transcript: 'Second.', continue: false, flush: false }],
    ]);
  });

  it('cancels the context at Cartesia on a barge-in and drops its audio still in flight', async () => {
    const h = await startService();
    const text = 'A long answer that the caller will interrupt.';
    fake.reply(text, { durationMs: 2000, latencyMs: 300, ignoreCancel: true });
    h.send(frame('llm_response_start'));
    h.send(frame('tts_speak', { text }));
    await h.waitFor('tts_started');
    await fake.until(() => fake.last.requests.length >= 2, 5000, 'the sentence and its flush');
    h.send(frame('interruption'));
    const heard = h.ofType('output_audio').length;
    await fake.until(() => fake.last.cancels.length === 1, 5000, 'the cancel');

    const contextId = fake.last.requests.at(-1)?.context_id;
    expect(fake.last.cancels).toEqual([contextId]);
    // The fake keeps sending that context's audio (50 chunks of 40 ms): none of it may come out.
    await fake.until(() => fake.last.chunksSent === 50, 5000, 'the audio in flight');
    await sleep(50);
    expect(h.ofType('output_audio')).toHaveLength(heard);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);

    // The next response works, on the same socket, in a new context.
    const connections = fake.connections.length;
    h.send(frame('llm_response_start'));
    h.send(frame('tts_speak', { text: 'Sure, go ahead.' }));
    await h.waitFor('tts_stopped', { count: 1 });
    expect(fake.last.requests.at(-1)?.context_id).not.toBe(contextId);
    expect(fake.connections.length).toBe(connections);
  });

  it('times out a synthesis Cartesia never answers, cancelling its context, and goes on', async () => {
    const h = await startService({ responseTimeoutMs: 300 });
    fake.reply('Are you there?', { hang: true });
    h.send(frame('tts_speak', { text: 'Are you there?' }));
    const error = await h.waitFor('error', { side: 'upstream' });
    await h.waitFor('tts_stopped');

    expect(error.cause).toBeInstanceOf(ServiceTimeoutError);
    expect(error.fatal).toBe(false);
    await fake.until(() => fake.last.cancels.length === 1, 5000, 'the cancel');
    h.send(frame('tts_speak', { text: 'Still here.' }));
    await h.waitFor('tts_stopped', { count: 2 });
    expect(utteranceSamples(h, 1)).toBeGreaterThan(0);
  });

  describe('error mapping', () => {
    it('fails the start with a TTSConfigurationError naming CARTESIA_API_KEY when the key is refused (401)', async () => {
      const h = new ProcessorHarness(
        new CartesiaTTSService({ apiKey: 'wrong', baseUrl: fake.url, ca: fake.ca }),
      );
      harness = h;
      await h.start();
      const error = await h.waitFor('error', { side: 'upstream' });
      expect(error.fatal).toBe(true);
      expect(error.cause).toBeInstanceOf(TTSConfigurationError);
      expect((error.cause as TTSConfigurationError).status).toBe(401);
      expect(error.message).toContain('CARTESIA_API_KEY');
    });

    it('fails the start with a TTSConfigurationError when the key function rejects', async () => {
      const h = new ProcessorHarness(
        new CartesiaTTSService({
          apiKey: () => Promise.reject(new Error('credential "cartesia" not found')),
          baseUrl: fake.url,
          ca: fake.ca,
        }),
      );
      harness = h;
      await h.start();
      const error = h.ofType('error', 'upstream')[0];
      expect(error?.cause).toBeInstanceOf(TTSConfigurationError);
      expect(error?.message).toContain('credential "cartesia" not found');
    });

    it('reads a lazy key before connecting', async () => {
      let calls = 0;
      const h = await startService({
        apiKey: async () => {
          calls++;
          return KEY;
        },
      });
      h.send(frame('tts_speak', { text: 'Lazy key.' }));
      await h.waitFor('tts_stopped');
      expect(calls).toBe(1);
      expect(h.ofType('error', 'upstream')).toHaveLength(0);
    });

    it('reports an unknown voice as a TTSConfigurationError naming the voice option, and goes on', async () => {
      const h = await startService({ voiceId: 'no-such-voice' });
      h.send(frame('tts_speak', { text: 'Hello.' }));
      const error = await h.waitFor('error', { side: 'upstream' });
      await h.waitFor('tts_stopped');
      expect(error.fatal).toBe(false);
      expect(error.cause).toBeInstanceOf(TTSConfigurationError);
      expect(error.message).toContain('voiceId');
      expect(error.message).toContain('no-such-voice');
    });

    it.each([
      [429, 'Rate limited'],
      [500, 'Internal error'],
    ])('reports an error message with status %i as a TTSRequestError', async (status, title) => {
      const h = await startService();
      fake.reply('Busy?', { error: { status, title } });
      h.send(frame('tts_speak', { text: 'Busy?' }));
      const error = await h.waitFor('error', { side: 'upstream' });
      await h.waitFor('tts_stopped');
      expect(error.cause).toBeInstanceOf(TTSRequestError);
      expect((error.cause as TTSRequestError).status).toBe(status);
      expect(error.message).toContain(title);
      expect(error.fatal).toBe(false);
    });

    it('starts without an error when Cartesia is unavailable (503) and connects for the first sentence', async () => {
      const before = fake.connections.length;
      fake.rejectNext(503);
      const h = await startService();
      expect(fake.connections.length).toBe(before);
      h.send(frame('tts_speak', { text: 'Back again.' }));
      await h.waitFor('tts_stopped');
      expect(fake.connections.length).toBe(before + 1);
      expect(utteranceSamples(h, 0)).toBeGreaterThan(0);
      expect(h.ofType('error', 'upstream')).toHaveLength(0);
    });

    it('reports a sentence that cannot connect (429) as a TTSRequestError', async () => {
      fake.rejectNext(503, 429);
      const h = await startService();
      h.send(frame('tts_speak', { text: 'Rate limited.' }));
      const error = await h.waitFor('error', { side: 'upstream' });
      expect(error.cause).toBeInstanceOf(TTSRequestError);
      expect((error.cause as TTSRequestError).status).toBe(429);
      await h.waitFor('tts_stopped');
    });

    it('gives up a handshake that hangs after connectTimeoutMs', async () => {
      const before = fake.connections.length;
      fake.hangNextHandshake();
      const t0 = performance.now();
      const h = await startService({ connectTimeoutMs: 300 });
      expect(performance.now() - t0).toBeLessThan(4000);
      expect(fake.connections.length).toBe(before);
      h.send(frame('tts_speak', { text: 'Connected now.' }));
      await h.waitFor('tts_stopped');
      expect(utteranceSamples(h, 0)).toBeGreaterThan(0);
    });
  });

  describe('reconnection', () => {
    it('sends a sentence again on a new socket when the socket drops before its audio', async () => {
      const h = await startService();
      const before = fake.connections.length;
      fake.reply('Dropped once.', { drop: 'on_receipt' }, { durationMs: 240 });
      h.send(frame('tts_speak', { text: 'Dropped once.' }));
      await h.waitFor('tts_stopped');

      expect(fake.connections.length).toBe(before + 1);
      expect(fake.last.requests.map((r) => r.transcript)).toEqual(['Dropped once.']);
      expect(utteranceSamples(h, 0)).toBe(0.24 * RATE);
      expect(h.ofType('error', 'upstream')).toHaveLength(0);
    });

    it('fails a sentence whose socket drops mid-audio with a TTSRequestError, and speaks the next on a new socket', async () => {
      const h = await startService();
      const before = fake.connections.length;
      fake.reply('Cut off.', { drop: 'mid_audio', durationMs: 400 });
      h.send(frame('llm_response_start'));
      h.send(frame('tts_speak', { text: 'Cut off.' }));
      const error = await h.waitFor('error', { side: 'upstream' });
      await h.waitFor('tts_stopped');
      expect(error.cause).toBeInstanceOf(TTSRequestError);
      expect(error.fatal).toBe(false);

      h.send(frame('tts_speak', { text: 'Where was I?' }));
      await h.waitFor('tts_stopped', { count: 2 });
      expect(fake.connections.length).toBe(before + 1);
      // A new socket has none of the old contexts: the sentence starts a new one.
      expect(fake.last.requests[0]).toMatchObject({ transcript: 'Where was I?', continue: true });
      expect(utteranceSamples(h, 1)).toBeGreaterThan(0);
    });

    it('reopens a dropped idle socket at once, so the next sentence need not wait for a handshake', async () => {
      await startService();
      const before = fake.connections.length;
      await sleep(1100); // a socket that dropped sooner is reopened only when needed
      fake.dropAll();
      await fake.waitForConnections(before + 1);
      expect(fake.connections.length).toBe(before + 1);
    });

    it('closes its socket when the call ends', async () => {
      const h = await startService();
      const connection = fake.last;
      h.send(frame('end', { reason: 'caller hung up' }));
      await h.waitFor('end');
      await fake.until(() => connection.closed, 5000, 'the close');
    });
  });

  describe('as the cartesia TTS vendor', () => {
    const options = z.object(cartesiaTTSVendor.options);
    const access = {
      apiKey: KEY,
      baseUrl: undefined,
      fetch: undefined,
      language: 'hi-IN',
      responseTimeoutMs: 4000,
      name: 'tts:cartesia',
    };

    it('is registered, with its key variable and documented defaults', () => {
      expect(findVendor('tts', 'cartesia')).toBe(cartesiaTTSVendor);
      expect(cartesiaTTSVendor.key).toEqual({
        credentialKind: 'cartesia',
        variable: 'CARTESIA_API_KEY',
        required: true,
      });
      expect(cartesiaTTSVendor.defaultBaseUrl).toBe(CARTESIA_API_BASE_URL);
      expect(options.parse({})).toEqual({
        model: DEFAULT_CARTESIA_MODEL,
        voice: DEFAULT_CARTESIA_VOICE_ID,
      });
      expect(options.safeParse({ speed: 3 }).success).toBe(false);
    });

    it("builds a service with the agent's voice, model and language, the server's key and base URL", () => {
      const service = cartesiaTTSVendor.create(
        options.parse({ voice: 'voice-2', model: 'sonic-3.5' }),
        access,
      );
      expect(service).toBeInstanceOf(CartesiaTTSService);
      const cartesia = service as CartesiaTTSService;
      expect([cartesia.voiceId, cartesia.model, cartesia.language]).toEqual(['voice-2', 'sonic-3.5', 'hi']);
    });

    it('leaves the SDK unloaded when @parley/services is imported, and loads it on first use', async () => {
      // A fresh process: this one has loaded the SDK already.
      const probe = `
        import { createRequire } from 'node:module';
        const loaded = () =>
          Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('@cartesia/cartesia-js'));
        const { cartesiaTTSVendor } = await import('@parley/services');
        const atImport = loaded();
        const signal = AbortSignal.timeout(10_000);
        const options = { model: 'sonic-3', voice: 'v' };
        await cartesiaTTSVendor.check(options, { apiKey: 'k', baseUrl: 'http://127.0.0.1:1', fetch: undefined, signal });
        console.log(JSON.stringify({ atImport, afterCheck: loaded() }));`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', probe],
        { cwd: fileURLToPath(new URL('..', import.meta.url)) },
      );
      expect(JSON.parse(stdout)).toEqual({ atImport: false, afterCheck: true });
    }, 60_000);
    /** Starts the vendor's service against the fake with `ca` as the server's extra CA, and speaks one sentence. */
    async function speakThroughVendor(ca: string | undefined) {
      const service = cartesiaTTSVendor.create(options.parse({}), { ...access, baseUrl: fake.url, ca });
      const h = new ProcessorHarness(service);
      harness = h as ProcessorHarness<CartesiaTTSService>;
      await h.start({ outputSampleRateHz: RATE });
      h.send(frame('tts_speak', { text: 'Trusted at last.' }));
      await h.waitFor('tts_stopped');
      return h;
    }

    it("trusts the server's extra CA (VENDOR_CA_FILE) for its TLS", async () => {
      const before = fake.connections.length;
      const h = await speakThroughVendor(fake.ca);
      expect(fake.connections.length).toBe(before + 1);
      expect(utteranceSamples(h, 0)).toBeGreaterThan(0);
      expect(h.ofType('error', 'upstream')).toHaveLength(0);
    });

    it('refuses the self-signed certificate without it: verification stays on', async () => {
      const before = fake.connections.length;
      const h = await speakThroughVendor(undefined);
      expect(fake.connections.length).toBe(before);
      const error = h.ofType('error', 'upstream')[0];
      expect(error?.cause).toBeInstanceOf(TTSRequestError);
      expect(error?.message).toMatch(/self-signed certificate/);
      expect(utteranceSamples(h, 0)).toBe(0);
    });

    it("adds the extra CA to Node's default roots rather than replacing them", () => {
      expect(trustedCaOption({ ...access, ca: undefined })).toEqual({});
      const ca = trustedCaOption({ ...access, ca: fake.ca }).ca ?? '';
      expect(rootCertificates.length).toBeGreaterThan(50);
      for (const root of rootCertificates) expect(ca).toContain(root);
      expect(ca).toContain(fake.ca.trim());
    });
  });
});
