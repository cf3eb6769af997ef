import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../src/db/call-events.ts';
import { answerTwilio, twilioCaller } from './helpers/answer.ts';
import { type FakeServicesServer, putAgent, speech8k, useFakeServicesServer } from './helpers/fakes.ts';
import { startMcpServer, type TestMcpServer } from './helpers/mcp-server.ts';
import { WebhookServer } from './helpers/webhook-server.ts';

const MCP_KEY = 'mcp-secret-key-77';

/**
 * Calls whose LLM (the fake OpenAI server, scripted) calls the agent's tools: a webhook tool on
 * a loopback endpoint, the built-in `end_call`, and the tools of an MCP server started here.
 */
describe('tools in a call', () => {
  let fakes: FakeServicesServer;
  let hook: WebhookServer;
  let mcp: TestMcpServer;
  useFakeServicesServer(
    (started) => {
      fakes = started;
    },
    // Tool failures below are expected: their warnings would be noise.
    { EGRESS_ALLOW: '127.0.0.1/32', LOG_LEVEL: 'error' },
  );
  beforeAll(async () => {
    [hook, mcp] = await Promise.all([WebhookServer.start(), startMcpServer(MCP_KEY)]);
  });
  afterAll(async () => {
    await Promise.all([hook?.close(), mcp?.close()]);
  });

  /** Runs a call on `agent`: the caller says one recorded sentence per transcript, then waits for the agent to hang up. */
  async function runCall(agent: string, turns: number, agentHangsUp: boolean) {
    const { server } = fakes;
    const answered = await answerTwilio(server, agent);
    const sim = twilioCaller(answered);
    await sim.connect();
    sim.start();
    for (let turn = 0; turn < turns; turn++) {
      await sim.streamAudio(speech8k('goforward'));
      const saidAt = sim.now();
      await sim.withSilence(() =>
        sim.waitFor(() => sim.messages('media').some((m) => m.atMs > saidAt), 15_000, `reply ${turn + 1}`),
      );
      await sim.withSilence(() => sim.waitFor(() => sim.now() > saidAt + 1500, 5000, 'the reply to play'));
    }
    if (agentHangsUp) {
      const closed = await sim.withSilence(() => sim.closed());
      expect(closed.code).toBe(1000);
    } else {
      sim.stop();
      await sim.closed();
    }
    await expect
      .poll(async () => (await server.parley.calls.get(answered.callId))?.status, { timeout: 10_000 })
      .toBe('completed');
    const call = await server.parley.calls.get(answered.callId);
    const events = await server.parley.events.list(answered.callId);
    return { call: call!, events };
  }

  const ofType = (events: readonly CallEvent[], ...types: string[]): Array<Record<string, unknown>> =>
    events.filter((e) => types.includes(e.type)).map((e) => ({ type: e.type, ...e.data }));

  it('runs a webhook tool (refusing bad arguments first), then hangs up with end_call and a goodbye, with no LLM run after it', async () => {
    const { server, llm } = fakes;
    await server.parley.tools.upsert('order-lookup', {
      name: 'lookup_order',
      description: 'Look an order up by its id.',
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      url: `${hook.url}/orders/{{order_id}}`,
      method: 'GET',
    });
    hook.answer('/orders/A1', { body: '{"status":"shipped"}' });
    await putAgent(
      server,
      'tool-caller',
      { tools: ['order-lookup', 'end_call'], userIdle: { enabled: false } },
      ['where is my order', 'thanks bye'],
    );
    llm.reply(
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 5 } }] },
      { toolCalls: [{ name: 'lookup_order', arguments: { order_id: 'A1' } }] },
      { text: 'Your order has shipped.' },
      { toolCalls: [{ name: 'end_call', arguments: { goodbye: 'Goodbye, thanks for calling.' } }] },
    );
    const firstRequest = llm.requests.length;
    const { call, events } = await runCall('tool-caller', 2, true);

    expect(llm.requests[firstRequest]?.tools?.map((t) => t.function.name)).toEqual([
      'lookup_order',
      'end_call',
    ]);
    // The bad arguments were answered to the LLM without a request; the good ones made one.
    const afterRefusal = llm.requests[firstRequest + 1]!.messages.at(-1);
    expect(afterRefusal).toMatchObject({ role: 'tool' });
    expect(String(afterRefusal?.content)).toContain(
      'invalid arguments, nothing was sent: arguments.order_id: must be string',
    );
    expect(hook.requests.map((r) => r.url)).toEqual(['/orders/A1']);

    expect(call.endReason).toBe('agent_ended');
    const tools = ofType(events, 'tool_called', 'tool_result');
    expect(tools).toMatchObject([
      {
        type: 'tool_called',
        name: 'lookup_order',
        source: 'webhook',
        toolId: 'order-lookup',
        arguments: '{"order_id":5}',
      },
      {
        type: 'tool_result',
        name: 'lookup_order',
        ok: false,
        error: expect.stringMatching(/^invalid_arguments: /),
      },
      { type: 'tool_called', name: 'lookup_order', source: 'webhook', toolId: 'order-lookup' },
      { type: 'tool_result', name: 'lookup_order', ok: true, status: 200, attempts: 1, resultChars: 20 },
      { type: 'tool_called', name: 'end_call', source: 'builtin', toolId: 'end_call' },
      { type: 'tool_result', name: 'end_call', ok: true },
    ]);
    for (const result of tools.filter((t) => t.type === 'tool_result'))
      expect(result.durationMs).toBeTypeOf('number');
    const spoken = ofType(events, 'agent_spoke').map((e) => e.text);
    expect(spoken).toEqual(['Your order has shipped.', 'Goodbye, thanks for calling.']);
    // Four completions: two lookups, the answer, end_call; none after end_call's result (it would
    // have been answered with the fake's default "OK." and said after the goodbye).
    expect(llm.requests.length - firstRequest).toBe(4);
    expect(llm.requests.at(-1)?.messages.at(-1)).toMatchObject({ role: 'user' });
    const seqOf = (type: string) => events.find((e) => e.type === type)!.seq;
    expect(events.filter((e) => e.type === 'tool_called').at(-1)!.seq).toBeLessThan(seqOf('call_ended'));
    expect(events.find((e) => e.type === 'call_ended')?.data).toMatchObject({ reason: 'agent_ended' });
  }, 90_000);

  it("offers an MCP server's allowed tools and calls them; a server that does not answer leaves the call going", async () => {
    const { server, llm } = fakes;
    const key = await server.parley.credentials.create({
      name: 'mcp-key',
      kind: 'generic',
      value: { key: MCP_KEY },
      destination: mcp.url,
    });
    expect(key.name).toBe('mcp-key');
    await putAgent(
      server,
      'mcp-caller',
      {
        userIdle: { enabled: false },
        mcpServers: [
          {
            name: 'weather',
            url: mcp.url,
            headers: { 'X-Api-Key': { credential: 'mcp-key', field: 'key' } },
            allowTools: ['get_weather'],
          },
          { name: 'gone', url: 'http://127.0.0.1:1/mcp' },
        ],
      },
      ['what is the weather in paris'],
    );
    llm.reply(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny.' },
    );
    const firstRequest = llm.requests.length;
    const { events } = await runCall('mcp-caller', 1, false);

    expect(llm.requests[firstRequest]?.tools?.map((t) => t.function.name)).toEqual(['get_weather']);
    expect(llm.requests[firstRequest]?.tools?.[0]?.function.parameters).toMatchObject({
      properties: { city: { type: 'string' } },
    });
    expect(mcp.weatherCalls).toEqual([{ city: 'Paris' }]);
    expect(mcp.apiKeys.every((k) => k === MCP_KEY)).toBe(true);
    expect(String(llm.requests[firstRequest + 1]!.messages.at(-1)?.content)).toBe('It is sunny in Paris.');

    expect(ofType(events, 'tool_called', 'tool_result')).toMatchObject([
      {
        type: 'tool_called',
        name: 'get_weather',
        source: 'mcp',
        toolId: 'weather',
        remoteName: 'get_weather',
      },
      { type: 'tool_result', name: 'get_weather', ok: true, result: 'It is sunny in Paris.' },
    ]);
    const problems = ofType(events, 'error').filter((e) => e.source === 'tools');
    expect(problems).toHaveLength(1);
    expect(String(problems[0]!.message)).toMatch(/^mcpServers\.gone: could not list its tools/);
    expect(ofType(events, 'agent_spoke').map((e) => e.text)).toEqual(['It is sunny.']);
  }, 90_000);
  it('offers an MCP tool only in the flow node that names it, and refuses unknown MCP tools in a flow', async () => {
    const { server, llm } = fakes;
    await server.parley.credentials
      .create({ name: 'mcp-key', kind: 'generic', value: { key: MCP_KEY }, destination: mcp.url })
      .catch(() => undefined); // made by the test above when it ran
    const weather = {
      name: 'weather',
      url: mcp.url,
      headers: { 'X-Api-Key': { credential: 'mcp-key', field: 'key' } },
      allowTools: ['get_weather'],
    };
    await putAgent(server, 'mcp-flow', { userIdle: { enabled: false }, mcpServers: [weather] }, [
      'what is the weather in paris',
    ]);
    const flow = (weatherTools: string[]) => ({
      nodes: [
        {
          key: 'start',
          initial: true,
          respondImmediately: false,
          taskMessages: ['Find out what the caller wants.'],
          functions: [
            { name: 'ask_weather', description: 'The caller asks about the weather.', target: 'weather' },
          ],
        },
        { key: 'weather', taskMessages: ['Tell the caller the weather.'], toolIds: weatherTools },
      ],
    });
    const headers = { ...server.adminHeaders, 'content-type': 'application/json' };
    const putDraft = (definition: unknown) =>
      server.parley.app.inject({
        method: 'PUT',
        url: '/api/agents/mcp-flow/flow/draft',
        headers,
        payload: JSON.stringify({ definition }),
      });
    const refused = await putDraft(flow(['mcp:weather/delete_everything', 'mcp:maps/route', 'mcp:weather']));
    expect(refused.statusCode).toBe(400);
    expect((refused.json() as { error: { issues: string[] } }).error.issues).toEqual([
      'nodes.weather.toolIds: MCP server "weather" offers no tool "delete_everything" to this agent (it offers: get_weather)',
      'nodes.weather.toolIds: the agent has no MCP server "maps" (its MCP servers: weather)',
      'nodes.weather.toolIds: "mcp:weather" is not an MCP tool id; write mcp:<server>/<tool>',
    ]);
    const saved = await putDraft(flow(['mcp:weather/get_weather']));
    expect(saved.statusCode, saved.body).toBe(201);
    const published = await server.parley.app.inject({
      method: 'POST',
      url: '/api/agents/mcp-flow/flow/publish',
      headers,
      payload: '{}',
    });
    expect(published.statusCode, published.body).toBe(200);

    llm.reply(
      { toolCalls: [{ name: 'ask_weather' }] },
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny.' },
    );
    const firstRequest = llm.requests.length;
    const weatherCalls = mcp.weatherCalls.length;
    const { events } = await runCall('mcp-flow', 1, false);

    const offered = llm.requests.slice(firstRequest).map((r) => r.tools?.map((t) => t.function.name) ?? []);
    expect(offered.slice(0, 3)).toEqual([['ask_weather'], ['get_weather'], ['get_weather']]);
    expect(mcp.weatherCalls.slice(weatherCalls)).toEqual([{ city: 'Paris' }]);
    expect(
      ofType(events, 'tool_called', 'tool_result').filter((e) => e.name === 'get_weather'),
    ).toMatchObject([
      {
        type: 'tool_called',
        name: 'get_weather',
        source: 'mcp',
        toolId: 'weather',
        remoteName: 'get_weather',
      },
      { type: 'tool_result', name: 'get_weather', ok: true, result: 'It is sunny in Paris.' },
    ]);
    expect(String(llm.requests[firstRequest + 2]?.messages.at(-1)?.content)).toBe('It is sunny in Paris.');
  }, 90_000);
});
