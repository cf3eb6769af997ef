import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Weather } from '../tools-bot/tools.ts';
import { startToolsBot } from '../tools-bot/tools-bot.ts';

describe('the tools bot example', () => {
  let llm: FakeOpenAIServer;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start();
  });

  afterAll(async () => {
    await llm?.close();
  });

  it('runs get_weather when the model calls it and replies with the result', async () => {
    const asked: string[] = [];
    const bot = startToolsBot({
      llm: { apiKey: 'test', baseUrl: llm.url },
      getWeather: (city): Weather => {
        asked.push(city);
        return { city, condition: 'rain', temperatureC: 12 };
      },
    });
    const before = llm.requests.length;
    llm.reply(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is raining in Paris, 12 degrees.' },
    );

    expect(await bot.say('What is the weather in Paris?')).toBe('It is raining in Paris, 12 degrees.');
    expect(asked).toEqual(['Paris']);
    const [first, second] = llm.requests.slice(before);
    // The model was offered both tools, with their JSON Schemas.
    expect(first!.tools?.map((t) => t.function.name)).toEqual(['get_weather', 'end_call']);
    expect(first!.tools?.[0]?.function.parameters).toMatchObject({ required: ['city'] });
    // …and got the function's result back before answering.
    const result = second!.messages.find((m) => m.role === 'tool');
    expect(JSON.parse(String(result?.content))).toEqual({
      city: 'Paris',
      condition: 'rain',
      temperatureC: 12,
    });

    // The reply is part of the conversation for the next turn.
    llm.reply({ text: 'You are welcome.' });
    expect(await bot.say('Thanks.')).toBe('You are welcome.');
    expect(llm.lastRequest!.messages.map((m) => m.content)).toContain('It is raining in Paris, 12 degrees.');
    await expect(bot.close()).resolves.toEqual({ how: 'end', reason: 'closed' });
  });

  it('ends the session when the model calls end_call, after saying goodbye', async () => {
    const bot = startToolsBot({ llm: { apiKey: 'test', baseUrl: llm.url } });
    llm.reply({ toolCalls: [{ name: 'end_call' }] }, { text: 'Goodbye!' });

    expect(await bot.say("That's all, bye.")).toBe('Goodbye!');
    await expect(bot.ended).resolves.toEqual({ how: 'end', reason: 'bot_ended_call' });
    expect(await bot.say('Hello?')).toBeUndefined();
  });

  it('rejects a turn when the LLM rejects the API key', async () => {
    const bot = startToolsBot({ llm: { apiKey: 'test', baseUrl: llm.url, maxRetries: 0 } });
    llm.reply({ error: 401 });
    await expect(bot.say('Hi')).rejects.toThrow(/rejected the API key/);
    await bot.close();
  });
});
