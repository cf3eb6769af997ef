import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putAgent, speech8k } from './helpers/fakes.ts';
import { answeredTwilioCall, type ScriptedTwilio, startScriptedTwilio } from './helpers/scripted-twilio.ts';
import { callWithStatus } from './helpers/telephony.ts';

/**
 * The built-in `end_call` tool ends the call at the provider too: after the goodbye, the server
 * completes the call through Twilio's REST API (Calls resource update, `Status=completed`,
 * https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource). Scripted STT and
 * LLM, so no speech engine is needed.
 */
describe('end_call hangs up through the provider', () => {
  let t: ScriptedTwilio;

  beforeAll(async () => {
    t = await startScriptedTwilio({ LOG_LEVEL: 'error' });
    await putAgent(t.server, 'ender', { tools: ['end_call'], userIdle: { enabled: false } }, ['thanks, bye']);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('Twilio: the LLM calls end_call, the goodbye is said, then the call is completed over REST', async () => {
    const { server, llm, twilio } = t;
    llm.reply({ toolCalls: [{ name: 'end_call', arguments: { goodbye: 'Goodbye, take care.' } }] });
    const { id, sid, sim } = await answeredTwilioCall(t, 'ender');
    const requestsBefore = twilio.requests.length;

    await sim.streamAudio(speech8k('goforward'));
    const { code } = await sim.withSilence(() => sim.closed());
    expect(code).toBe(1000);
    const call = await callWithStatus(server, id, 'completed');
    expect(call.endReason).toBe('agent_ended');

    await expect.poll(() => twilio.requests.length, { timeout: 10_000 }).toBe(requestsBefore + 1);
    const hangUp = twilio.requests.at(-1)!;
    expect(hangUp.method).toBe('POST');
    expect(hangUp.path).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Calls/${sid}.json`);
    expect(hangUp.body).toEqual({ Status: 'completed' });
    expect(twilio.call(sid)?.status).toBe('completed');

    // The goodbye was said before the hang-up, and end_call ran once.
    const events = await server.parley.events.list(id);
    expect(events.filter((e) => e.type === 'agent_spoke').map((e) => e.data.text)).toEqual([
      'Goodbye, take care.',
    ]);
    expect(events.filter((e) => e.type === 'tool_result').map((e) => [e.data.name, e.data.ok])).toEqual([
      ['end_call', true],
    ]);
  }, 90_000);
});
