import type { FakeChatReply, FakeChatRequest } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { putAgent, speech8k } from './helpers/fakes.ts';
import { answeredTwilioCall, type ScriptedTwilio, startScriptedTwilio } from './helpers/scripted-twilio.ts';
import { callWithStatus } from './helpers/telephony.ts';

const AGENT = 'pinned';

/** A two-node flow whose texts and function name say which version they belong to. */
function flow(version: 'V1' | 'V2') {
  return {
    nodes: [
      {
        key: 'greet',
        initial: true,
        respondImmediately: false,
        roleMessage: `${version} persona: you take orders.`,
        taskMessages: [`${version} greet: find out what the caller wants.`],
        functions: [
          {
            name: `${version.toLowerCase()}_next`,
            description: 'The caller wants to order.',
            target: 'order',
          },
        ],
      },
      { key: 'order', taskMessages: [`${version} order: take the order.`] },
    ],
  };
}

const systemText = (request: FakeChatRequest) =>
  request.messages
    .filter((m) => m.role === 'system')
    .map((m) => String(m.content))
    .join('\n');
const toolNames = (request: FakeChatRequest) => request.tools?.map((t) => t.function.name) ?? [];

/**
 * A call pins the flow version published when it starts: publishing another during the call
 * changes new calls only. Scripted STT and LLM (no speech engines), calls over the fake Twilio API.
 */
describe('flow version pinning', () => {
  let t: ScriptedTwilio;

  beforeAll(async () => {
    t = await startScriptedTwilio({ LOG_LEVEL: 'error' });
    await putAgent(t.server, AGENT, { userIdle: { enabled: false } }, ['I would like to order']);
    // Version 1's greet node moves on when the caller speaks; version 2's only answers.
    t.llm.setHandler((request): FakeChatReply => {
      const last = request.messages.at(-1);
      if (toolNames(request).includes('v1_next') && last?.role === 'user') {
        return { toolCalls: [{ name: 'v1_next' }] };
      }
      if (systemText(request).includes('V1 order:')) return { text: 'Version one takes your order.' };
      if (systemText(request).includes('V2 greet:')) return { text: 'Version two here.' };
      return { text: 'Okay.' };
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  async function publish(definition: unknown): Promise<number> {
    const headers = { ...t.server.adminHeaders, 'content-type': 'application/json' };
    const draft = await t.server.parley.app.inject({
      method: 'PUT',
      url: `/api/agents/${AGENT}/flow/draft`,
      headers,
      payload: JSON.stringify({ definition }),
    });
    expect(draft.statusCode, draft.body).toBe(201);
    const published = await t.server.parley.app.inject({
      method: 'POST',
      url: `/api/agents/${AGENT}/flow/publish`,
      headers,
      payload: '{}',
    });
    expect(published.statusCode, published.body).toBe(200);
    return published.json<{ published: { version: number } }>().published.version;
  }

  /** The caller says one sentence and waits, the line silent, for the agent's answer to play. */
  async function speakAndHearReply(sim: TwilioCallSimulator, what: string): Promise<void> {
    await sim.streamAudio(speech8k('goforward'));
    const saidAt = sim.now();
    await sim.withSilence(() =>
      sim.waitFor(() => sim.messages('media').some((m) => m.atMs > saidAt), 15_000, what),
    );
    await sim.withSilence(() => sim.waitFor(() => sim.now() > saidAt + 1500, 5000, `${what} to play`));
  }

  async function hangUp(id: string, sim: TwilioCallSimulator): Promise<void> {
    sim.stop();
    await sim.closed();
    await callWithStatus(t.server, id, 'completed');
  }

  it('keeps running version 1 in a call that started on it while version 2 is published; a new call runs version 2', async () => {
    const { server, llm } = t;
    expect(await publish(flow('V1'))).toBe(1);

    const first = await answeredTwilioCall(t, AGENT);
    await expect.poll(async () => (await server.parley.flows.ofCall(first.id))?.version).toBe(1);

    expect(await publish(flow('V2'))).toBe(2);

    // A call started now runs version 2, while the first is still going.
    const secondRequests = llm.requests.length;
    const second = await answeredTwilioCall(t, AGENT);
    expect((await server.parley.flows.ofCall(second.id))?.version).toBe(2);
    await speakAndHearReply(second.sim, 'the second call’s reply');
    await hangUp(second.id, second.sim);
    const ofSecond = llm.requests.slice(secondRequests);
    expect(ofSecond.length).toBeGreaterThan(0);
    expect(ofSecond.every((r) => systemText(r).includes('V2 greet:') && !systemText(r).includes('V1'))).toBe(
      true,
    );
    expect(toolNames(ofSecond[0]!)).toEqual(['v2_next']);

    // The first call, asked now, still has version 1's nodes, prompts and functions.
    const firstRequests = llm.requests.length;
    await speakAndHearReply(first.sim, 'the first call’s reply');
    await hangUp(first.id, first.sim);
    const ofFirst = llm.requests.slice(firstRequests);
    expect(ofFirst.map((r) => [toolNames(r), systemText(r)])).toEqual([
      [['v1_next'], expect.stringContaining('V1 greet: find out what the caller wants.')],
      [[], expect.stringContaining('V1 order: take the order.')],
    ]);
    expect(ofFirst.some((r) => systemText(r).includes('V2'))).toBe(false);
    expect(systemText(ofFirst[1]!)).toContain('V1 persona');
    expect((await server.parley.flows.ofCall(first.id))?.version).toBe(1);

    // The node path, stored in order: each node's transition, then its context, then its entry.
    const events = await server.parley.events.list(first.id);
    const nodeEvents = events
      .filter((e) => ['node_transition', 'context_injected', 'node_entered'].includes(e.type))
      .map((e) => [e.type, e.data]);
    expect(nodeEvents).toEqual([
      ['node_transition', { from: null, to: 'greet', functionName: null }],
      ['context_injected', expect.objectContaining({ node: 'greet', tools: ['v1_next'] })],
      ['node_entered', { node: 'greet', respondImmediately: false }],
      ['node_transition', { from: 'greet', to: 'order', functionName: 'v1_next' }],
      ['context_injected', expect.objectContaining({ node: 'order', tools: [] })],
      ['node_entered', { node: 'order', respondImmediately: true }],
    ]);
    const spoken = events.filter((e) => e.type === 'agent_spoke').map((e) => e.data.text);
    expect(spoken).toContain('Version one takes your order.');
    const secondSpoken = (await server.parley.events.list(second.id))
      .filter((e) => e.type === 'agent_spoke')
      .map((e) => e.data.text);
    expect(secondSpoken).toContain('Version two here.');
  }, 120_000);
});
