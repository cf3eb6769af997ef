import { frame, toolResultText } from '@parley/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { type FlowEvent, type FlowNode, goTo } from '../src/index.ts';
import { deferred, type FlowRig, startFlow, text, toolCall } from './scripted-llm.ts';

let rig: FlowRig | undefined;
afterEach(() => {
  rig?.stop();
  rig = undefined;
});

const confirmNode: FlowNode = {
  name: 'confirm',
  taskMessages: ['Read the booking back and ask for confirmation.'],
  functions: [{ name: 'confirm_booking', description: 'The caller confirmed.', handler: () => 'confirmed' }],
};

function greetNode(onCollect?: () => Promise<unknown> | unknown): FlowNode {
  return {
    name: 'greet',
    roleMessage: 'You are Ada, a booking assistant.',
    taskMessages: ['Ask for the party size.'],
    functions: [
      {
        name: 'set_party_size',
        description: 'Record the party size.',
        parameters: { type: 'object', properties: { size: { type: 'integer' } }, required: ['size'] },
        handler: async ({ size }, { flow }) => {
          await onCollect?.();
          flow.state.size = size;
          return goTo(confirmNode, { size });
        },
      },
      { name: 'lookup_menu', description: 'Read the menu.', handler: () => 'soup' },
    ],
  };
}

