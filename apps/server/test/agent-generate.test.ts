import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** A valid answer: a booking agent with a variable and a two-node flow. */
const AGENT = {
  name: 'Table bookings',
  prompt: 'You take table bookings for {{restaurant}}. Speak in short sentences.',
  greeting: 'Hello, {{restaurant}} bookings. How many guests?',
  language: 'en-GB',
  variables: [{ name: 'restaurant', type: 'string', default: 'Chez Parley', description: 'The restaurant' }],
  flow: {
    nodes: [
      {
        key: 'ask',
        initial: true,
        taskMessages: ['Ask for the party size and time.'],
        functions: [{ name: 'booked', description: 'The booking is complete.', target: 'bye' }],
      },
      {
        key: 'bye',
        terminal: true,
        taskMessages: ['Confirm and say goodbye.'],
        postActions: [{ type: 'end_conversation' }],
      },
    ],
  },
};

/** The same with a flow whose transition points nowhere. */
const DANGLING = {
  ...AGENT,
  flow: {
    nodes: [
      { ...AGENT.flow.nodes[0], functions: [{ name: 'booked', description: 'Done.', target: 'nowhere' }] },
    ],
  },
};

describe('POST /api/agents/generate', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;
  let headers: Record<string, string>;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start({ apiKey: 'sk-test' });
    server = await startTestServer(() => noServices, {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: llm.url,
      LOG_LEVEL: 'silent',
    });
    headers = { ...server.adminHeaders, 'content-type': 'application/json' };
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), llm?.close()]);
  });

  beforeEach(() => {
    llm.requests.length = 0;
  });

  const generate = (body: Record<string, unknown>, as = headers) =>
    server.parley.app.inject({
      method: 'POST',
      url: '/api/agents/generate',
      headers: as,
      payload: JSON.stringify(body),
    });

  it('saves the agent the LLM wrote through save_agent, with its flow as a draft', async () => {
    llm.reply({ toolCalls: [{ name: 'save_agent', arguments: AGENT }] });
    const res = await generate({ description: 'A restaurant agent that books tables.', id: 'bookings' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{
      agent: { id: string; name: string; config: Record<string, unknown> };
      flow: { status: string; version: number };
      repaired: boolean;
    }>();
    expect(body.repaired).toBe(false);
    expect(body.agent).toMatchObject({ id: 'bookings', name: 'Table bookings' });
    expect(body.agent.config).toMatchObject({
      prompt: AGENT.prompt,
      greeting: AGENT.greeting,
      language: 'en-GB',
      variables: AGENT.variables,
      stt: { provider: 'local' },
    });
    expect(body.flow).toMatchObject({ status: 'draft', version: 1 });
    const stored = await server.parley.flows.draft('bookings');
    expect(stored?.definition).toMatchObject({ nodes: [{ key: 'ask' }, { key: 'bye' }] });
    expect(await server.parley.flows.published('bookings')).toBeUndefined();
    // The LLM was offered save_agent with the agent's JSON Schema.
    const offered = llm.requests[0]?.tools?.[0]?.function;
    expect(offered?.name).toBe('save_agent');
    expect(offered?.parameters).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['prompt', 'name']),
    });
  });

  it('sends an invalid answer back with its issues once, and saves the repaired one', async () => {
    llm.reply(
      { toolCalls: [{ name: 'save_agent', arguments: DANGLING, id: 'call_1' }] },
      { toolCalls: [{ name: 'save_agent', arguments: { ...AGENT, flow: undefined }, id: 'call_2' }] },
    );
    const res = await generate({
      description: 'A restaurant agent that books tables.',
      name: 'Bookings two',
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{ agent: { id: string; name: string }; flow: unknown; repaired: boolean }>();
    expect(body).toMatchObject({
      agent: { id: 'bookings-two', name: 'Bookings two' },
      flow: null,
      repaired: true,
    });
    const feedback = llm.requests[1]?.messages.at(-1);
    expect(feedback).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
    expect(String(feedback?.content)).toContain('nowhere');
  });

  it('refuses with 422 and the reasons when the repaired answer is still invalid', async () => {
    llm.reply(
      { text: 'Here is your agent: a friendly booker.' },
      { toolCalls: [{ name: 'save_agent', arguments: { name: 'x', language: 'en' } }] },
    );
    const res = await generate({ description: 'A restaurant agent that books tables.', id: 'refused' });
    expect(res.statusCode, res.body).toBe(422);
    const { error } = res.json<{ error: { code: string; issues: string[] } }>();
    expect(error.code).toBe('generation_refused');
    expect(error.issues).toEqual(['prompt: Invalid input: expected string, received undefined']);
    expect(llm.requests).toHaveLength(2);
    expect(String(llm.requests[1]?.messages.at(-1)?.content)).toContain('not JSON');
    expect(await server.parley.agents.get('refused')).toBeUndefined();
  });

  it('refuses a taken id without asking the LLM, and a viewer', async () => {
    const taken = await generate({ description: 'A restaurant agent that books tables.', id: 'demo' });
    expect(taken.statusCode).toBe(409);
    const viewer = await apiKeyHeaders(server.database, 'viewer');
    const refused = await generate(
      { description: 'A restaurant agent that books tables.' },
      {
        ...viewer,
        'content-type': 'application/json',
      },
    );
    expect(refused.statusCode).toBe(403);
    expect(llm.requests).toHaveLength(0);
  });
});
