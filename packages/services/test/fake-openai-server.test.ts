import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAIServer } from '../src/testing/index.ts';

describe('FakeOpenAIServer', () => {
  let fake: FakeOpenAIServer;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await FakeOpenAIServer.start({ apiKey: 'secret' });
    client = new OpenAI({ apiKey: 'secret', baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('answers a non-streaming completion with text', async () => {
    fake.reply({ text: 'Hello there.' });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello there.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.prompt_tokens).toBe(1);
  });

  it('answers a non-streaming completion with tool calls', async () => {
    fake.reply({ toolCalls: [{ name: 'end_call', arguments: { reason: 'done' } }] });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'bye' }],
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function).toEqual({
      name: 'end_call',
      arguments: '{"reason":"done"}',
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('streams the chunk sequence of the protocol: role, content, finish reason, usage', async () => {
    fake.reply({ text: 'a b' });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'a ' },
      { content: 'b' },
      {},
      null,
    ]);
    expect(chunks[3]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[4]?.usage).toMatchObject({ prompt_tokens: 1, total_tokens: expect.any(Number) });
  });

  it('uses the handler when nothing is queued and records every request', async () => {
    fake.setHandler((req) => ({ text: `you said ${String(req.messages.at(-1)?.content)}` }));
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'pineapple' }],
    });
    fake.setHandler(undefined);
    expect(completion.choices[0]?.message.content).toBe('you said pineapple');
    expect(fake.lastRequest?.messages).toEqual([{ role: 'user', content: 'pineapple' }]);
  });

  it('rejects a wrong API key with 401', async () => {
    const wrong = new OpenAI({ apiKey: 'nope', baseURL: fake.url, maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'm', messages: [] })).rejects.toMatchObject({
      status: 401,
    });
  });

  it('counts a stream the client abandons as aborted', async () => {
    const before = fake.abortedRequests;
    fake.reply({ text: 'one two three four five six', chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'go' }], stream: true },
      { signal: controller.signal },
    );
    let pieces = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces++;
        if (pieces === 1) controller.abort();
      }
    } catch {
      // the SDK may end the iteration quietly or throw an abort error
    }
    expect(pieces).toBe(1);
    await expect.poll(() => fake.abortedRequests).toBe(before + 1);
  });
});
