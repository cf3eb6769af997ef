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
  DEFAULT_GROK_MODEL,
  GrokLLMService,
  type GrokLLMServiceOptions,
  LLMConfigurationError,
  LLMRequestError,
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

// xAI's API speaks OpenAI's Chat Completions, so the OpenAI fake stands in for it.
describe('GrokLLMService against a fake OpenAI-compatible server', () => {
  let fake: FakeOpenAIServer;
  let harness: ProcessorHarness<GrokLLMService> | undefined;

  beforeAll(async () => {
    fake = await FakeOpenAIServer.start();
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    harness?.send(frame('cancel', { reason: 'test over' }));
    harness?.dispose();
    harness = undefined;
    fake.requests.length = 0;
    fake.authorizations.length = 0;
  });

  async function startService(options: GrokLLMServiceOptions = {}) {
    const llm = new GrokLLMService({
      apiKey: 'xai-test',
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

  it('streams the reply with TTFB and usage, asking for the default Grok model with the xAI key', async () => {
    const { h } = await startService();
    fake.reply({ text: 'Sunny and mild in Paris today.' });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');

    const texts = h.ofType('llm_text').map((f) => f.text);
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toBe('Sunny and mild in Paris today.');
    const metrics = h.ofType('metrics');
    expect(metrics.find((m) => m.name === 'ttfb')?.value).toBeGreaterThan(0);
    // The fake counts words: "be brief" + "weather in Paris?" in.
    expect(metrics.find((m) => m.name === 'prompt_tokens')?.value).toBe(5);
    expect(metrics.find((m) => m.name === 'completion_tokens')?.value).toBeGreaterThan(0);

    expect(fake.requests[0]).toMatchObject({
      model: DEFAULT_GROK_MODEL,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(fake.authorizations).toEqual(['Bearer xai-test']);
    expect(h.processor.model).toBe(DEFAULT_GROK_MODEL);
  });

  it('runs a requested tool and sends its result back in a second completion', async () => {
    const { llm, h } = await startService({ model: 'grok-4.3' });
    llm.registerFunction('get_weather', async ({ city }) => ({ city, tempC: 21 }));
    fake.reply(
      { toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is 21 degrees in Paris.' },
    );
    const context = conversation();
    context.tools = [weatherTool];
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');

    expect(h.ofType('function_call_result')[0]).toMatchObject({
      toolCallId: 'call_1',
      result: '{"city":"Paris","tempC":21}',
    });
    expect(fake.requests.map((r) => r.model)).toEqual(['grok-4.3', 'grok-4.3']);
    expect(fake.requests[0]!.tools?.[0]?.function.name).toBe('get_weather');
    expect(fake.requests[1]!.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_1',
      content: '{"city":"Paris","tempC":21}',
    });
  });

  it('aborts the request at the provider when the caller interrupts, and pushes nothing more', async () => {
    const { h } = await startService();
    const before = fake.abortedRequests;
    const long = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
    fake.reply({ text: long, chunkDelayMs: 40 });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_text', { count: 2 });
    h.send(frame('interruption'));
    const textsAtInterruption = h.ofType('llm_text').length;
    await expect.poll(() => fake.abortedRequests - before, { timeout: 3000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 200));

    expect(h.ofType('llm_text')).toHaveLength(textsAtInterruption);
    expect(h.ofType('llm_response_end')).toHaveLength(0);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
  });

  it("reports xAI's answer to a bad key (400 Incorrect API key) as a configuration error naming XAI_API_KEY", async () => {
    const { h } = await startService();
    fake.reply({
      error: 400,
      message: 'Incorrect API key provided: xa***st. You can obtain an API key from https://console.x.ai.',
    });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect((error.cause as LLMConfigurationError).status).toBe(400);
    expect(error.message).toMatch(/xAI API .*rejected the API key.*XAI_API_KEY/);
    expect(error.message).not.toMatch(/OPENAI_API_KEY/);
  });

  it('reports a rejected key (401) as a configuration error naming XAI_API_KEY', async () => {
    const { h } = await startService();
    fake.reply({ error: 401, message: 'Incorrect API key provided.' });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect((error.cause as LLMConfigurationError).status).toBe(401);
    expect(error.message).toMatch(/XAI_API_KEY/);
    expect(error.message).not.toMatch(/OPENAI_API_KEY/);
  });

  it.each([429, 500])('reports HTTP %i as a request error with its status', async (status) => {
    const { h } = await startService();
    fake.reply({ error: status });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMRequestError);
    expect((error.cause as LLMRequestError).status).toBe(status);
  });

  it('gives up on a server that does not start its answer within responseTimeoutMs', async () => {
    const { h } = await startService({ responseTimeoutMs: 300 });
    // The OpenAI fake cannot hang: a slow first chunk stands in for it.
    fake.reply({ text: 'far too late', chunkDelayMs: 2000 });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(ServiceTimeoutError);
    expect(h.ofType('llm_text')).toHaveLength(0);
  });
});

describe('GrokLLMService configuration', () => {
  it('refuses to start without an xAI key, even when OPENAI_API_KEY is set', () => {
    expect(() => new GrokLLMService({ env: { OPENAI_API_KEY: 'sk-openai' } })).toThrow(LLMConfigurationError);
    expect(() => new GrokLLMService({ env: {} })).toThrow(/set XAI_API_KEY/);
  });

  it("falls back to XAI_API_KEY, with xAI's base URL and never OPENAI_BASE_URL", () => {
    const llm = new GrokLLMService({
      env: { XAI_API_KEY: 'xai-k', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    expect(llm.baseUrl).toBe('https://api.x.ai/v1');
    expect(llm.model).toBe(DEFAULT_GROK_MODEL);
    expect(llm.name).toBe('GrokLLMService');
  });
});
