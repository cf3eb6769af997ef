import { DEFAULT_APOLOGIES } from '@parley/pipeline';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../src/db/call-events.ts';
import { answerTwilio, twilioCaller } from './helpers/answer.ts';
import { type FakeServicesServer, putAgent, speech8k, useFakeServicesServer } from './helpers/fakes.ts';
import { SwitchableEndpoint } from './helpers/switchable-endpoint.ts';

/**
 * The LLM fails for one turn (its endpoint refuses connections, or accepts and never answers),
 * then comes back: the caller hears an apology within the agent's bound, the events say why,
 * and the next turn is answered.
 */
describe('a call whose LLM fails, then recovers', () => {
  let fakes: FakeServicesServer;
  let endpoint: SwitchableEndpoint;
  useFakeServicesServer(
    async (started) => {
      fakes = started;
      endpoint = await SwitchableEndpoint.start(Number(new URL(started.llm.url).port));
    },
    { LOG_LEVEL: 'error' },
  ); // the failures are expected: their warnings would be noise
  afterAll(() => endpoint?.close());

  async function callThroughFailure(agent: string, boundSecs: number, fail: () => Promise<void>) {
    const { server, llm } = fakes;
    await putAgent(
      server,
      agent,
      {
        llm: { provider: 'openai', baseUrl: endpoint.url(), responseTimeoutSecs: boundSecs },
        userIdle: { enabled: false },
      },
      ['where is my order', 'are you back'],
    );
    await fail();
    const answered = await answerTwilio(server, agent);
    const sim = twilioCaller(answered);
    await sim.connect();
    sim.start();
    await sim.streamAudio(speech8k('goforward'));
    const saidAt = sim.now();
    await sim.withSilence(() =>
      sim.waitFor(() => sim.messages('media').some((m) => m.atMs > saidAt), 15_000, 'the apology'),
    );
    const apologyAt = sim.messages('media').find((m) => m.atMs > saidAt)!.atMs;
    await sim.withSilence(() => sim.waitFor(() => sim.now() > apologyAt + 2500, 5000, 'the apology to play'));

    await endpoint.forward();
    const before = llm.requests.length;
    await sim.streamAudio(speech8k('goforward'));
    const againAt = sim.now();
    await sim.withSilence(() =>
      sim.waitFor(() => sim.messages('media').some((m) => m.atMs > againAt), 15_000, 'the reply'),
    );
    await sim.withSilence(() => sim.waitFor(() => sim.now() > againAt + 1500, 5000, 'the reply to play'));
    sim.stop();
    await sim.closed();
    expect(llm.requests.length).toBe(before + 1);
    expect(llm.requests.at(-1)!.messages.at(-1)).toMatchObject({ role: 'user', content: 'are you back' });

    await expect
      .poll(async () => (await server.parley.calls.get(answered.callId))?.status, { timeout: 5000 })
      .toBe('completed');
    const events = await server.parley.events.list(answered.callId);
    return { apologyMs: apologyAt - saidAt, events };
  }

  const ofType = (events: readonly CallEvent[], type: string) =>
    events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

  function expectFailedThenAnswered(events: readonly CallEvent[], cause: RegExp): void {
    const errors = ofType(events, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ service: 'llm', fatal: false, source: 'OpenAILLMService' });
    expect(String(errors[0]!.message)).toMatch(cause);
    const spoken = ofType(events, 'agent_spoke').map((e) => e.text);
    expect(spoken).toEqual([DEFAULT_APOLOGIES.llm, 'Okay.']);
    const turns = ofType(events, 'turn');
    expect(turns.map((t) => t.outcome)).toEqual(['failed', 'played']);
    expect(turns[0]!.error).toMatchObject({ service: 'llm' });
    expect(turns[0]!.firstSentenceMs).toBeUndefined(); // the apology is not counted as the reply
  }

  it('apologizes at once when the LLM refuses connections, and answers once it is back', async () => {
    const { apologyMs, events } = await callThroughFailure('llm-refused', 4, () => endpoint.refuse());
    // Caller's end of speech → turn end (~1 s) → the SDK's two retries (~1.5 s) → apology.
    expect(apologyMs).toBeLessThan(4000 + 3000);
    expectFailedThenAnswered(events, /Could not reach the LLM/);
  }, 60_000);

  it('apologizes within the bound when the LLM hangs, and answers once it is back', async () => {
    const { apologyMs, events } = await callThroughFailure('llm-hangs', 2, () => endpoint.hang());
    expect(apologyMs).toBeGreaterThan(2000);
    expect(apologyMs).toBeLessThan(2000 + 3000);
    expectFailedThenAnswered(events, /no response for 2000 ms/);
  }, 60_000);
});
