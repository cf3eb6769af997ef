import { afterEach, describe, expect, it } from 'vitest';
import {
  compileFlow,
  type FlowDefinition,
  type FlowIssue,
  FlowValidationError,
  validateFlow,
} from '../src/index.ts';
import { type FlowRig, startFlow, text, toolCall } from './scripted-llm.ts';

let rig: FlowRig | undefined;
afterEach(() => {
  rig?.stop();
  rig = undefined;
});

const BOOKING: FlowDefinition = {
  nodes: [
    {
      key: 'greet',
      initial: true,
      roleMessage: 'You are Ada.',
      taskMessages: ['Ask for the party size.'],
      functions: [
        {
          name: 'set_party_size',
          description: 'The caller said how many they are.',
          parameters: { type: 'object', properties: { size: { type: 'integer' } }, required: ['size'] },
          handler: 'save_size',
          target: 'confirm',
        },
      ],
    },
    {
      key: 'confirm',
      taskMessages: ['Confirm the booking.'],
      functions: [{ name: 'confirmed', description: 'The caller confirmed.', target: 'bye' }],
    },
    {
      key: 'bye',
      terminal: true,
      taskMessages: ['Say goodbye.'],
      postActions: [{ type: 'end_conversation', text: 'Goodbye!' }],
    },
  ],
  globalFunctions: [{ name: 'transfer', description: 'Transfer to a human.', handler: 'transfer' }],
};

const codes = (issues: FlowIssue[]) => issues.map((i) => `${i.code} ${i.path}`);

describe('validateFlow', () => {
  it('accepts a well-formed flow whose names are registered', () => {
    expect(validateFlow(BOOKING, { handlers: ['save_size', 'transfer'], actions: [] })).toEqual([]);
  });

  it('reports shape errors with their path', () => {
    const issues = validateFlow({ nodes: [{ key: 'a', taskMessages: [] }] });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'schema', severity: 'error', path: 'nodes.0.taskMessages' });
  });

  it('reports a missing initial node, an unknown target, an unreachable node and duplicate function names', () => {
    const flow: FlowDefinition = {
      nodes: [
        {
          key: 'a',
          taskMessages: ['A.'],
          functions: [
            { name: 'go', description: 'Go.', target: 'nowhere' },
            { name: 'go', description: 'Again.', target: 'b' },
            { name: 'transfer', description: 'Clash.', target: 'b' },
          ],
        },
        { key: 'b', taskMessages: ['B.'] },
        { key: 'b', taskMessages: ['B again.'] },
      ],
      globalFunctions: [{ name: 'transfer', description: 'Human.', handler: 'transfer' }],
    };
    expect(codes(validateFlow(flow))).toEqual([
      'duplicate_node nodes.b',
      'no_initial_node nodes',
      'unknown_target nodes.a.functions.go',
      'duplicate_function nodes.a.functions.go',
      'duplicate_function nodes.a.functions.transfer',
    ]);

    const withInitial = {
      ...flow,
      nodes: [{ ...flow.nodes[0]!, initial: true }, flow.nodes[1]!, { key: 'c', taskMessages: ['C.'] }],
    };
    const issues = validateFlow(withInitial);
    expect(issues.find((i) => i.code === 'unreachable_node')).toEqual({
      code: 'unreachable_node',
      severity: 'warning',
      path: 'nodes.c',
      message: 'cannot be reached from the initial node "a"',
    });
  });

  it('reports handlers and action types that are not registered', () => {
    const flow: FlowDefinition = {
      nodes: [
        {
          ...BOOKING.nodes[0]!,
          preActions: [
            { type: 'play_music' },
            { type: 'function', handler: 'log_start' },
            { type: 'tts_say' },
          ],
        },
        ...BOOKING.nodes.slice(1),
      ],
      globalFunctions: BOOKING.globalFunctions!,
    };
    expect(validateFlow(flow, { handlers: ['transfer'], actions: [] })).toEqual([
      {
        code: 'unregistered_handler',
        severity: 'error',
        path: 'nodes.greet.functions.set_party_size',
        message: 'its handler "save_size" is not registered',
      },
      expect.objectContaining({ code: 'unregistered_action', path: 'nodes.greet.preActions.0' }),
      expect.objectContaining({ code: 'unregistered_action', path: 'nodes.greet.preActions.1' }),
      expect.objectContaining({ code: 'action_without_text', path: 'nodes.greet.preActions.2' }),
    ]);
  });

  it("reports functions' parameters that are not a usable JSON Schema, at the node's function", () => {
    const greet = BOOKING.nodes[0]!;
    const flow: FlowDefinition = {
      ...BOOKING,
      nodes: [
        {
          ...greet,
          functions: [
            { ...greet.functions![0]!, parameters: { type: 'banana' } },
            {
              name: 'pick_time',
              description: 'The caller picked a time.',
              target: 'confirm',
              parameters: { type: 'object', properties: { when: { type: 'banana' } }, required: 'when' },
            },
            {
              name: 'pick_table',
              description: 'The caller picked a table.',
              target: 'confirm',
              parameters: { type: 'object', properties: { table: { $ref: '#/definitions/nowhere' } } },
            },
            {
              name: 'pick_seat',
              description: 'The caller picked a seat.',
              target: 'confirm',
              parameters: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
            },
            {
              name: 'pick_dish',
              description: 'The caller picked dishes (a draft 2020-12 schema, which is fine).',
              target: 'confirm',
              parameters: {
                $schema: 'https://json-schema.org/draft/2020-12/schema',
                type: 'object',
                properties: { dishes: { type: 'array', prefixItems: [{ type: 'string' }] } },
              },
            },
          ],
        },
        ...BOOKING.nodes.slice(1),
      ],
      globalFunctions: [
        { name: 'transfer', description: 'Transfer to a human.', handler: 'transfer', parameters: {} },
      ],
    };
    const issues = validateFlow(flow, { handlers: ['save_size', 'transfer'], actions: [] });
    expect(issues.every((i) => i.code === 'bad_parameters' && i.severity === 'error')).toBe(true);
    const lines = issues.map((i) => `${i.path}: ${i.message}`);
    expect(lines).toContain(
      'globalFunctions.transfer.parameters.type: not a usable JSON Schema: must be "object" (the arguments are an object)',
    );
    expect(lines).toContain(
      'nodes.greet.functions.set_party_size.parameters.type: not a usable JSON Schema: must be "object" (the arguments are an object)',
    );
    expect(lines.filter((l) => l.startsWith('nodes.greet.functions.pick_time.'))).toEqual([
      'nodes.greet.functions.pick_time.parameters.required: not a usable JSON Schema: must be array',
      'nodes.greet.functions.pick_time.parameters.properties.when.type: not a usable JSON Schema: must be equal to one of the allowed values: array, boolean, integer, null, number, object, string',
    ]);
    expect(lines).toContain(
      'nodes.greet.functions.pick_seat.parameters.$schema: not a usable JSON Schema: must be JSON Schema draft-07 or 2020-12 (or left out: draft-07)',
    );
    expect(lines.some((l) => l.includes('pick_dish'))).toBe(false);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^nodes\.greet\.functions\.pick_table\.parameters: not a usable JSON Schema: can't resolve reference/,
      ),
    );
    expect(() => compileFlow(flow, { functions: { save_size: () => ({}), transfer: () => ({}) } })).toThrow(
      FlowValidationError,
    );
    // The same functions with usable schemas pass.
    expect(validateFlow(BOOKING, { handlers: ['save_size', 'transfer'], actions: [] })).toEqual([]);
  });
});

