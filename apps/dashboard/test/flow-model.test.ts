import { describe, expect, it } from 'vitest';
import {
  addNode,
  connect,
  disconnect,
  EMPTY_FLOW,
  edgeId,
  issuesByNode,
  keepCanvasState,
  layoutFlow,
  moveNode,
  NODE_SIZE,
  removeNode,
  renameNode,
  setInitial,
  toCanvasEdges,
  toCanvasNodes,
  toStored,
} from '../src/pages/flows/model.ts';
import type { FlowDefinition } from '../src/pages/flows/types.ts';

/** greet → order → bye, plus a global function back to greet. */
const flow: FlowDefinition = {
  nodes: [
    {
      key: 'greet',
      initial: true,
      position: { x: 0, y: 0 },
      taskMessages: ['Greet the caller.'],
      functions: [{ name: 'to_order', description: 'Wants to order.', target: 'order' }],
    },
    {
      key: 'order',
      position: { x: 300, y: 0 },
      taskMessages: ['Take the order.'],
      functions: [
        { name: 'done', description: 'Order complete.', target: 'bye' },
        { name: 'lookup', description: 'Look a dish up.', handler: 'menu', target: 'bye' },
      ],
    },
    { key: 'bye', terminal: true, taskMessages: ['Thank the caller.'] },
  ],
  globalFunctions: [{ name: 'restart', description: 'Start again.', target: 'greet' }],
};

describe('flow model: definition ↔ canvas', () => {
  it('draws a node per flow node and an edge per transition function', () => {
    const nodes = toCanvasNodes(flow);
    expect(nodes.map((n) => n.id)).toEqual(['greet', 'order', 'bye']);
    expect(nodes[0]?.position).toEqual({ x: 0, y: 0 });
    expect(nodes[2]?.data.node.terminal).toBe(true);
    const edges = toCanvasEdges(flow);
    expect(edges.map((e) => [e.source, e.target, e.label])).toEqual([
      ['greet', 'order', 'to_order'],
      ['order', 'bye', 'done'],
      ['order', 'bye', 'lookup'],
    ]);
    expect(new Set(edges.map((e) => e.id)).size).toBe(3);
  });

  it('draws no edge for a target that is not a node', () => {
    const broken = connect(flow, 'greet', 'bye').definition;
    const withGhost = renameNode(broken, 'bye', 'farewell');
    const removed = { ...withGhost, nodes: withGhost.nodes.filter((n) => n.key !== 'farewell') };
    expect(toCanvasEdges(removed).map((e) => e.target)).toEqual(['order']);
  });

  it('places nodes without a position on a grid, apart from each other', () => {
    const nodes = toCanvasNodes({
      nodes: [1, 2, 3, 4, 5].map((i) => ({ key: `n${i}`, taskMessages: ['x'] })),
    });
    const spots = new Set(nodes.map((n) => `${n.position.x},${n.position.y}`));
    expect(spots.size).toBe(5);
  });

  it('keeps measured sizes and selection when nodes are rebuilt', () => {
    const before = toCanvasNodes(flow).map((n) =>
      n.id === 'order' ? { ...n, measured: { width: 220, height: 96 }, selected: true } : n,
    );
    const after = keepCanvasState(before, toCanvasNodes(moveNode(flow, 'order', { x: 10, y: 20 })));
    const order = after.find((n) => n.id === 'order');
    expect(order?.measured).toEqual({ width: 220, height: 96 });
    expect(order?.selected).toBe(true);
    expect(order?.position).toEqual({ x: 10, y: 20 });
  });

  it('round-trips to the stored form, dropping what the editor left empty', () => {
    const edited: FlowDefinition = {
      nodes: [{ key: 'a', roleMessage: '', taskMessages: ['Hi'], functions: [], toolIds: [], initial: true }],
      globalFunctions: [],
    };
    expect(toStored(edited)).toEqual({ nodes: [{ key: 'a', taskMessages: ['Hi'], initial: true }] });
    expect(toStored(flow)).toEqual(flow);
  });
});

