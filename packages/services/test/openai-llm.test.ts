import { frame, LLMContext, type LLMMessage, ProcessorHarness, type ToolDefinition } from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EGRESS_REFUSED_CODE,
  LLMConfigurationError,
  LLMRequestError,
  OpenAILLMService,
} from '../src/index.ts';
import { FakeOpenAIServer } from '../src/testing/index.ts';

const weatherTool: ToolDefinition = {
  name: 'get_weather',
  description: 'Get the weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function conversation(...extra: LLMMessage[]): LLMContext {
  return new LLMContext([
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'weather in Paris?' },
    ...extra,
  ]);
}

describe('OpenAILLMService against a fake OpenAI server', () => {
  let fake: FakeOpenAIServer;
  let harness: ProcessorHarness<OpenAILLMService>;

  beforeAll(async () => {
    fake = await FakeOpenAIServer.start();
  });
  afterAll(async () => {
    await fake.close();
  });

  async function startService(options: { maxRetries?: number } = {}) {
    const llm = new OpenAILLMService({
      apiKey: 'test-key',
      baseUrl: fake.url,
      maxRetries: options.maxRetries ?? 0,
    });
    harness = new ProcessorHarness(llm);
    await harness.start();
    return llm;
  }

  afterEach(() => {
    harness?.send(frame('cancel', { reason: 'test over' }));
    harness?.dispose();
    fake.requests.length = 0;
    fake.setHandler(undefined);
  });

  it('streams the reply as llm_text frames in order between response start and end, with TTFB and usage', async () => {
    await startService();
    fake.reply({ text: 'Sunny and mild in Paris today.' });
    harness.send(frame('llm_context', { context: conversation() }));
    await harness.waitFor('llm_response_end');

    const types = harness.types().filter((t) => t !== 'metrics');
    expect(types[0]).toBe('start');
    expect(types[1]).toBe('llm_response_start');
    expect(types.at(-1)).toBe('llm_response_end');
    const texts = harness.ofType('llm_text').map((f) => f.text);
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toBe('Sunny and mild in Paris today.');

    const metrics = harness.ofType('metrics');
    const ttfb = metrics.find((m) => m.name === 'ttfb');
    expect(ttfb?.unit).toBe('ms');
    expect(ttfb?.value).toBeGreaterThan(0);
    expect(metrics.find((m) => m.name === 'prompt_tokens')?.value).toBeGreaterThan(0);
    expect(metrics.find((m) => m.name === 'completion_tokens')?.value).toBeGreaterThan(0);
  });

  it('sends the model, streaming options and the context, without Parley-only fields', async () => {
    await startService();
    const context = conversation(
      { role: 'assistant', content: 'It is sunny', interrupted: true },
      { role: 'user', content: 'and tomorrow?' },
    );
    harness.send(frame('llm_context', { context }));
    await harness.waitFor('llm_response_end');

    const request = fake.requests[0]!;
    expect(request.model).toBe('gpt-4o-mini');
    expect(request.stream).toBe(true);
    expect(request.stream_options).toEqual({ include_usage: true });
    expect(request.tools).toBeUndefined();
    expect(request.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: 'It is sunny' },
      { role: 'user', content: 'and tomorrow?' },
    ]);
  });

  it('runs a requested tool and sends its result back in a second completion', async () => {
    const llm = await startService();
    const seen: unknown[] = [];
    llm.registerFunction('get_weather', async (args) => {
      seen.push(args);
      return { city: args.city, tempC: 21 };
    });
    fake.reply(
      { toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is 21 degrees in Paris.' },
    );
    const context = conversation();
    context.tools = [weatherTool];
    harness.send(frame('llm_context', { context }));
    await harness.waitFor('llm_response_end');

    expect(seen).toEqual([{ city: 'Paris' }]);
    const call = harness.ofType('function_call_in_progress')[0]!.call;
    expect(call).toEqual({
      id: 'call_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    });
    const result = harness.ofType('function_call_result')[0]!;
    expect(result).toMatchObject({
      toolCallId: 'call_1',
      name: 'get_weather',
      result: '{"city":"Paris","tempC":21}',
    });
    expect(
      harness
        .ofType('llm_text')
        .map((f) => f.text)
        .join(''),
    ).toBe('It is 21 degrees in Paris.');

    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: weatherTool.description,
          parameters: weatherTool.parameters,
        },
      },
    ]);
    expect(fake.requests[1]!.messages.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"city":"Paris","tempC":21}' },
    ]);
  });

  it('answers two parallel tool calls with one follow-up request', async () => {
    const llm = await startService();
    llm.registerFunction('get_weather', ({ city }) => `${String(city)}: 20C`);
    fake.reply(
      {
        toolCalls: [
          { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'call_b', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { text: 'Both are warm.' },
    );
    const context = conversation();
    context.tools = [weatherTool];
    harness.send(frame('llm_context', { context }));
    await harness.waitFor('llm_response_end');

    expect(harness.ofType('function_call_in_progress').map((f) => f.call.id)).toEqual(['call_a', 'call_b']);
    expect(fake.requests).toHaveLength(2);
    const followUp = fake.requests[1]!.messages;
    expect(followUp.at(-3)).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'call_a' }, { id: 'call_b' }],
    });
    expect(followUp.slice(-2)).toEqual([
      { role: 'tool', tool_call_id: 'call_a', content: 'Paris: 20C' },
      { role: 'tool', tool_call_id: 'call_b', content: 'Rome: 20C' },
    ]);
  });

  it('gives the model an error result for a tool nobody registered', async () => {
    await startService();
    fake.reply({ toolCalls: [{ id: 'call_x', name: 'launch_rocket' }] }, { text: 'I cannot do that.' });
    harness.send(frame('llm_context', { context: conversation() }));
    await harness.waitFor('llm_response_end');

    const result = harness.ofType('function_call_result')[0]!;
    expect(JSON.parse(result.result)).toEqual({ error: 'unknown function: launch_rocket' });
    expect(fake.requests[1]!.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_x',
      content: result.result,
    });
  });

  it('tells the model that a tool failed without showing it the exception, and reports the error', async () => {
    const llm = await startService();
    llm.registerFunction('get_weather', () => {
      throw new Error('weather API key expired');
    });
    fake.reply(
      { toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'I could not get the weather.' },
    );
    const context = conversation();
    context.tools = [weatherTool];
    harness.send(frame('llm_context', { context }));
    await harness.waitFor('llm_response_end');

    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_1',
      content: '{"error":"the function failed"}',
    });
    expect(JSON.stringify(fake.requests[1]!.messages)).not.toContain('API key expired');
    const error = harness.ofType('error', 'upstream')[0]!;
    expect(error.fatal).toBe(false);
    expect(error.message).toMatch(/get_weather.*weather API key expired/);
  });

  it('stops streaming on an interruption and pushes nothing more', async () => {
    await startService();
    const long = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
    fake.reply({ text: long, chunkDelayMs: 40 });
    harness.send(frame('llm_context', { context: conversation() }));
    await harness.waitFor('llm_text', { count: 2 });
    harness.send(frame('interruption'));
    const textsAtInterruption = harness.ofType('llm_text').length;
    await expect.poll(() => fake.abortedRequests, { timeout: 3000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 200));

    expect(harness.ofType('llm_text')).toHaveLength(textsAtInterruption);
    expect(textsAtInterruption).toBeLessThan(long.split(' ').length);
    expect(harness.ofType('llm_response_end')).toHaveLength(0);
    expect(harness.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('reports a rejected API key as a configuration error frame', async () => {
    await startService();
    fake.reply({ error: 401, message: 'Incorrect API key provided.' });
    harness.send(frame('llm_context', { context: conversation() }));
    const error = await harness.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toMatch(/OPENAI_API_KEY/);
  });

  it('reports a provider outage as a request error with its status', async () => {
    await startService();
    fake.reply({ error: 503 });
    harness.send(frame('llm_context', { context: conversation() }));
    const error = await harness.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMRequestError);
    expect((error.cause as LLMRequestError).status).toBe(503);
  });
});

