import type { ToolDefinition } from '@parley/pipeline';
import { describe, expect, it } from 'vitest';
import { CALL_START_TEXT, toGeminiConversation, toGeminiTools } from '../src/index.ts';

const weatherTool: ToolDefinition = {
  name: 'get_weather',
  description: 'Get the weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('toGeminiConversation', () => {
  it('puts the leading system messages in systemInstruction and sends assistant turns as model turns', () => {
    const { systemInstruction, contents } = toGeminiConversation([
      { role: 'system', content: 'You are a receptionist.' },
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello, how can I help?', interrupted: true },
      { role: 'user', content: 'Book a table' },
    ]);
    expect(systemInstruction).toBe('You are a receptionist.\n\nBe brief.');
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello, how can I help?' }] },
      { role: 'user', parts: [{ text: 'Book a table' }] },
    ]);
  });

  it('gives an empty conversation no turns and no system instruction', () => {
    expect(toGeminiConversation([])).toEqual({ systemInstruction: undefined, contents: [] });
    expect(toGeminiConversation([{ role: 'system', content: 'Be brief.' }])).toEqual({
      systemInstruction: 'Be brief.',
      contents: [],
    });
  });

  it('turns a mid-call system message into user text at its place', () => {
    const { systemInstruction, contents } = toGeminiConversation([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'system', content: 'The caller has been quiet: ask if they are still there.' },
    ]);
    expect(systemInstruction).toBeUndefined();
    expect(contents.at(-1)).toEqual({
      role: 'user',
      parts: [{ text: 'The caller has been quiet: ask if they are still there.' }],
    });
  });

  it('merges consecutive turns of one role, leaving out empty texts', () => {
    const { contents } = toGeminiConversation([
      { role: 'user', content: 'Hello' },
      { role: 'user', content: 'are you there?' },
      { role: 'assistant', content: '' },
      { role: 'assistant', content: 'Yes.' },
      { role: 'assistant', content: null },
      { role: 'user', content: '' },
      { role: 'user', content: 'Good.' },
    ]);
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'Hello' }, { text: 'are you there?' }] },
      { role: 'model', parts: [{ text: 'Yes.' }] },
      { role: 'user', parts: [{ text: 'Good.' }] },
    ]);
  });

  it('opens with a short user turn when the bot spoke first', () => {
    const { contents } = toGeminiConversation([
      { role: 'system', content: 'Greet the caller.' },
      { role: 'assistant', content: 'Thanks for calling!' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
    expect(contents[0]).toEqual({ role: 'user', parts: [{ text: CALL_START_TEXT }] });
  });

  it('sends tool calls as functionCall parts and their results as a user turn of functionResponse parts only', () => {
    const { contents } = toGeminiConversation([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'call_a',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: 'not json' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '{"city":"Paris","tempC":21}' },
      { role: 'tool', tool_call_id: 'call_b', content: '10:00' },
      { role: 'user', content: 'Thanks' },
    ]);
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { text: 'Let me check.' },
          { functionCall: { id: 'call_a', name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { id: 'call_b', name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'call_a', name: 'get_weather', response: { city: 'Paris', tempC: 21 } } },
          { functionResponse: { id: 'call_b', name: 'get_time', response: { output: '10:00' } } },
        ],
      },
      // Gemini wants exactly one response part per call part: the caller's words come apart.
      { role: 'user', parts: [{ text: 'Thanks' }] },
    ]);
  });

  it('keeps an error result as Gemini\'s "error" key and wraps results that are not objects in "output"', () => {
    const { contents } = toGeminiConversation([
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'b', arguments: '{}' } },
          { id: 'c3', type: 'function', function: { name: 'c', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '{"error":"the function failed"}' },
      { role: 'tool', tool_call_id: 'c2', content: '[1,2]' },
      { role: 'tool', tool_call_id: 'c3', content: '42' },
    ]);
    expect(contents.at(-1)?.parts?.map((p) => p.functionResponse?.response)).toEqual([
      { error: 'the function failed' },
      { output: [1, 2] },
      { output: 42 },
    ]);
  });

  it('leaves out a tool result whose call is not in the context', () => {
    const { contents } = toGeminiConversation([
      { role: 'user', content: 'Hi' },
      { role: 'tool', tool_call_id: 'call_gone', content: 'stale' },
      { role: 'assistant', content: 'Hello.' },
    ]);
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello.' }] },
    ]);
  });

  it('sends back the thought signature of a call it is given', () => {
    const { contents } = toGeminiConversation(
      [
        { role: 'user', content: 'Go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } },
            { id: 'c2', type: 'function', function: { name: 'b', arguments: '{}' } },
          ],
        },
      ],
      { thoughtSignature: (id) => (id === 'c1' ? 'sig-1' : undefined) },
    );
    expect(contents[1]?.parts).toEqual([
      { functionCall: { id: 'c1', name: 'a', args: {} }, thoughtSignature: 'sig-1' },
      { functionCall: { id: 'c2', name: 'b', args: {} } },
    ]);
  });
});

describe('toGeminiTools', () => {
  it('declares the tools as one tool of function declarations with JSON-schema parameters', () => {
    expect(toGeminiTools([weatherTool])).toEqual([
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
    expect(toGeminiTools([])).toBeUndefined();
  });
});