describe('flow transitions', () => {
  it('enters the node a function returns after its result is in the context, with that node’s tools', async () => {
    rig = await startFlow([
      [text('Hi! How many of you?')],
      [toolCall('c1', 'set_party_size', { size: 4 })],
      [text('Four, right?')],
    ]);
    const events: FlowEvent[] = [];
    rig.flow.on((e) => events.push(e));
    await rig.flow.initialize(greetNode());
    await rig.h.waitFor('llm_response_end');
    expect(rig.llm.tools[0]).toEqual(['set_party_size', 'lookup_menu']);
    expect(rig.llm.runs[0]).toEqual([
      { role: 'system', content: 'You are Ada, a booking assistant.' },
      { role: 'system', content: 'Ask for the party size.' },
    ]);

    rig.context.add({ role: 'assistant', content: 'Hi! How many of you?' });
    rig.say('Four people.');
    await rig.h.waitFor('llm_response_end', { count: 2 });

    expect(rig.flow.currentNode?.name).toBe('confirm');
    expect(rig.flow.state.size).toBe(4);
    // The follow-up run is the new node's first response: the result, then the node's task.
    expect(rig.llm.runs[2]!.slice(-3)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'set_party_size', arguments: '{"size":4}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '{"size":4}' },
      { role: 'system', content: 'Read the booking back and ask for confirmation.' },
    ]);
    expect(rig.llm.tools[2]).toEqual(['confirm_booking']);
    expect(rig.context.tools.map((t) => t.name)).toEqual(['confirm_booking']);
    expect(events.filter((e) => e.type === 'node_transition')).toEqual([
      { type: 'node_transition', from: undefined, to: 'greet', functionName: undefined },
      { type: 'node_transition', from: 'greet', to: 'confirm', functionName: 'set_party_size' },
    ]);
    expect(events.at(-1)).toEqual({ type: 'node_entered', node: 'confirm', respondImmediately: true });
  });

  it('waits for every call of the same response before moving', async () => {
    const menu = deferred<string>();
    const node: FlowNode = {
      ...greetNode(),
      functions: [
        greetNode().functions![0]!,
        { name: 'lookup_menu', description: 'Read the menu.', handler: () => menu.promise },
      ],
    };
    rig = await startFlow([
      [toolCall('c1', 'set_party_size', { size: 2 }), toolCall('c2', 'lookup_menu')],
      [text('Two, and we have soup.')],
    ]);
    await rig.flow.initialize({ ...node, respondImmediately: false });
    rig.say('Two of us. What is on the menu?');
    await rig.h.waitFor('function_call_result');
    await rig.settle();

    expect(rig.h.ofType('function_call_result').map((f) => f.toolCallId)).toEqual(['c1']);
    expect(rig.flow.currentNode?.name).toBe('greet');
    expect(rig.context.tools.map((t) => t.name)).toEqual(['set_party_size', 'lookup_menu']);
    expect(rig.llm.runs).toHaveLength(1);

    menu.resolve('soup of the day');
    await rig.h.waitFor('llm_response_end');
    expect(rig.flow.currentNode?.name).toBe('confirm');
    expect(rig.llm.runs[1]!.slice(-3)).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: '{"size":2}' },
      { role: 'tool', tool_call_id: 'c2', content: 'soup of the day' },
      { role: 'system', content: 'Read the booking back and ask for confirmation.' },
    ]);
  });

  it('lands a transition whose function was still running when the caller interrupted', async () => {
    const gate = deferred<void>();
    rig = await startFlow([[text('Let me note that. '), toolCall('c1', 'set_party_size', { size: 3 })]]);
    await rig.flow.initialize({ ...greetNode(() => gate.promise), respondImmediately: false });
    rig.say('Three.');
    await rig.h.waitFor('function_call_in_progress');
    expect(rig.h.ofType('function_call_in_progress')[0]!.cancelOnInterruption).toBe(false);

    rig.h.send(frame('interruption'));
    await rig.settle();
    gate.resolve();
    await rig.h.waitFor('function_call_result');
    await rig.settle();

    expect(rig.h.ofType('function_call_cancel')).toEqual([]);
    expect(rig.flow.currentNode?.name).toBe('confirm');
    expect(rig.context.tools.map((t) => t.name)).toEqual(['confirm_booking']);
    expect(rig.llm.runs).toHaveLength(1); // the caller has the turn: no run of its own
    // The caller's next turn is answered in the new node.
    rig.say('Actually, what did you get?');
    await rig.h.waitFor('llm_response_end');
    expect(rig.llm.tools[1]).toEqual(['confirm_booking']);
    expect(rig.llm.runs[1]!.at(-2)).toEqual({
      role: 'system',
      content: 'Read the booking back and ask for confirmation.',
    });
  });

  it('lands the transition of a cancellable function that returns after the interruption cancelled it', async () => {
    const gate = deferred<void>();
    const node: FlowNode = {
      name: 'greet',
      taskMessages: ['Ask for the party size.'],
      functions: [
        {
          name: 'set_party_size',
          description: 'Record the party size.',
          cancelOnInterruption: true,
          handler: async () => {
            await gate.promise;
            return goTo(confirmNode);
          },
        },
      ],
    };
    rig = await startFlow([[toolCall('c1', 'set_party_size', { size: 3 })]]);
    await rig.flow.initialize({ ...node, respondImmediately: false });
    rig.say('Three.');
    await rig.h.waitFor('function_call_in_progress');
    rig.h.send(frame('interruption'));
    await rig.settle();
    expect(rig.h.ofType('function_call_cancel')[0]).toMatchObject({
      toolCallId: 'c1',
      reason: 'interruption',
    });
    expect(rig.flow.currentNode?.name).toBe('greet');

    gate.resolve();
    await rig.settle();
    expect(rig.flow.currentNode?.name).toBe('confirm');
    expect(rig.context.messages.find((m) => m.role === 'tool')?.content).toBe(toolResultText.interrupted);
  });

  it('offers only the node’s and the global functions: another node’s function gets an error result', async () => {
    let confirmed = 0;
    const confirm: FlowNode = {
      ...confirmNode,
      functions: [{ name: 'confirm_booking', description: 'Confirmed.', handler: () => ++confirmed }],
    };
    const greet: FlowNode = {
      name: 'greet',
      taskMessages: ['Ask for the party size.'],
      functions: [{ name: 'set_party_size', description: 'Record it.', handler: () => goTo(confirm) }],
    };
    rig = await startFlow(
      [
        [toolCall('c1', 'confirm_booking'), toolCall('c2', 'transfer')],
        [text('Sorry.')],
        [toolCall('c3', 'set_party_size', { size: 1 }), toolCall('c4', 'transfer')],
        [text('Just you?')],
      ],
      {
        globalFunctions: [{ name: 'transfer', description: 'Transfer to a human.', handler: () => 'queued' }],
      },
    );
    await rig.flow.initialize({ ...greet, respondImmediately: false });
    rig.say('Confirm it.');
    await rig.h.waitFor('llm_response_end');
    expect(rig.llm.tools[0]).toEqual(['transfer', 'set_party_size']);
    expect(confirmed).toBe(0);
    expect(rig.h.ofType('function_call_result').map((f) => f.result)).toEqual([
      toolResultText.unknownFunction('confirm_booking'),
      'queued',
    ]);

    rig.say('One.');
    await rig.h.waitFor('llm_response_end', { count: 2 });
    expect(rig.flow.currentNode?.name).toBe('confirm');
    expect(rig.llm.tools[3]).toEqual(['transfer', 'confirm_booking']);
    rig.llm.addRuns([toolCall('c5', 'set_party_size')], [text('Hm.')]);
    rig.say('Make it two.');
    await rig.h.waitFor('llm_response_end', { count: 3 });
    expect(rig.h.ofType('function_call_result').at(-1)?.result).toBe(
      toolResultText.unknownFunction('set_party_size'),
    );
    expect(rig.flow.currentNode?.name).toBe('confirm');
  });

  it('a transition into a node that waits for the caller ends the response without a follow-up run', async () => {
    const waiting: FlowNode = {
      ...confirmNode,
      respondImmediately: false,
      postActions: [{ type: 'tts_say', text: 'Take your time.' }],
    };
    const greet: FlowNode = {
      name: 'greet',
      taskMessages: ['Ask for the party size.'],
      functions: [
        { name: 'set_party_size', description: 'Record it.', handler: () => goTo(waiting, 'noted') },
      ],
    };
    rig = await startFlow([[toolCall('c1', 'set_party_size', { size: 2 })], [text('Is that right?')]]);
    await rig.flow.initialize({ ...greet, respondImmediately: false });
    rig.say('Two.');
    await rig.h.waitFor('llm_response_end');
    await rig.settle();

    expect(rig.flow.currentNode?.name).toBe('confirm');
    expect(rig.llm.runs).toHaveLength(1); // no follow-up run: the node waits
    expect(rig.h.ofType('llm_text')).toEqual([]);
    expect(rig.context.messages.find((m) => m.role === 'tool')?.content).toBe('noted');
    // Post-actions wait for the node's first response, the answer to the caller's next turn.
    expect(rig.h.ofType('tts_speak')).toEqual([]);
    rig.say('Yes, two.');
    await rig.h.waitFor('llm_response_end', { count: 2 });
    await rig.h.waitFor('tts_speak');
    expect(rig.llm.tools[1]).toEqual(['confirm_booking']);
    expect(rig.h.ofType('llm_text').map((f) => f.text)).toEqual(['Is that right?']);
    expect(rig.h.ofType('tts_speak').map((f) => f.text)).toEqual(['Take your time.']);
  });
});
