import type { LLMMessage } from '@parley/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ContextStrategy,
  type FlowEvent,
  FlowManager,
  type FlowNode,
  goTo,
  llmSummariser,
  type Summariser,
} from '../src/index.ts';
import { type FlowRig, startFlow, text, toolCall } from './scripted-llm.ts';

let rig: FlowRig | undefined;
afterEach(() => {
  rig?.stop();
  rig = undefined;
});

const PERSONA = { role: 'system', content: 'You are Ada.' } as const;

function nextNode(contextStrategy: ContextStrategy): FlowNode {
  return { name: 'pay', taskMessages: ['Take the payment.'], contextStrategy };
}

/** Starts in `intro`, the caller says one thing, and the LLM calls `next`, which moves to `pay`. */
async function moveWith(contextStrategy: ContextStrategy, summariser?: Summariser): Promise<FlowRig> {
  const intro: FlowNode = {
    name: 'intro',
    roleMessage: PERSONA.content,
    taskMessages: ['Greet the caller.'],
    respondImmediately: false,
    functions: [{ name: 'next', description: 'Go on.', handler: () => goTo(nextNode(contextStrategy)) }],
  };
  const r = await startFlow([[toolCall('c1', 'next')], [text('How will you pay?')]], {
    ...(summariser ? { summariser } : {}),
    summaryTimeoutMs: 5000,
  });
  rig = r;
  await r.flow.initialize(intro);
  r.say('I want to pay.');
  return r;
}

function injected(events: FlowEvent[]): Extract<FlowEvent, { type: 'context_injected' }> {
  return events.filter((e) => e.type === 'context_injected').at(-1) as Extract<
    FlowEvent,
    { type: 'context_injected' }
  >;
}

