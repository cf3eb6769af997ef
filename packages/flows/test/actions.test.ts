import { type Frame, frame } from '@parley/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { type FlowAction, FlowActionError, type FlowNode, goTo } from '../src/index.ts';
import { type FlowRig, startFlow, text, toolCall } from './scripted-llm.ts';

let rig: FlowRig | undefined;
afterEach(() => {
  rig?.stop();
  rig = undefined;
});

/** What came out downstream, as `type` or `type:text` for the frames that carry speech. */
function spoken(frames: readonly Frame[]): string[] {
  return frames.flatMap((f) => {
    if (f.type === 'llm_text' || f.type === 'tts_speak') return [`${f.type}:${f.text}`];
    if (f.type === 'llm_response_start' || f.type === 'llm_response_end' || f.type === 'function_call_result')
      return [f.type];
    return [];
  });
}

function startNode(next: FlowNode): FlowNode {
  return {
    name: 'start',
    taskMessages: ['Ask what the caller wants.'],
    respondImmediately: false,
    functions: [{ name: 'next', description: 'Go on.', handler: () => goTo(next) }],
  };
}

describe('pre- and post-actions', () => {
  it('on a transition: pre-action speech after what was said, post-action speech after the node’s response', async () => {
    const next: FlowNode = {
      name: 'check',
      taskMessages: ['Check the order.'],
      preActions: [{ type: 'tts_say', text: 'One moment.' }],
      postActions: [{ type: 'tts_say', text: 'Anything else?' }],
    };
    rig = await startFlow([[text('Sure. '), toolCall('c1', 'next')], [text('Your order is ready.')]]);
    await rig.flow.initialize(startNode(next));
    rig.say('Check my order.');
    await rig.h.waitFor('tts_speak', { count: 2 });
    expect(spoken(rig.h.downstream)).toEqual([
      'llm_response_start',
      'llm_text:Sure. ',
      'function_call_result',
      'tts_speak:One moment.',
      'llm_text:Your order is ready.',
      'llm_response_end',
      'tts_speak:Anything else?',
    ]);
  });

  it('on initialize: pre-actions before the node’s first response, post-actions after it', async () => {
    rig = await startFlow([[text('How can I help?')]]);
    await rig.flow.initialize({
      name: 'hello',
      taskMessages: ['Greet.'],
      preActions: [{ type: 'tts_say', text: 'Welcome to Ada’s.' }],
      postActions: [{ type: 'tts_say', text: 'Calls are recorded.' }],
    });
    await rig.h.waitFor('tts_speak', { count: 2 });
    expect(spoken(rig.h.downstream)).toEqual([
      'tts_speak:Welcome to Ada’s.',
      'llm_response_start',
      'llm_text:How can I help?',
      'llm_response_end',
      'tts_speak:Calls are recorded.',
    ]);
  });

  it('a node that does not respond immediately runs no LLM and keeps its post-actions for its first response', async () => {
    rig = await startFlow([[text('Hello there.')]]);
    await rig.flow.initialize({
      name: 'wait',
      taskMessages: ['Wait for the caller.'],
      respondImmediately: false,
      postActions: [{ type: 'tts_say', text: 'Later.' }],
    });
    await rig.settle();
    expect(rig.llm.runs).toHaveLength(0);
    expect(rig.h.ofType('tts_speak')).toEqual([]);
    rig.say('Hi.');
    await rig.h.waitFor('tts_speak');
    expect(spoken(rig.h.downstream)).toEqual([
      'llm_response_start',
      'llm_text:Hello there.',
      'llm_response_end',
      'tts_speak:Later.',
    ]);
  });

  it('a function action runs once the bot stopped speaking what was queued before it', async () => {
    const ran: string[] = [];
    rig = await startFlow([[text('Bye for now.')]]);
    await rig.flow.initialize({
      name: 'bye',
      taskMessages: ['Say goodbye.'],
      postActions: [
        { type: 'tts_say', text: 'Thanks for calling.' },
        { type: 'function', handler: (_action, flow) => void ran.push(String(flow.currentNode?.name)) },
      ],
    });
    await rig.h.waitFor('tts_speak');
    await rig.settle();
    expect(ran).toEqual([]);
    rig.h.send(frame('bot_stopped_speaking'), 'upstream');
    await rig.settle();
    expect(ran).toEqual(['bye']);
  });

  it('end_conversation says goodbye after the response and asks the task to end', async () => {
    rig = await startFlow([[text('Your table is booked.')]]);
    await rig.flow.initialize({
      name: 'done',
      taskMessages: ['Confirm the booking.'],
      postActions: [
        { type: 'end_conversation', text: 'Goodbye!', reason: 'booking_done' },
        { type: 'tts_say', text: 'Never said.' },
      ],
    });
    const end = await rig.h.waitFor('end_task', { side: 'upstream' });
    await rig.h.waitFor('tts_speak');
    await rig.settle();
    expect(end.reason).toBe('booking_done');
    expect(spoken(rig.h.downstream)).toEqual([
      'llm_response_start',
      'llm_text:Your table is booked.',
      'llm_response_end',
      'tts_speak:Goodbye!',
    ]);
  });

  it('runs custom actions registered by type, and reports an unknown type as an error frame', async () => {
    const seen: FlowAction[] = [];
    rig = await startFlow([], { actions: { notify: (action) => void seen.push(action) } });
    await rig.flow.initialize({
      name: 'a',
      taskMessages: ['A.'],
      respondImmediately: false,
      preActions: [
        { type: 'notify', channel: 'sms' },
        { type: 'beam_me_up' },
        { type: 'tts_say', text: 'Not reached.' },
      ],
    });
    expect(seen).toEqual([{ type: 'notify', channel: 'sms' }]);
    const error = rig.h.ofType('error', 'upstream')[0]!;
    expect(error.fatal).toBe(false);
    expect(error.cause).toBeInstanceOf(FlowActionError);
    expect(error.cause).toMatchObject({ actionType: 'beam_me_up', node: 'a' });
    expect(rig.h.ofType('tts_speak')).toEqual([]);
    expect(rig.flow.currentNode?.name).toBe('a');
  });
});
