import { checkLocalEngines } from '@parley/services';
import type { FakeChatReply, FakeChatRequest } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialTwilio } from './helpers/answer.ts';
import { untilQuiet, useSpeechServer } from './helpers/e2e.ts';
import { speech8k } from './helpers/fakes.ts';
import { WebhookServer } from './helpers/webhook-server.ts';

const engines = await checkLocalEngines();

/** greet → message → bye: two transitions, then the bye node's LLM hangs up with `end_call`. */
const FLOW = {
  nodes: [
    {
      key: 'greet',
      initial: true,
      position: { x: 0, y: 0 },
      // No role message: the agent's prompt is the persona. The agent's greeting asks; the caller answers.
      respondImmediately: false,
      taskMessages: ['Find out whether the caller wants to leave a message.'],
      functions: [
        { name: 'take_message', description: 'The caller wants to leave a message.', target: 'message' },
      ],
    },
    {
      key: 'message',
      position: { x: 200, y: 0 },
      taskMessages: ['Ask for the message and note it.'],
      functions: [{ name: 'message_taken', description: 'The caller said their message.', target: 'bye' }],
      // A stored webhook tool, offered in this node only.
      toolIds: ['save-message'],
    },
    {
      key: 'bye',
      terminal: true,
      position: { x: 400, y: 0 },
      taskMessages: ['Thank the caller for the message, then end the call.'],
      // The built-in tool: the server hangs up through the provider after the goodbye.
      toolIds: ['end_call'],
    },
  ],
};

/** The task message of the node a request was made in. */
function nodeTask(request: FakeChatRequest): string {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => String(m.content));
  return system.at(-1) ?? '';
}

/** The LLM: calls each node's function when the caller spoke; in the last node it thanks and hangs up. */
function reply(request: FakeChatRequest): FakeChatReply {
  const last = request.messages.at(-1);
  const task = nodeTask(request);
  if (task.startsWith('Find out')) return { toolCalls: [{ name: 'take_message' }] };
  if (task.startsWith('Ask for the message')) {
    if (last?.role === 'user')
      return { toolCalls: [{ name: 'save_message', arguments: { text: 'Call me back.' } }] };
    if (last?.role === 'tool' && String(last.content).includes('saved')) {
      return { toolCalls: [{ name: 'message_taken' }] };
    }
    return { text: 'Sure. Please say your message now.' };
  }
  return {
    text: 'Thank you, I have noted your message.',
    toolCalls: [{ name: 'end_call', arguments: { goodbye: 'Goodbye!' } }],
  };
}