describe('context strategies', () => {
  it('append keeps the conversation and adds the node’s task messages', async () => {
    const r = await moveWith({ strategy: 'append' });
    await r.h.waitFor('llm_response_end');
    const run = r.llm.runs[1]!;
    expect(run[0]).toEqual(PERSONA);
    expect(run.map((m) => m.role)).toEqual(['system', 'system', 'user', 'assistant', 'tool', 'system']);
    expect(run.at(-1)).toEqual({ role: 'system', content: 'Take the payment.' });
  });

  it('reset keeps only the persona and the node’s task messages', async () => {
    const r = await moveWith({ strategy: 'reset' });
    await r.h.waitFor('llm_response_end');
    expect(r.llm.runs[1]).toEqual([PERSONA, { role: 'system', content: 'Take the payment.' }]);
  });

  it('a node with a new role message swaps the persona in place', async () => {
    rig = await startFlow([]);
    await rig.flow.initialize({
      name: 'a',
      roleMessage: 'You are Ada.',
      taskMessages: ['A.'],
      respondImmediately: false,
    });
    rig.context.add({ role: 'user', content: 'hi' });
    await rig.flow.setNode({
      name: 'b',
      roleMessage: 'You are Bo.',
      taskMessages: ['B.'],
      respondImmediately: false,
    });
    expect(rig.context.messages).toEqual([
      { role: 'system', content: 'You are Bo.' },
      { role: 'system', content: 'A.' },
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'B.' },
    ]);
  });

  it('reset_with_summary puts the summary of the conversation so far between persona and task', async () => {
    const asked: { messages: readonly LLMMessage[]; prompt: string }[] = [];
    const events: FlowEvent[] = [];
    const r = await moveWith(
      { strategy: 'reset_with_summary', summaryPrompt: 'Summarise the order.' },
      async (req) => {
        asked.push(req);
        return 'The caller wants to pay.';
      },
    );
    r.flow.on((e) => events.push(e));
    await r.h.waitFor('llm_response_end');
    expect(asked[0]!.prompt).toBe('Summarise the order.');
    expect(asked[0]!.messages).toContainEqual({ role: 'user', content: 'I want to pay.' });
    expect(r.llm.runs[1]).toEqual([
      PERSONA,
      { role: 'system', content: 'Summary of the conversation so far:\nThe caller wants to pay.' },
      { role: 'system', content: 'Take the payment.' },
    ]);
    expect(injected(events)).toMatchObject({
      strategy: 'reset_with_summary',
      requested: 'reset_with_summary',
    });
  });

  it('reset_with_summary falls back to append when the summariser fails', async () => {
    const events: FlowEvent[] = [];
    const r = await moveWith({ strategy: 'reset_with_summary', summaryPrompt: 'Summarise.' }, async () => {
      throw new Error('model overloaded');
    });
    r.flow.on((e) => events.push(e));
    await r.h.waitFor('llm_response_end');
    expect(r.llm.runs[1]!.map((m) => m.role)).toEqual([
      'system',
      'system',
      'user',
      'assistant',
      'tool',
      'system',
    ]);
    expect(injected(events)).toMatchObject({
      strategy: 'append',
      requested: 'reset_with_summary',
      summaryError: 'model overloaded',
    });
  });

  it('reset_with_summary falls back to append when the summary takes longer than its time limit', async () => {
    const signals: AbortSignal[] = [];
    const events: FlowEvent[] = [];
    const r = await moveWith(
      { strategy: 'reset_with_summary', summaryPrompt: 'Summarise.' },
      ({ signal }) => {
        signals.push(signal);
        return new Promise<string>(() => {});
      },
    );
    r.flow.on((e) => events.push(e));
    await r.h.waitFor('function_call_in_progress');
    await r.clock.advance(4999);
    expect(r.flow.currentNode?.name).toBe('intro');
    expect(r.llm.runs).toHaveLength(1);

    await r.clock.advance(1);
    await r.h.waitFor('llm_response_end');
    expect(r.flow.currentNode?.name).toBe('pay');
    expect(signals[0]!.aborted).toBe(true);
    expect(r.llm.runs[1]!.at(-1)).toEqual({ role: 'system', content: 'Take the payment.' });
    expect(r.llm.runs[1]!).toContainEqual({ role: 'user', content: 'I want to pay.' });
    expect(injected(events)).toMatchObject({ strategy: 'append', summaryError: 'timed out after 5000 ms' });
  });

  it('setNode with reset_with_summary waits for the summary before the node’s LLM run', async () => {
    rig = await startFlow([[text('Paying now.')]], { summariser: async () => 'Wants to pay.' });
    await rig.flow.initialize({ name: 'a', taskMessages: ['A.'], respondImmediately: false });
    rig.context.add({ role: 'user', content: 'pay please' });
    await rig.flow.setNode(nextNode({ strategy: 'reset_with_summary', summaryPrompt: 'Summarise.' }));
    await rig.h.waitFor('llm_response_end');
    expect(rig.llm.runs[0]).toEqual([
      { role: 'system', content: 'Summary of the conversation so far:\nWants to pay.' },
      { role: 'system', content: 'Take the payment.' },
    ]);
  });

  it('llmSummariser makes the summary with the call’s LLM, without tools or frames', async () => {
    const intro: FlowNode = {
      name: 'intro',
      roleMessage: PERSONA.content,
      taskMessages: ['Greet the caller.'],
      respondImmediately: false,
      functions: [
        {
          name: 'next',
          description: 'Go on.',
          handler: () =>
            goTo(nextNode({ strategy: 'reset_with_summary', summaryPrompt: 'Summarise briefly.' })),
        },
      ],
    };
    const r = await startFlow([
      [toolCall('c1', 'next', { why: 'pay' })],
      [text('The caller '), text('wants to pay.')],
      [text('How will you pay?')],
    ]);
    rig = r;
    const flow = new FlowManager({ llm: r.llm, context: r.context, summariser: llmSummariser(r.llm) });
    r.flow.dispose();
    await flow.initialize(intro);
    r.say('I want to pay.');
    await r.h.waitFor('llm_response_end');
    flow.dispose();

    expect(r.llm.runs[1]).toEqual([
      { role: 'system', content: 'Summarise briefly.' },
      {
        role: 'user',
        content:
          'The conversation so far:\nuser: I want to pay.\ncalled next({"why":"pay"})\nresult of next: {"status":"in progress","note":"the result is not known yet"}',
      },
    ]);
    expect(r.llm.tools[1]).toEqual([]);
    expect(r.llm.runs[2]).toEqual([
      PERSONA,
      { role: 'system', content: 'Summary of the conversation so far:\nThe caller wants to pay.' },
      { role: 'system', content: 'Take the payment.' },
    ]);
    // Only the node's answer reached the pipeline.
    expect(r.h.ofType('llm_text').map((f) => f.text)).toEqual(['How will you pay?']);
  });
});
