/**
 * Calls through the fake Twilio REST API on a server whose services are scripted (the agent's
 * `stt.options.transcripts` and a fake OpenAI server, see `fakes.ts`): for tests that need both
 * what the LLM does in a call and what the server asks of the provider.
 */
import { FakeOpenAIServer } from '@parley/services/testing';
import { FakeTwilioApi } from '@parley/telephony/testing';
import type { TwilioCallSimulator } from '../../src/tools/twilio-call-simulator.ts';
import { fakeServices } from './fakes.ts';
import { placedCall, twilioSettings, twilioStreamSimulator } from './outbound.ts';
import { startTestServer, type TestServer } from './server.ts';
import { callWithStatus, freePort, putSettings, readTwiml } from './telephony.ts';

/** The server, its fake LLM (answering "Okay." by default) and the fake Twilio API it is set up with. */
export interface ScriptedTwilio {
  readonly server: TestServer;
  readonly llm: FakeOpenAIServer;
  readonly twilio: FakeTwilioApi;
  close(): Promise<void>;
}

/** Starts a {@link ScriptedTwilio}; its `PUBLIC_URL` is its own origin, so Twilio's fake reaches it. */
export async function startScriptedTwilio(env: Record<string, string> = {}): Promise<ScriptedTwilio> {
  const [llm, twilio, port] = await Promise.all([
    FakeOpenAIServer.start({ defaultReply: { text: 'Okay.' } }),
    FakeTwilioApi.start(),
    freePort(),
  ]);
  const server = await startTestServer(() => fakeServices(llm.url), {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
  });
  await putSettings(server, { twilio: twilioSettings(twilio) });
  return {
    server,
    llm,
    twilio,
    close: async () => {
      await server.close();
      await Promise.all([llm.close(), twilio.close()]);
    },
  };
}

/**
 * Places an outbound Twilio call to `agent`, answers it as the callee and opens its media
 * stream (started, carrying nothing yet).
 * @returns our call id, Twilio's call SID and the callee's stream.
 */
export async function answeredTwilioCall(
  t: ScriptedTwilio,
  agent: string,
): Promise<{ id: string; sid: string; sim: TwilioCallSimulator }> {
  const { id, providerCallId: sid } = await placedCall(t.server, 'twilio', { agent });
  const twiml = readTwiml(await t.twilio.answer(sid));
  const sim = twilioStreamSimulator(t.server, twiml, sid, t.twilio.authToken);
  await sim.connect();
  sim.start();
  await callWithStatus(t.server, id, 'in_progress');
  return { id, sid, sim };
}
