import { GoogleGenAI } from '@google/genai';
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
  DEFAULT_GEMINI_MODEL,
  GeminiLLMService,
  type GeminiLLMServiceOptions,
  LLMConfigurationError,
  LLMRequestError,
} from '../src/index.ts';
import { FakeGeminiServer } from '../src/testing/index.ts';

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

function spoken(h: ProcessorHarness<GeminiLLMService>): string {
  return h
    .ofType('llm_text')
    .map((f) => f.text)
    .join('');
}

describe('GeminiLLMService against a fake Gemini server', () => {
  let fake: FakeGeminiServer;
  let harness: ProcessorHarness<GeminiLLMService> | undefined;

  beforeAll(async () => {
    fake = await FakeGeminiServer.start({ apiKey: 'test-key' });
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

  async function startService(options: GeminiLLMServiceOptions = {}) {
    const llm = new GeminiLLMService({
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
    fake.reply({
      text: 'Sunny and mild in Paris today.',
      firstChunkDelayMs: 80,
      usage: { thoughtsTokenCount: 4 },
    });
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
    // The fake waited 80 ms before its first chunk.
    expect(ttfb?.value).toBeGreaterThanOrEqual(70);
    // The fake counts words: "be brief" + "weather in Paris?" in; six word pieces plus four thinking tokens out.
    expect(metrics.filter((m) => m.name === 'prompt_tokens').map((m) => m.value)).toEqual([5]);
    expect(metrics.filter((m) => m.name === 'completion_tokens').map((m) => m.value)).toEqual([10]);
  });

  it('sends the model, key, system instruction, turns and generation config', async () => {
    const { h } = await startService({ temperature: 0.3 });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');

    const request = fake.requests[0]!;
    expect(request.model).toBe(DEFAULT_GEMINI_MODEL);
    expect(request.apiKey).toBe('test-key');
    expect(request.body.systemInstruction?.parts).toEqual([{ text: 'be brief' }]);
    expect(request.body.contents).toEqual([{ role: 'user', parts: [{ text: 'weather in Paris?' }] }]);
    expect(request.body.tools).toBeUndefined();
    // Thinking is off by default on 2.5 Flash: it delays the first word.
    expect(request.body.generationConfig).toEqual({
      temperature: 0.3,
      thinkingConfig: { thinkingBudget: 0 },
    });
  });

  it('sends no thinking budget for other models unless one is set', async () => {
    const { h } = await startService({ model: 'gemini-2.5-pro' });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');
    expect(fake.requests[0]!.model).toBe('gemini-2.5-pro');
    expect(fake.requests[0]!.body.generationConfig?.thinkingConfig).toBeUndefined();
  });

  it('runs a requested function and sends the call and its response back in a second request', async () => {
    const { llm, h } = await startService();
    const seen: unknown[] = [];
    llm.registerFunction('get_weather', async (args) => {
      seen.push(args);
      return { city: args.city, tempC: 21 };
    });
    fake.reply(
      { text: 'Let me check.', functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }] },
      { text: 'It is 21 degrees in Paris.' },
    );
    const context = conversation();
    context.tools = [weatherTool];
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');

    expect(seen).toEqual([{ city: 'Paris' }]);
    const call = h.ofType('function_call_in_progress')[0]!.call;
    // Gemini gave no id: the service made one.
    expect(call.id).toMatch(/^gemini_call_\d+$/);
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(spoken(h)).toBe('Let me check.It is 21 degrees in Paris.');

    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: weatherTool.description,
            parametersJsonSchema: weatherTool.parameters,
          },
        ],
      },
    ]);
    // The fake refuses, as the API does, responses that do not answer the calls of the turn
    // before: a second request that got through is a valid follow-up.
    expect(fake.requests[1]!.body.contents.slice(-2)).toEqual([
      {
        role: 'model',
        parts: [{ functionCall: { id: call.id, name: 'get_weather', args: { city: 'Paris' } } }],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: call.id, name: 'get_weather', response: { city: 'Paris', tempC: 21 } } },
        ],
      },
    ]);
  });

  it("answers parallel calls in one turn, keeping Gemini's ids and sending their thought signatures back", async () => {
    const { llm, h } = await startService({ model: 'gemini-3-flash-preview' });
    llm.registerFunction('get_weather', ({ city }) => `${String(city)}: 20C`);
    llm.registerFunction('get_time', () => '10:00');
    fake.reply(
      {
        functionCalls: [
          { id: 'fc_1', name: 'get_weather', args: { city: 'Rome' }, thoughtSignature: 'c2lnLTE=' },
          { id: 'fc_2', name: 'get_time' },
        ],
      },
      { text: 'Warm, and it is ten.' },
    );
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');

    expect(h.ofType('function_call_in_progress').map((f) => f.call.id)).toEqual(['fc_1', 'fc_2']);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.body.generationConfig?.thinkingConfig).toBeUndefined();
    expect(fake.requests[1]!.body.contents.slice(-2)).toEqual([
      {
        role: 'model',
        parts: [
          {
            functionCall: { id: 'fc_1', name: 'get_weather', args: { city: 'Rome' } },
            thoughtSignature: 'c2lnLTE=',
          },
          { functionCall: { id: 'fc_2', name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'fc_1', name: 'get_weather', response: { output: 'Rome: 20C' } } },
          { functionResponse: { id: 'fc_2', name: 'get_time', response: { output: '10:00' } } },
        ],
      },
    ]);
    expect(spoken(h)).toBe('Warm, and it is ten.');
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
    expect(fake.completedRequests).toBe(0);
  });

  it("reports Google's answer to a bad key (400 API_KEY_INVALID) as a configuration error naming GEMINI_API_KEY", async () => {
    const { h } = await startService({ apiKey: 'wrong-key' });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect((error.cause as LLMConfigurationError).status).toBe(400);
    expect(error.message).toMatch(/rejected the API key.*GEMINI_API_KEY/);
    expect(fake.apiKeys).toEqual(['wrong-key']);
    expect(fake.requests).toHaveLength(0);
  });

  it.each([401, 403])('reports HTTP %i as a configuration error naming GEMINI_API_KEY', async (status) => {
    const { h } = await startService();
    fake.reply({ error: status });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect((error.cause as LLMConfigurationError).status).toBe(status);
    expect(error.message).toMatch(/GEMINI_API_KEY/);
  });

  it('reports an unknown model (404) as a configuration error naming the model', async () => {
    const { h } = await startService({ model: 'gemini-nonexistent' });
    fake.reply({ error: 404, message: 'models/gemini-nonexistent is not found for API version v1beta' });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toContain('"gemini-nonexistent"');
  });

  it.each([429, 500, 503])(
    "reports HTTP %i as a request error with its status and Google's message",
    async (status) => {
      const { h } = await startService();
      fake.reply({ error: status, message: `quota or outage ${status}` });
      h.send(frame('llm_context', { context: conversation() }));
      const error = await h.waitFor('error', { side: 'upstream' });
      expect(error.cause).toBeInstanceOf(LLMRequestError);
      expect((error.cause as LLMRequestError).status).toBe(status);
      expect(error.message).toContain(`quota or outage ${status}`);
      expect(h.ofType('llm_response_end')).toHaveLength(1);
    },
  );

  it('reports a blocked prompt as a request error naming the reason', async () => {
    const { h } = await startService();
    fake.reply({ blockReason: 'SAFETY' });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMRequestError);
    expect(error.message).toContain('Gemini blocked the prompt (SAFETY)');
    expect(h.ofType('llm_text')).toHaveLength(0);
  });

  it('retries a rate-limited request when maxRetries allows', async () => {
    const { h } = await startService({ maxRetries: 1 });
    fake.reply({ error: 429 }, { text: 'Here now.' });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end', { timeoutMs: 10_000 });
    expect(fake.requests).toHaveLength(2);
    expect(spoken(h)).toBe('Here now.');
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

  it('reports a request that outlives timeoutMs as a request error', async () => {
    const { h } = await startService({ timeoutMs: 300, responseTimeoutMs: 10_000 });
    fake.reply({ hang: true });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMRequestError);
    expect(error.message).toMatch(/did not finish in time/);
    await expect.poll(() => fake.abortedRequests, { timeout: 3000 }).toBe(1);
  });

  it('sends the key a key function gives, asking for it when a request is made', async () => {
    let asked = 0;
    const { h } = await startService({
      apiKey: async () => {
        asked++;
        return 'test-key';
      },
    });
    expect(asked).toBe(0);
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');
    expect(asked).toBe(1);
    expect(fake.apiKeys).toEqual(['test-key']);
  });

  it('reports a key function that fails as a configuration error, without a request', async () => {
    const { h } = await startService({
      apiKey: () => Promise.reject(new Error('credential "gemini" is missing')),
    });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toContain('credential "gemini" is missing');
    expect(fake.apiKeys).toHaveLength(0);
  });

  it('sends its requests through the given fetch', async () => {
    const seen: string[] = [];
    const { h } = await startService({
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');
    expect(seen).toEqual([`${fake.url}/v1beta/models/${DEFAULT_GEMINI_MODEL}:streamGenerateContent?alt=sse`]);
  });

  it('reports a target the fetch refuses (ERR_EGRESS_REFUSED) as a configuration error naming why', async () => {
    const refusal = Object.assign(new Error('localhost resolves to 127.0.0.1, a loopback address'), {
      code: 'ERR_EGRESS_REFUSED',
    });
    const { h } = await startService({
      fetch: () => Promise.reject(new TypeError('fetch failed', { cause: refusal })),
    });
    h.send(frame('llm_context', { context: conversation() }));
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toContain(
      'may not be reached: localhost resolves to 127.0.0.1, a loopback address',
    );
  });
});

describe('FakeGeminiServer', () => {
  it('refuses, as the API does, a function response that answers no call of the turn before', async () => {
    const fake = await FakeGeminiServer.start();
    try {
      const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: fake.url, apiVersion: 'v1beta' } });
      const request = ai.models.generateContentStream({
        model: DEFAULT_GEMINI_MODEL,
        contents: [
          { role: 'user', parts: [{ text: 'Hi' }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'x' } } }] },
        ],
      });
      await expect(request).rejects.toThrow(/number of function response parts/);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});

describe('GeminiLLMService configuration', () => {
  it('refuses to start without an API key, saying how to set one', () => {
    expect(() => new GeminiLLMService({ env: {} })).toThrow(LLMConfigurationError);
    expect(() => new GeminiLLMService({ env: {} })).toThrow(/set GEMINI_API_KEY/);
  });

  it("falls back to GEMINI_API_KEY, with Google's base URL and the default model", () => {
    const llm = new GeminiLLMService({ env: { GEMINI_API_KEY: 'k' } });
    expect(llm.baseUrl).toBe('https://generativelanguage.googleapis.com');
    expect(llm.model).toBe(DEFAULT_GEMINI_MODEL);
  });
});
