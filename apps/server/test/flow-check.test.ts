import { describe, expect, it } from 'vitest';
import { checkStoredFlow } from '../src/flows/flow-check.ts';

const definition = {
  nodes: [
    {
      key: 'greet',
      initial: true,
      taskMessages: ['Greet.'],
      toolIds: ['crm-lookup', 'weather'],
      preActions: [{ type: 'function', handler: 'warm_up' }],
    },
  ],
};

describe('the server’s checks of a stored flow', () => {
  it('refuses tool ids that are not stored tools, with the node’s path', () => {
    const issues = checkStoredFlow(definition, new Set(['crm-lookup']));
    expect(issues.filter((i) => i.code === 'unknown_tool')).toEqual([
      {
        code: 'unknown_tool',
        severity: 'error',
        path: 'nodes.greet.toolIds',
        message: 'the tool "weather" does not exist',
      },
    ]);
  });

  it('accepts every tool id while there is no tool store, but no action handler the server lacks', () => {
    const issues = checkStoredFlow(definition, 'any');
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['unregistered_action', 'nodes.greet.preActions.0'],
    ]);
  });
});
