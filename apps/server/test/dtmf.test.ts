import { OpenAILLMService } from '@parley/services';
import { FakeOpenAIServer, FakeSTTService, FakeTTSService } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceFactory } from '../src/calls/services.ts';
import { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { answerTwilio } from './helpers/answer.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('DTMF on a call', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Thanks.' } });
    const services: ServiceFactory = () => ({
      stt: new FakeSTTService(),
      llm: new OpenAILLMService({ apiKey: 'test', baseUrl: llm.url }),
      tts: new FakeTTSService({ msPerChar: 2 }),
      problems: [],
    });
    server = await startTestServer(() => services);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
  });

  it('gives the keys the caller pressed to the LLM as one user turn, and stores it in the transcript', async () => {
    const answered = await answerTwilio(server);
    const sim = new TwilioCallSimulator({ url: answered.url, customParameters: answered.customParameters });
    await sim.connect();
    sim.start();
    await sim.streamSilence(3000); // the caller is muted while the greeting plays
    const before = llm.requests.length;
    for (const digit of ['4', '2', '#']) {
      sim.sendDtmf(digit);
      await sim.streamSilence(100);
    }
    await sim.withSilence(() => sim.waitFor(() => llm.requests.length > before, 10_000, 'the LLM request'));
    const user = llm.requests
      .at(-1)!
      .messages.filter((m) => m.role === 'user')
      .at(-1);
    expect(user?.content).toBe('DTMF: 42#');
    sim.stop();
    await sim.closed();
    const callId = answered.customParameters.callId!;
    await expect.poll(async () => (await server.parley.calls.get(callId))?.status).toBe('completed');
    const call = await server.parley.calls.get(callId);
    expect(call?.transcript.find((t) => t.role === 'user')?.text).toBe('DTMF: 42#');
  });
});
