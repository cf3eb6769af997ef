import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEventRepository } from '../src/db/call-events.ts';
import { CallRepository } from '../src/db/calls.ts';
import { answerTwilio, twilioCaller } from './helpers/answer.ts';
import { type ChildServer, startChildServer } from './helpers/child-server.ts';
import { untilQuiet } from './helpers/e2e.ts';
import { speech8k } from './helpers/fakes.ts';
import { type FaultEnv, faultEnv } from './helpers/fault-env.ts';
import { SwitchableEndpoint } from './helpers/switchable-endpoint.ts';

/**
 * PostgreSQL becomes unreachable in the middle of a call (a TCP proxy between the server and
 * the database drops every connection and refuses new ones) and stays so while the caller
 * hangs up; once it is back, the call's events and end are all stored, in order, once.
 */
describe.skipIf(!process.env.DATABASE_URL)('the database cut mid-call and at hang-up', () => {
  let llm: FakeOpenAIServer;
  let env: FaultEnv;
  let proxy: SwitchableEndpoint;
  let child: ChildServer | undefined;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Your order ships tomorrow.' } });
    env = await faultEnv();
    proxy = await SwitchableEndpoint.start(Number(new URL(process.env.DATABASE_URL!).port || 5432));
  });
  afterAll(async () => {
    child?.process.kill('SIGKILL');
    await proxy?.close();
    await llm?.close();
    await env?.cleanUp();
  });

  it('loses no event and no call field', async () => {
    child = await startChildServer({ ...env.childEnv(proxy.port), LLM_URL: llm.url });
    const answered = await answerTwilio(child, 'fault');
    const sim = twilioCaller(answered);
    await sim.connect();
    sim.start();
    await sim.withSilence(() => untilQuiet(sim, 0, 'media', 800));
    await sim.streamAudio(speech8k('goforward'));
    let saidAt = sim.now();
    await sim.withSilence(() => untilQuiet(sim, saidAt, 'media', 800));

    await proxy.refuse(); // the database is gone
    await sim.streamAudio(speech8k('goforward'));
    saidAt = sim.now();
    await sim.withSilence(() => untilQuiet(sim, saidAt, 'media', 800));
    sim.stop(); // the caller hangs up while it is still gone
    await sim.closed();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await proxy.forward();

    const database = await env.open();
    try {
      const calls = new CallRepository(database.db);
      await expect
        .poll(async () => (await calls.get(answered.callId))?.status, { timeout: 20_000, interval: 250 })
        .toBe('completed');
      const call = (await calls.get(answered.callId))!;
      expect(call.endReason).toBe('caller_hung_up');
      expect(call.transcript.filter((t) => t.role === 'user').map((t) => t.text)).toEqual([
        'where is my order',
        'thank you',
      ]);
      expect(call.transcript.filter((t) => t.role === 'assistant').length).toBeGreaterThanOrEqual(3);
      expect(call.recordingPath).toBeTruthy();
      expect(call.durationMs).toBeGreaterThan(3000);

      const events = await new CallEventRepository(database.db).list(answered.callId);
      const types = events.map((e) => e.type).filter((t) => t !== 'turn' && t !== 'error');
      expect(types).toEqual([
        'call_started',
        'agent_spoke',
        'user_spoke',
        'agent_spoke',
        'user_spoke',
        'agent_spoke',
        'call_ended',
      ]);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === 'turn')).toHaveLength(2);
    } finally {
      await database.close();
    }
  }, 120_000);
});