describe('OpenAILLMService configuration', () => {
  it('refuses to start without an API key, saying how to set one', () => {
    expect(() => new OpenAILLMService({ env: {} })).toThrow(LLMConfigurationError);
    expect(() => new OpenAILLMService({ env: {} })).toThrow(/set OPENAI_API_KEY or the agent's llm.apiKey/);
  });

  it('falls back to OPENAI_API_KEY and OPENAI_BASE_URL', () => {
    const llm = new OpenAILLMService({
      env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    expect(llm.baseUrl).toBe('http://127.0.0.1:9/v1');
    expect(llm.model).toBe('gpt-4o-mini');
  });

  it('accepts a self-hosted base URL without a key', () => {
    expect(new OpenAILLMService({ env: {}, baseUrl: 'http://127.0.0.1:9/v1' }).baseUrl).toBe(
      'http://127.0.0.1:9/v1',
    );
  });
});

describe('OpenAILLMService with a key function and a custom fetch', () => {
  let fake: FakeOpenAIServer;
  let harness: ProcessorHarness<OpenAILLMService> | undefined;

  beforeAll(async () => {
    fake = await FakeOpenAIServer.start({ apiKey: 'stored-key' });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    harness?.send(frame('cancel', { reason: 'test over' }));
    harness?.dispose();
    harness = undefined;
  });

  async function run(options: ConstructorParameters<typeof OpenAILLMService>[0]) {
    harness = new ProcessorHarness(
      new OpenAILLMService({ baseUrl: fake.url, maxRetries: 0, env: {}, ...options }),
    );
    await harness.start();
    harness.send(frame('llm_context', { context: conversation() }));
    return harness;
  }

  it('sends the key the function gives, asking for it when a request is made', async () => {
    let asked = 0;
    const h = await run({
      apiKey: async () => {
        asked++;
        return 'stored-key';
      },
    });
    await h.waitFor('llm_response_end');
    expect(asked).toBe(1);
    expect(fake.authorizations.at(-1)).toBe('Bearer stored-key');
  });

  it('reports a key function that fails as a configuration error, without a request', async () => {
    const before = fake.authorizations.length;
    const h = await run({
      apiKey: () => Promise.reject(new Error('credential "k" is bound to another origin')),
    });
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toMatch(/No API key for the LLM: credential "k" is bound to another origin/);
    expect(fake.authorizations.length).toBe(before);
  });

  it('sends its requests through the given fetch', async () => {
    const seen: string[] = [];
    const h = await run({
      apiKey: 'stored-key',
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    await h.waitFor('llm_response_end');
    expect(seen).toEqual([`${fake.url}/chat/completions`]);
  });

  it('reports a target the fetch refuses (ERR_EGRESS_REFUSED) as a configuration error naming why', async () => {
    const refusal = Object.assign(new Error('localhost resolves to 127.0.0.1, a loopback address'), {
      code: EGRESS_REFUSED_CODE,
    });
    const h = await run({
      apiKey: 'stored-key',
      fetch: () => Promise.reject(new TypeError('fetch failed', { cause: refusal })),
    });
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toContain(
      'may not be reached: localhost resolves to 127.0.0.1, a loopback address',
    );
  });
});