describe('compileFlow', () => {
  it('refuses a flow with errors', () => {
    expect(() => compileFlow(BOOKING, { functions: {} })).toThrow(FlowValidationError);
  });

  it("adds a host's functions to their nodes after validation, refusing a name already taken", () => {
    const functions = { save_size: () => ({}), transfer: () => ({}) };
    // A tool's schema is its owner's business: a dialect the stored-flow check refuses is kept.
    const lookup = {
      name: 'lookup_menu',
      description: 'Look the menu up.',
      parameters: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
      handler: () => 'soup',
    };
    const flow = compileFlow(BOOKING, { functions, nodeFunctions: { confirm: [lookup] } });
    expect(flow.nodes.get('confirm')!.functions!.map((f) => f.name)).toEqual(['confirmed', 'lookup_menu']);
    expect(flow.nodes.get('greet')!.functions!.map((f) => f.name)).toEqual(['set_party_size']);

    for (const name of ['confirmed', 'transfer']) {
      let error: unknown;
      try {
        compileFlow(BOOKING, { functions, nodeFunctions: { confirm: [{ ...lookup, name }] } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues).toEqual([
        expect.objectContaining({ code: 'duplicate_function', path: `nodes.confirm.functions.${name}` }),
      ]);
    }
  });

  it('runs a stored flow: named handlers give the result, targets move the flow, actions end the call', async () => {
    const saved: unknown[] = [];
    const flow = compileFlow(BOOKING, {
      functions: {
        save_size: ({ size }, { flow }) => {
          flow.state.size = size;
          saved.push(size);
          return { saved: true };
        },
        transfer: () => 'no humans today',
      },
    });
    rig = await startFlow(
      [
        [text('How many?')],
        [toolCall('c1', 'set_party_size', { size: 5 })],
        [text('Five, correct?')],
        [toolCall('c2', 'confirmed')],
        [text('Booked.')],
      ],
      { globalFunctions: flow.globalFunctions },
    );
    await rig.flow.initialize(flow.initial);
    await rig.h.waitFor('llm_response_end');
    expect(rig.llm.tools[0]).toEqual(['transfer', 'set_party_size']);

    rig.say('Five.');
    await rig.h.waitFor('llm_response_end', { count: 2 });
    expect(saved).toEqual([5]);
    expect(rig.context.messages.find((m) => m.role === 'tool')?.content).toBe('{"saved":true}');
    expect(rig.flow.currentNode?.name).toBe('confirm');

    rig.say('Yes.');
    const end = await rig.h.waitFor('end_task', { side: 'upstream' });
    expect(end.reason).toBe('flow_ended_conversation');
    expect(rig.flow.currentNode?.name).toBe('bye');
    // The goodbye queues behind the node's response; the task's end frame drains behind it.
    await rig.h.waitFor('tts_speak');
    expect(rig.h.ofType('tts_speak').map((f) => f.text)).toEqual(['Goodbye!']);
  });
});
