import { frame, LLMContext, ProcessorHarness, toolResultText, VirtualClock } from '@parley/pipeline';
import { describe, expect, it } from 'vitest';
import { FlowError, FlowManager, type FlowNode } from '../src/index.ts';
import { ScriptedLLM, startFlow, text, toolCall } from './scripted-llm.ts';

const node: FlowNode = {
  name: 'a',
  taskMessages: ['A.'],
  functions: [{ name: 'ping', description: 'Ping.', handler: () => 'pong' }],
};

describe('the flow manager’s lifecycle', () => {
  it('initialize waits for the LLM service to start before running the node', async () => {
    const llm = new ScriptedLLM([[text('Hello.')]]);
    const h = new ProcessorHarness(llm);
    const context = new LLMContext();
    const flow = new FlowManager({ llm, context });
    const initialized = flow.initialize(node);
    await new Promise((r) => setImmediate(r));
    expect(flow.currentNode).toBeUndefined();

    await h.start({}, {}, new VirtualClock());
    await initialized;
    await h.waitFor('llm_response_end');
    expect(flow.currentNode?.name).toBe('a');
    expect(llm.runs).toEqual([[{ role: 'system', content: 'A.' }]]);
    h.send(frame('cancel', { reason: 'test over' }));
    flow.dispose();
    h.dispose();
  });

  it('refuses a second initialize and a setNode before initialize', async () => {
    const rig = await startFlow([]);
    await expect(rig.flow.setNode(node)).rejects.toThrow(FlowError);
    await rig.flow.initialize({ ...node, respondImmediately: false });
    await expect(rig.flow.initialize(node)).rejects.toThrow(/initialized already/);
    await expect(rig.flow.setNode({ name: 'empty', taskMessages: [] })).rejects.toThrow(/no task messages/);
    rig.stop();
  });

  it('dispose unregisters the flow’s functions', async () => {
    const rig = await startFlow([[toolCall('c1', 'ping')], [text('No ping.')]]);
    await rig.flow.initialize({ ...node, respondImmediately: false });
    rig.flow.dispose();
    rig.say('Ping?');
    await rig.h.waitFor('llm_response_end');
    expect(rig.h.ofType('function_call_result')[0]!.result).toBe(toolResultText.unknownFunction('ping'));
    rig.stop();
  });
});