describe('flow model: edits', () => {
  it('adds nodes with free keys; the first one is initial', () => {
    const one = addNode(EMPTY_FLOW);
    expect(one.key).toBe('node');
    expect(one.definition.nodes[0]).toMatchObject({ key: 'node', initial: true, taskMessages: [''] });
    const two = addNode(one.definition);
    expect(two.key).toBe('node_2');
    expect(two.definition.nodes[1]?.initial).toBeUndefined();
    expect(two.definition.nodes[1]?.position?.x).toBeGreaterThan(NODE_SIZE.width);
  });

  it('connects two nodes with a new function named after the target, once', () => {
    const { definition, functionName } = connect(flow, 'greet', 'bye');
    expect(functionName).toBe('to_bye');
    const greet = definition.nodes.find((n) => n.key === 'greet');
    expect(greet?.functions?.map((f) => [f.name, f.target])).toEqual([
      ['to_order', 'order'],
      ['to_bye', 'bye'],
    ]);
    expect(greet?.functions?.[1]?.description).not.toBe('');
    expect(connect(definition, 'greet', 'bye').definition).toBe(definition);
    expect(connect(flow, 'greet', 'nowhere').definition).toBe(flow);
    expect(flow.nodes[0]?.functions).toHaveLength(1);
  });

  it('makes function names valid and unique', () => {
    const odd: FlowDefinition = {
      nodes: [
        { key: 'a', taskMessages: ['x'], functions: [{ name: 'to_b_c', description: 'x', handler: 'h' }] },
        { key: 'b c', taskMessages: ['y'] },
      ],
    };
    expect(connect(odd, 'a', 'b c').functionName).toBe('to_b_c_2');
  });

  it('disconnects an edge: drops the function, or only the target when a handler remains', () => {
    const noDone = disconnect(flow, 'order', 'done');
    expect(noDone.nodes[1]?.functions?.map((f) => f.name)).toEqual(['lookup']);
    const noLookupEdge = disconnect(flow, 'order', 'lookup');
    expect(noLookupEdge.nodes[1]?.functions?.[1]).toEqual({
      name: 'lookup',
      description: 'Look a dish up.',
      handler: 'menu',
      target: undefined,
    });
    expect(toCanvasEdges(noLookupEdge).map((e) => e.id)).toEqual([
      edgeId('greet', 'to_order'),
      edgeId('order', 'done'),
    ]);
  });

  it('deletes a node with the transitions pointing at it', () => {
    const noBye = removeNode(flow, 'bye');
    expect(noBye.nodes.map((n) => n.key)).toEqual(['greet', 'order']);
    expect(noBye.nodes[1]?.functions).toEqual([
      { name: 'lookup', description: 'Look a dish up.', handler: 'menu' },
    ]);
    const noGreet = removeNode(flow, 'greet');
    expect(noGreet.globalFunctions).toEqual([]);
    expect(toCanvasEdges(noGreet)).toHaveLength(2);
  });

  it('renames a node and the transitions to it; refuses a taken or empty key', () => {
    const renamed = renameNode(flow, 'bye', 'farewell');
    expect(renamed.nodes[2]?.key).toBe('farewell');
    expect(renamed.nodes[1]?.functions?.map((f) => f.target)).toEqual(['farewell', 'farewell']);
    const restart = renameNode(flow, 'greet', 'hello').globalFunctions?.[0];
    expect(restart?.target).toBe('hello');
    expect(() => renameNode(flow, 'bye', 'order')).toThrow(/already exists/);
    expect(() => renameNode(flow, 'bye', ' ')).toThrow(/needs a key/);
  });

  it('keeps a single initial node', () => {
    const moved = setInitial(flow, 'order', true);
    expect(moved.nodes.filter((n) => n.initial).map((n) => n.key)).toEqual(['order']);
    expect(setInitial(moved, 'order', false).nodes.some((n) => n.initial)).toBe(false);
  });

  it('lays nodes out top to bottom along the transitions, without overlaps', () => {
    const laid = layoutFlow(flow);
    const y = (key: string) => laid.nodes.find((n) => n.key === key)?.position?.y ?? Number.NaN;
    expect(y('greet')).toBeLessThan(y('order'));
    expect(y('order')).toBeLessThan(y('bye'));
    const two = layoutFlow({
      nodes: [
        {
          key: 'a',
          taskMessages: ['x'],
          functions: [
            { name: 'l', description: 'x', target: 'b' },
            { name: 'r', description: 'x', target: 'c' },
          ],
        },
        { key: 'b', taskMessages: ['x'] },
        { key: 'c', taskMessages: ['x'] },
      ],
    });
    const [b, c] = [two.nodes[1]?.position, two.nodes[2]?.position];
    expect(b?.y).toBe(c?.y);
    expect(Math.abs((b?.x ?? 0) - (c?.x ?? 0))).toBeGreaterThanOrEqual(NODE_SIZE.width);
  });
});

describe('flow model: issues by node', () => {
  it('files issues under the node their path names, by key or (shape problems) by index', () => {
    const dotted: FlowDefinition = {
      nodes: [...flow.nodes, { key: 'order.v2', taskMessages: ['x'] }],
    };
    const { byNode, flow: whole } = issuesByNode(dotted, [
      { code: 'unknown_target', severity: 'error', path: 'nodes.order.functions.done', message: 'a' },
      { code: 'unreachable_node', severity: 'warning', path: 'nodes.order.v2', message: 'b' },
      { code: 'schema', severity: 'error', path: 'nodes.2.taskMessages.0', message: 'c' },
      { code: 'no_initial_node', severity: 'error', path: 'nodes', message: 'd' },
      { code: 'duplicate_function', severity: 'error', path: 'globalFunctions.restart', message: 'e' },
      { code: 'unknown_tool', severity: 'error', path: 'nodes.greet.toolIds', message: 'f' },
    ]);
    expect(byNode.get('order')?.map((i) => i.message)).toEqual(['a']);
    expect(byNode.get('order.v2')?.map((i) => i.message)).toEqual(['b']);
    expect(byNode.get('bye')?.map((i) => i.message)).toEqual(['c']);
    expect(byNode.get('greet')?.map((i) => i.message)).toEqual(['f']);
    expect(whole.map((i) => i.message)).toEqual(['d', 'e']);
    expect(toCanvasNodes(dotted, byNode).find((n) => n.id === 'bye')?.data.issues).toHaveLength(1);
  });
});
