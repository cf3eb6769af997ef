import { OpenAILLMService } from '@parley/services';
import { FakeOpenAIServer, FakeSTTService, FakeTTSService } from '@parley/services/testing';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServiceFactory } from '../src/calls/services.ts';
import type { Call } from '../src/db/call-types.ts';
import { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { answerTwilio, dialTwilio } from './helpers/answer.ts';
import { expectRefused } from './helpers/fakes.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const AUTH_TOKEN = 'test_token';
const PUBLIC_URL = 'https://voice.example.com';

describe('Twilio: bad input ends or continues the call cleanly', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Okay.' } });
    const services: ServiceFactory = () => ({
      stt: new FakeSTTService({ transcripts: ['hello'] }),
      llm: new OpenAILLMService({ apiKey: 'test', baseUrl: llm.url }),
      tts: new FakeTTSService({ msPerChar: 5 }),
      problems: [],
    });
    server = await startTestServer(() => services, {});
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
  });

  /** The newest call, once it reached a terminal status. */
  async function finishedCall(predicate: (c: Call) => boolean = () => true): Promise<Call> {
    let found: Call | undefined;
    await expect
      .poll(
        async () => {
          const { calls } = await server.parley.calls.list({ limit: 10 });
          const hit = calls.find(
            (c) => c.status !== 'ringing' && c.status !== 'in_progress' && predicate(c as Call),
          );
          found = hit ? await server.parley.calls.get(hit.id) : undefined;
          return found !== undefined;
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    return found!;
  }

  async function startedCall(): Promise<TwilioCallSimulator> {
    const sim = await dialTwilio(server);
    await sim.connect();
    sim.start();
    await sim.streamSilence(100);
    return sim;
  }

  const eventsOf = async (call: Call) => server.parley.events.list(call.id);

  it('records malformed JSON and unknown events as errors and keeps the call going', async () => {
    const sim = await startedCall();
    sim.sendRaw('{"event":"media",');
    sim.sendRaw('not json at all');
    sim.sendRaw(JSON.stringify({ event: 'teleport', streamSid: sim.streamSid }));
    sim.sendRaw(JSON.stringify([1, 2, 3]));
    await sim.streamSilence(200);
    expect(sim.isOpen).toBe(true);
    sim.stop();
    const call = await finishedCall((c) => c.providerCallId === sim.callSid);
    expect(call.status).toBe('completed');
    expect(call.endReason).toBe('caller_hung_up');
    const errors = (await eventsOf(call)).filter((e) => e.type === 'error');
    expect(errors.map((e) => e.data.code)).toEqual([
      'malformed_json',
      'malformed_json',
      'unknown_event',
      'invalid_message',
    ]);
    expect((await eventsOf(call)).at(-1)?.type).toBe('call_ended');
  });

  it('keeps media sent before start as an error event and starts the call normally', async () => {
    const sim = await dialTwilio(server);
    await sim.connect();
    sim.sendRaw(
      JSON.stringify({
        event: 'media',
        sequenceNumber: '1',
        streamSid: sim.streamSid,
        media: {
          track: 'inbound',
          chunk: '1',
          timestamp: '20',
          payload: Buffer.alloc(160, 0xff).toString('base64'),
        },
      }),
    );
    sim.start();
    await sim.streamSilence(200);
    sim.stop();
    const call = await finishedCall((c) => c.providerCallId === sim.callSid);
    expect(call.status).toBe('completed');
    const events = await eventsOf(call);
    expect(events.find((e) => e.type === 'error')?.data.code).toBe('media_before_start');
  });

  it('ends a call whose socket closes without stop, and says so', async () => {
    const sim = await startedCall();
    sim.close();
    const call = await finishedCall((c) => c.providerCallId === sim.callSid);
    expect(call.status).toBe('completed');
    expect(call.endReason).toBe('connection_lost');
    const errors = (await eventsOf(call)).filter((e) => e.type === 'error');
    expect(errors.map((e) => e.data.code)).toContain('connection_lost');
  });

  it('disconnects a client that is not Twilio, counts it, and stores no call', async () => {
    const code = await expectRefused(server, 'stream_without_start', async () => {
      const ws = new WebSocket(`${server.wsUrl}/ws/twilio/demo`);
      await new Promise((r) => ws.once('open', r));
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      for (let i = 0; i < 20; i++) ws.send(JSON.stringify({ hello: 'world', i }));
      return closed;
    });
    expect(code).toBe(1008);
  });

  /** Opens a stream with these custom parameters, sends `start`, and returns the close code. */
  async function streamWith(customParameters: Record<string, string>, agent = 'demo'): Promise<number> {
    const sim = new TwilioCallSimulator({ url: `${server.wsUrl}/ws/twilio/${agent}`, customParameters });
    await sim.connect();
    sim.start();
    return (await sim.closed()).code;
  }
  /** {@link streamWith}, checking that the refusal is counted and stores no call. */
  const refusedStream = (customParameters: Record<string, string>, agent = 'demo') =>
    expectRefused(server, 'stream_refused', () => streamWith(customParameters, agent));

  it('refuses a stream that carries no call token, counts it, and stores no call', async () => {
    expect(await refusedStream({})).toBe(1008);
  });

  it('refuses a wrong token, a used token and a token for another agent', async () => {
    const answered = await answerTwilio(server);
    const { callId, token } = answered.customParameters;
    expect(await refusedStream({ callId: callId!, token: 'f'.repeat(32) })).toBe(1008);
    expect(await refusedStream({ callId: callId!, token: token! }, 'other-agent')).toBe(1008);
    // The right token still works once (the refusals above did not use it up)…
    const sim = new TwilioCallSimulator({ url: answered.url, customParameters: answered.customParameters });
    await sim.connect();
    sim.start();
    await sim.streamSilence(100);
    expect(sim.isOpen).toBe(true);
    // …and only once.
    expect(await refusedStream({ callId: callId!, token: token! })).toBe(1008);
    sim.stop();
    const call = await finishedCall((c) => c.id === callId);
    expect(call.status).toBe('completed');
  });

  it('answers an unknown agent with a spoken apology and a hang-up', async () => {
    const res = await server.parley.app.inject({
      method: 'POST',
      url: '/telephony/twilio/inbound/nobody-here',
      payload: 'CallSid=CA1&From=%2B15551230000&To=%2B15557654321',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toContain('<Say>');
    expect(res.body).toContain('<Hangup/>');
  });

  it('answers a known agent with a bidirectional stream carrying the call id', async () => {
    const res = await server.parley.app.inject({
      method: 'POST',
      url: '/telephony/twilio/inbound/demo',
      payload: 'CallSid=CAwebhook1&From=%2B15551230000&To=%2B15557654321&Direction=inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'voice.example.com' },
    });
    expect(res.statusCode).toBe(200);
    const call = await server.parley.calls.findByProviderCallId('twilio', 'CAwebhook1');
    expect(call).toMatchObject({
      status: 'ringing',
      from: '+15551230000',
      to: '+15557654321',
      agentId: 'demo',
    });
    expect(res.body).toContain('<Connect><Stream url="wss://voice.example.com/ws/twilio/demo">');
    expect(res.body).toContain(`<Parameter name="callId" value="${call!.id}"/>`);
    expect(res.body).toMatch(/<Parameter name="token" value="[0-9a-f]{32}"\/>/);
  });

  it('rejects a webhook without a body as a bad request', async () => {
    const res = await server.parley.app.inject({ method: 'POST', url: '/telephony/twilio/inbound/demo' });
    expect(res.statusCode).toBe(400);
  });
});

describe('shutdown', () => {
  it('ends live calls and stores them before the server stops', async () => {
    const services: ServiceFactory = () => ({
      stt: new FakeSTTService(),
      llm: new OpenAILLMService({ apiKey: 'test', baseUrl: 'http://127.0.0.1:9/v1' }),
      tts: new FakeTTSService(),
      problems: [],
    });
    const server = await startTestServer(() => services);
    try {
      const sim = await dialTwilio(server);
      await sim.connect();
      sim.start();
      await sim.streamSilence(300);
      await server.parley.shutdown();
      const { calls } = await server.parley.calls.list();
      const call = (await server.parley.calls.get(calls[0]!.id))!;
      expect(call).toMatchObject({ status: 'completed', endReason: 'server_shutdown' });
      expect(call.recordingPath).toBeTruthy();
      expect((await server.parley.events.list(call.id)).at(-1)?.type).toBe('call_ended');
      expect((await sim.closed()).code).toBe(1000);
    } finally {
      await server.close();
    }
  });
});

describe('Twilio signatures, when TWILIO_AUTH_TOKEN is set', () => {
  let server: TestServer;

  beforeAll(async () => {
    const services: ServiceFactory = () => ({
      stt: new FakeSTTService(),
      llm: new OpenAILLMService({ apiKey: 'test', baseUrl: 'http://127.0.0.1:9/v1' }),
      tts: new FakeTTSService(),
      problems: [],
    });
    server = await startTestServer(() => services, { TWILIO_AUTH_TOKEN: AUTH_TOKEN, PUBLIC_URL });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  const form = { CallSid: 'CAsigned1', From: '+15551230000', To: '+15557654321' };
  const post = (signature?: string) =>
    server.parley.app.inject({
      method: 'POST',
      url: '/telephony/twilio/inbound/demo',
      payload: new URLSearchParams(form).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature ? { 'x-twilio-signature': signature } : {}),
      },
    });

  it('accepts a correctly signed webhook', async () => {
    const signature = twilio.getExpectedTwilioSignature(
      AUTH_TOKEN,
      `${PUBLIC_URL}/telephony/twilio/inbound/demo`,
      form,
    );
    const res = await post(signature);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<Stream url="wss://voice.example.com/ws/twilio/demo">');
  });

  it('refuses a webhook with a missing or wrong signature', async () => {
    expect((await post()).statusCode).toBe(403);
    expect((await post('bm90IGEgc2lnbmF0dXJl')).statusCode).toBe(403);
  });

  it('refuses a media stream upgrade without a valid signature, and accepts a signed one', async () => {
    const answered = await answerTwilio(server, 'demo', {
      signWith: { authToken: AUTH_TOKEN, publicUrl: PUBLIC_URL },
    });
    const options = { url: answered.url, customParameters: answered.customParameters };
    const unsigned = new TwilioCallSimulator(options);
    await expect(unsigned.connect()).rejects.toThrow(/403/);
    const forged = new TwilioCallSimulator({
      ...options,
      headers: { 'X-Twilio-Signature': 'bm90IGEgc2lnbmF0dXJl' },
    });
    await expect(forged.connect()).rejects.toThrow(/403/);
    const signature = twilio.getExpectedTwilioSignature(
      AUTH_TOKEN,
      'wss://voice.example.com/ws/twilio/demo',
      {},
    );
    const signed = new TwilioCallSimulator({ ...options, headers: { 'X-Twilio-Signature': signature } });
    await signed.connect();
    signed.start();
    await signed.streamSilence(100);
    expect(signed.isOpen).toBe(true);
    signed.stop();
    await expect
      .poll(async () => (await server.parley.calls.get(answered.customParameters.callId!))?.status)
      .toBe('completed');
  });
});
