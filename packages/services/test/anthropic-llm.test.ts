import Anthropic from '@anthropic-ai/sdk';
import {
  frame,
  LLMContext,
  type LLMMessage,
  ProcessorHarness,
  ServiceTimeoutError,
  type ToolDefinition,
} from '@parley/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AnthropicLLMService,
  type AnthropicLLMServiceOptions,
  CALL_START_TEXT,
  DEFAULT_ANTHROPIC_MODEL,
  LLMConfigurationError,
  LLMRequestError,
  toAnthropicConversation,
  toAnthropicTools,
} from '../src/index.ts';
import { FakeAnthropicServer } from '../src/testing/index.ts';

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

describe('toAnthropicConversation', () => {
  it('puts the leading system messages in `system` and the turns in `messages`', () => {
    const { system, messages } = toAnthropicConversation([
      { role: 'system', content: 'You are a receptionist.' },
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello, how can I help?', interrupted: true },
      { role: 'user', content: 'Book a table' },
    ]);
    expect(system).toBe('You are a receptionist.\n\nBe brief.');
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello, how can I help?' }] },
      { role: 'user', content: [{ type: 'text', text: 'Book a table' }] },
    ]);
  });

  it('has no system prompt when the context has none, and turns a mid-call system message into user text', () => {
    const { system, messages } = toAnthropicConversation([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'system', content: 'The caller has been quiet: ask if they are still there.' },
    ]);
    expect(system).toBeUndefined();
    expect(messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'text', text: 'The caller has been quiet: ask if they are still there.' }],
    });
  });

  it('merges consecutive turns of one role so that roles alternate, leaving out empty texts', () => {
    const { messages } = toAnthropicConversation([
      { role: 'user', content: 'Hello' },
      { role: 'user', content: 'are you there?' },
      { role: 'assistant', content: '' },
      { role: 'assistant', content: 'Yes.' },
      { role: 'assistant', content: null },
      { role: 'user', content: '' },
      { role: 'user', content: 'Good.' },
    ]);
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hello' },
          { type: 'text', text: 'are you there?' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Yes.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Good.' }] },
    ]);
  });

  it('opens with a short user turn when the bot spoke first', () => {
    const { system, messages } = toAnthropicConversation([
      { role: 'system', content: 'Greet the caller.' },
      { role: 'assistant', content: 'Thanks for calling!' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(system).toBe('Greet the caller.');
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: CALL_START_TEXT }] });
  });

  it('sends tool calls as tool_use blocks after the text, and merges their results into one user turn', () => {
    const { messages } = toAnthropicConversation([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'toolu_a',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'toolu_b', type: 'function', function: { name: 'get_weather', arguments: 'not json' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_a', content: 'Paris: 21C' },
      { role: 'tool', tool_call_id: 'toolu_b', content: '{"error":"bad arguments"}' },
      { role: 'user', content: 'Thanks' },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'Paris: 21C' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: '{"error":"bad arguments"}' },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  it('converts tool definitions to name, description and input_schema, and no tools to undefined', () => {
    expect(toAnthropicTools([weatherTool])).toEqual([
      { name: 'get_weather', description: weatherTool.description, input_schema: weatherTool.parameters },
    ]);
    expect(toAnthropicTools([])).toBeUndefined();
  });
});

describe('AnthropicLLMService against a fake Anthropic server', () => {
  let fake: FakeAnthropicServer;
  let harness: ProcessorHarness<AnthropicLLMService> | undefined;

  beforeAll(async () => {
    fake = await FakeAnthropicServer.start({ apiKey: 'test-key' });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    harness?.send(frame('cancel', { reason: 'test over' }));
    harness?.dispose();
    harness = undefined;
    fake.reset();
  });

  async function startService(options: AnthropicLLMServiceOptions = {}) {
    const llm = new AnthropicLLMService({
      apiKey: 'test-key',
      baseUrl: fake.url,
      maxRetries: 0,
      env: {},
      ...options,
    });
    const h = new ProcessorHarness(llm);
    harness = h;
    await h.start();
    return { llm, h };
  }

  it('streams the reply as llm_text frames between response start and end, with TTFB and token usage', async () => {
    const { h } = await startService();
    fake.reply({ text: 'Sunny and mild in Paris today.' });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');

    const types = h.types().filter((t) => t !== 'metrics');
    expect(types.slice(0, 2)).toEqual(['start', 'llm_response_start']);
    expect(types.at(-1)).toBe('llm_response_end');
    const texts = h.ofType('llm_text').map((f) => f.text);
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toBe('Sunny and mild in Paris today.');

    const metrics = h.ofType('metrics');
    const ttfb = metrics.find((m) => m.name === 'ttfb');
    expect(ttfb?.unit).toBe('ms');
    expect(ttfb?.value).toBeGreaterThan(0);
    // The fake counts words: "be brief" + "weather in Paris?" in, six word pieces out.
    expect(metrics.find((m) => m.name === 'prompt_tokens')?.value).toBe(5);
    expect(metrics.find((m) => m.name === 'completion_tokens')?.value).toBe(6);
  });

  it('sends the model, max_tokens, stream, system prompt and turns, with the key', async () => {
    const { h } = await startService({ model: 'claude-sonnet-4-6', maxTokens: 300 });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');

    const request = fake.requests[0]!;
    expect(request).toMatchObject({ model: 'claude-sonnet-4-6', max_tokens: 300, stream: true });
    expect(request.system).toBe('be brief');
    expect(request.tools).toBeUndefined();
    expect(request.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
    ]);
    // SDK 1.x sends the key as a bearer token (0.x sent `x-api-key`).
    expect(fake.credentials.at(-1)).toEqual({ apiKey: undefined, authorization: 'Bearer test-key' });
  });

  it('runs a requested tool and sends tool_use and tool_result back in a second request', async () => {
    const { llm, h } = await startService();
    const seen: unknown[] = [];
    llm.registerFunction('get_weather', async (args) => {
      seen.push(args);
      return { city: args.city, tempC: 21 };
    });
    fake.reply(
      {
        text: 'Let me check.',
        toolUses: [{ id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
      },
      { text: 'It is 21 degrees in Paris.' },
    );
    const context = conversation();
    context.tools = [weatherTool];
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');

    expect(seen).toEqual([{ city: 'Paris' }]);
    expect(h.ofType('function_call_in_progress')[0]!.call).toEqual({
      id: 'toolu_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    });
    expect(
      h
        .ofType('llm_text')
        .map((f) => f.text)
        .join(''),
    ).toBe('Let me check.It is 21 degrees in Paris.');

    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.tools).toEqual([
      { name: 'get_weather', description: weatherTool.description, input_schema: weatherTool.parameters },
    ]);
    // The fake refuses a tool_result without its tool_use just before (as the API does): a
    // second request that got through is a valid follow-up.
    expect(fake.requests[1]!.messages.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Paris","tempC":21}' }],
      },
    ]);
  });

  it('answers two parallel tool calls in one user turn, and gives a call without input {}', async () => {
    const { llm, h } = await startService();
    llm.registerFunction('get_weather', ({ city }) => `${String(city)}: 20C`);
    llm.registerFunction('get_time', () => '10:00');
    fake.reply(
      {
        toolUses: [
          { id: 'toolu_a', name: 'get_weather', input: { city: 'Rome' } },
          { id: 'toolu_b', name: 'get_time', input: '' },
        ],
      },
      { text: 'Warm, and it is ten.' },
    );
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');

    expect(h.ofType('function_call_in_progress').map((f) => f.call.function.arguments)).toEqual([
      '{"city":"Rome"}',
      '{}',
    ]);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.messages.at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_a', content: 'Rome: 20C' },
        { type: 'tool_result', tool_use_id: 'toolu_b', content: '10:00' },
      ],
    });
  });

  it('aborts the request at the provider when the caller interrupts, and pushes nothing more', async () => {
    const { h } = await startService();
    const long = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
    fake.reply({ text: long, chunkDelayMs: 40 });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_text', { count: 2 });
    h.send(frame('interruption'));
    const textsAtInterruption = h.ofType('llm_text').length;
    await expect.poll(() => fake.abortedRequests, { timeout: 3000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 200));

    expect(h.ofType('llm_text')).toHaveLength(textsAtInterruption);
    expect(textsAtInterruption).toBeLessThan(long.split(' ').length);
    expect(h.ofType('llm_response_end')).toHaveLength(0);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('reports a rejected API key (401) as a configuration error naming ANTHROPIC_API_KEY', async () => {
    const { h } = await startService({ apiKey: 'wrong-key' });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect((error.cause as LLMConfigurationError).status).toBe(401);
    expect(error.message).toMatch(/ANTHROPIC_API_KEY/);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports an unknown model (404) as a configuration error naming the model', async () => {
    const { h } = await startService({ model: 'claude-nonexistent' });
    fake.reply({ error: 404, message: 'model: claude-nonexistent' });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toContain('"claude-nonexistent"');
  });

  it.each([429, 500, 529])('reports HTTP %i as a request error with its status', async (status) => {
    const { h } = await startService();
    fake.reply({ error: status });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMRequestError);
    expect((error.cause as LLMRequestError).status).toBe(status);
    expect(h.ofType('llm_response_end')).toHaveLength(1);
  });

  it('retries a rate-limited request when maxRetries allows', async () => {
    const { h } = await startService({ maxRetries: 1 });
    fake.reply({ error: 429 }, { text: 'Here now.' });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end', { timeoutMs: 10_000 });
    expect(fake.requests).toHaveLength(2);
    expect(
      h
        .ofType('llm_text')
        .map((f) => f.text)
        .join(''),
    ).toBe('Here now.');
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it('gives up on a server that does not answer after responseTimeoutMs, closing the request', async () => {
    const { h } = await startService({ responseTimeoutMs: 300 });
    fake.reply({ hang: true });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(ServiceTimeoutError);
    await expect.poll(() => fake.abortedRequests, { timeout: 3000 }).toBe(1);
  });

  it('reports a key function that fails as a configuration error, without a request', async () => {
    const { h } = await startService({
      apiKey: () => Promise.reject(new Error('credential "claude" is missing')),
    });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toContain('credential "claude" is missing');
    expect(fake.credentials).toHaveLength(0);
  });
});

describe('FakeAnthropicServer', () => {
  it('refuses, as the API does, a tool_result that answers no tool_use of the turn before', async () => {
    const fake = await FakeAnthropicServer.start();
    try {
      const client = new Anthropic({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
      const request = client.messages.create({
        model: DEFAULT_ANTHROPIC_MODEL,
        max_tokens: 10,
        stream: true,
        messages: [
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'hi' }] },
        ],
      });
      await expect(request).rejects.toBeInstanceOf(Anthropic.BadRequestError);
      await expect(request).rejects.toThrow(/toolu_x/);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});

describe('AnthropicLLMService configuration', () => {
  it('refuses to start without an API key, saying how to set one', () => {
    expect(() => new AnthropicLLMService({ env: {} })).toThrow(LLMConfigurationError);
    expect(() => new AnthropicLLMService({ env: {} })).toThrow(/set ANTHROPIC_API_KEY/);
  });

  it('falls back to ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL, with the default model and max tokens', () => {
    const llm = new AnthropicLLMService({
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' },
    });
    expect(llm.baseUrl).toBe('http://127.0.0.1:9');
    expect(llm.model).toBe(DEFAULT_ANTHROPIC_MODEL);
    expect(llm.maxTokens).toBe(1024);
    expect(new AnthropicLLMService({ apiKey: 'k', env: {} }).baseUrl).toBe('https://api.anthropic.com');
  });

  it('refuses a max token limit that is not a positive integer', () => {
    expect(() => new AnthropicLLMService({ apiKey: 'k', env: {}, maxTokens: 0 })).toThrow(RangeError);
  });
});