describe.skipIf(!engines.stt.ok || !engines.tts.ok)('a stored flow on a Twilio call, on real speech', () => {
  const speech = useSpeechServer(engines, undefined, { EGRESS_ALLOW: '127.0.0.1/32' });
  let hook: WebhookServer;
  beforeAll(async () => {
    hook = await WebhookServer.start();
    hook.answer('/messages', { body: '{"status":"saved"}' });
    await speech.server.parley.tools.upsert('save-message', {
      name: 'save_message',
      description: 'Save the message the caller left.',
      parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      url: `${hook.url}/messages`,
      method: 'POST',
    });
  });
  afterAll(async () => {
    await hook?.close();
  });

  it('runs the published flow greet → message (a webhook tool) → bye, hangs up with end_call and stores the node path', async () => {
    const { server, llm } = speech;
    const headers = { ...server.adminHeaders, 'content-type': 'application/json' };
    const put = await server.parley.app.inject({
      method: 'PUT',
      url: '/api/agents/demo/flow/draft',
      headers,
      payload: JSON.stringify({ definition: FLOW }),
    });
    expect(put.statusCode, put.body).toBe(201);
    const published = await server.parley.app.inject({
      method: 'POST',
      url: '/api/agents/demo/flow/publish',
      headers,
      payload: '{}',
    });
    expect(published.statusCode, published.body).toBe(200);
    llm.setHandler(reply);

    const sim = await dialTwilio(server);
    await sim.connect();
    sim.start();
    await sim.withSilence(() => untilQuiet(sim, 0));
    expect(llm.requests).toHaveLength(0); // the first node waits for the caller

    await sim.streamAudio(speech8k('ast-vm-nobodyavail'));
    const firstAt = sim.now();
    await sim.withSilence(() => sim.waitFor(() => llm.requests.length >= 2, 20_000, 'the message node'));
    await sim.withSilence(() => untilQuiet(sim, firstAt));
    await sim.streamAudio(speech8k('ast-check-number-dial-again'));
    // The bye node answers and calls end_call: its goodbye is said, then the server hangs up.
    const { code } = await sim.withSilence(() => sim.closed());
    expect(code).toBe(1000);

    // What the LLM was asked in each node: its tools, and the agent's prompt as the persona.
    expect(llm.requests.map((r) => r.tools?.map((t) => t.function.name) ?? [])).toEqual([
      ['take_message'],
      ['message_taken', 'save_message'],
      ['message_taken', 'save_message'],
      ['message_taken', 'save_message'],
      ['end_call'],
    ]);
    expect(llm.requests.map(nodeTask)).toEqual([
      'Find out whether the caller wants to leave a message.',
      'Ask for the message and note it.',
      'Ask for the message and note it.',
      'Ask for the message and note it.',
      'Thank the caller for the message, then end the call.',
    ]);
    // The webhook got the tool's arguments.
    expect(hook.requests.map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
      ['POST', '/messages', { text: 'Call me back.' }],
    ]);
    for (const r of llm.requests) {
      expect(String(r.messages[0]!.content)).toMatch(/^You are the Parley demo agent/);
    }

    const { calls } = await server.parley.calls.list({ limit: 5 });
    const call = calls.find((c) => c.providerCallId === sim.callSid)!;
    await expect.poll(async () => (await server.parley.calls.get(call.id))?.status).toBe('completed');
    const stored = (await server.parley.calls.get(call.id))!;
    expect(stored.endReason).toBe('agent_ended');
    expect((await server.parley.flows.ofCall(call.id))?.version).toBe(1);
    // The bye node's answer, then end_call's goodbye, were the last things said (one bot turn); no
    // LLM run followed end_call (five requests above).
    expect(stored.transcript.at(-1)).toMatchObject({ role: 'assistant' });
    expect(stored.transcript.at(-1)!.text).toMatch(/noted your message\. Goodbye!$/);

    const events = await server.parley.events.list(call.id);
    const flowEvents = events.filter((e) =>
      ['node_transition', 'context_injected', 'node_entered', 'tool_called', 'tool_result'].includes(e.type),
    );
    expect(flowEvents.map((e) => [e.type, e.data as { node?: string; to?: string; name?: string }])).toEqual([
      ['node_transition', { from: null, to: 'greet', functionName: null }],
      ['context_injected', expect.objectContaining({ node: 'greet', tools: ['take_message'] })],
      ['node_entered', { node: 'greet', respondImmediately: false }],
      ['tool_called', expect.objectContaining({ name: 'take_message' })],
      ['tool_result', expect.objectContaining({ name: 'take_message', result: '{"status":"acknowledged"}' })],
      ['node_transition', { from: 'greet', to: 'message', functionName: 'take_message' }],
      [
        'context_injected',
        expect.objectContaining({ node: 'message', tools: ['message_taken', 'save_message'] }),
      ],
      ['node_entered', { node: 'message', respondImmediately: true }],
      ['tool_called', expect.objectContaining({ name: 'save_message' })],
      ['tool_result', expect.objectContaining({ name: 'save_message', ok: true, status: 200 })],
      ['tool_called', expect.objectContaining({ name: 'message_taken' })],
      ['tool_result', expect.objectContaining({ name: 'message_taken' })],
      ['node_transition', { from: 'message', to: 'bye', functionName: 'message_taken' }],
      ['context_injected', expect.objectContaining({ node: 'bye', tools: ['end_call'] })],
      ['node_entered', { node: 'bye', respondImmediately: true }],
      ['tool_called', expect.objectContaining({ name: 'end_call', source: 'builtin' })],
      ['tool_result', expect.objectContaining({ name: 'end_call', ok: true })],
    ]);
    const greetInjected = flowEvents[1]!.data as { messages: Array<{ role: string; content: string }> };
    expect(greetInjected.messages[0]!.content).toMatch(/^You are the Parley demo agent/);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: 'call_ended', data: { reason: 'agent_ended' } });
  }, 90_000);
});
