/**
 * The flow editor's graph model, free of React: a stored flow definition ↔ the canvas's nodes
 * and edges, and the edits the editor makes (add, connect, move, rename, delete, lay out).
 * Every function returns a new definition and leaves its input untouched.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';
import type { FlowDefinition, FlowFunction, FlowIssue, FlowNode, Position } from './types.ts';

/** What a canvas node shows. */
export interface FlowNodeData extends Record<string, unknown> {
  readonly node: FlowNode;
  /** Problems found in this node (its functions and actions included). */
  readonly issues: readonly FlowIssue[];
}

/** What a canvas edge is: the function of `source` whose target it draws. */
export interface FlowEdgeData extends Record<string, unknown> {
  readonly source: string;
  readonly functionName: string;
}

/** A canvas node: its id is the flow node's key. */
export type FlowCanvasNode = Node<FlowNodeData, 'flowNode'>;
/** A canvas edge: one transition function. */
export type FlowCanvasEdge = Edge<FlowEdgeData>;

/** The size the layout assumes for a node, px (the node card's CSS size). */
export const NODE_SIZE = { width: 220, height: 96 } as const;

/** A definition with no nodes yet: where a new flow starts. */
export const EMPTY_FLOW: FlowDefinition = { nodes: [] };

/**
 * The canvas nodes of `definition`, each at its stored position (or on a grid when it has none),
 * with the issues that concern it.
 */
export function toCanvasNodes(
  definition: FlowDefinition,
  issues: ReadonlyMap<string, readonly FlowIssue[]> = new Map(),
): FlowCanvasNode[] {
  return definition.nodes.map((node, index) => ({
    id: node.key,
    type: 'flowNode',
    position: node.position ?? gridPosition(index),
    data: { node, issues: issues.get(node.key) ?? [] },
  }));
}

/** One canvas edge per node function that names a target node of the flow. */
export function toCanvasEdges(definition: FlowDefinition): FlowCanvasEdge[] {
  const keys = new Set(definition.nodes.map((n) => n.key));
  return definition.nodes.flatMap((node) =>
    (node.functions ?? [])
      .filter((fn) => fn.target !== undefined && keys.has(fn.target))
      .map((fn) => ({
        id: edgeId(node.key, fn.name),
        source: node.key,
        target: fn.target as string,
        label: fn.name,
        data: { source: node.key, functionName: fn.name },
      })),
  );
}

/** The id of the edge drawn for function `functionName` of node `source`. */
export function edgeId(source: string, functionName: string): string {
  return `${JSON.stringify(source)}→${functionName}`;
}

/**
 * Carries what the canvas measured (size, selection) from the nodes it has over to freshly
 * built ones with the same ids, so rebuilding from the definition does not hide or deselect them.
 */
export function keepCanvasState(
  previous: readonly FlowCanvasNode[],
  next: FlowCanvasNode[],
): FlowCanvasNode[] {
  const byId = new Map(previous.map((n) => [n.id, n]));
  return next.map((node) => {
    const old = byId.get(node.id);
    if (!old) return node;
    return {
      ...node,
      ...(old.measured ? { measured: old.measured } : {}),
      ...(old.selected !== undefined ? { selected: old.selected } : {}),
    };
  });
}

/** Where node number `index` goes when it has no stored position: rows of four. */
function gridPosition(index: number): Position {
  return { x: (index % 4) * (NODE_SIZE.width + 60), y: Math.floor(index / 4) * (NODE_SIZE.height + 80) };
}

/** A key not used by any node of `definition`: `base`, else `base_2`, `base_3`, … */
export function freeNodeKey(definition: FlowDefinition, base = 'node'): string {
  const keys = new Set(definition.nodes.map((n) => n.key));
  if (!keys.has(base)) return base;
  for (let i = 2; ; i++) if (!keys.has(`${base}_${i}`)) return `${base}_${i}`;
}

/**
 * Adds a node (key from {@link freeNodeKey}, one empty task message for the editor to fill) at
 * `position`, or right of the rightmost node. The first node of a flow is its initial node.
 */
export function addNode(
  definition: FlowDefinition,
  position?: Position,
): { definition: FlowDefinition; key: string } {
  const key = freeNodeKey(definition);
  const at = position ?? nextFreePosition(definition);
  const node: FlowNode = {
    key,
    taskMessages: [''],
    position: at,
    ...(definition.nodes.length === 0 ? { initial: true } : {}),
  };
  return { definition: { ...definition, nodes: [...definition.nodes, node] }, key };
}

function nextFreePosition(definition: FlowDefinition): Position {
  const placed = toCanvasNodes(definition).map((n) => n.position);
  if (placed.length === 0) return { x: 0, y: 0 };
  const right = Math.max(...placed.map((p) => p.x));
  const top = Math.min(...placed.map((p) => p.y));
  return { x: right + NODE_SIZE.width + 80, y: top };
}

/** Replaces node `key` with `update(node)`; unknown keys leave the definition as it is. */
export function updateNode(
  definition: FlowDefinition,
  key: string,
  update: (node: FlowNode) => FlowNode,
): FlowDefinition {
  return { ...definition, nodes: definition.nodes.map((n) => (n.key === key ? update(n) : n)) };
}

/** Stores where node `key` is drawn (rounded to whole px). */
export function moveNode(definition: FlowDefinition, key: string, position: Position): FlowDefinition {
  const at = { x: Math.round(position.x), y: Math.round(position.y) };
  return updateNode(definition, key, (n) => ({ ...n, position: at }));
}

/**
 * Marks `key` the initial node (or not). Only one node may be initial, so marking one clears
 * the flag elsewhere.
 */
export function setInitial(definition: FlowDefinition, key: string, initial: boolean): FlowDefinition {
  return {
    ...definition,
    nodes: definition.nodes.map((n) => {
      if (n.key === key) return { ...n, initial: initial || undefined };
      return initial && n.initial ? { ...n, initial: undefined } : n;
    }),
  };
}

/**
 * Adds a transition from `source` to `target`: a function `to_<target>` (made unique in the
 * node) whose description the editor then refines. Returns the definition unchanged when either
 * node does not exist or `source` already has a function moving to `target`.
 */
export function connect(
  definition: FlowDefinition,
  source: string,
  target: string,
): { definition: FlowDefinition; functionName?: string } {
  const from = definition.nodes.find((n) => n.key === source);
  if (!from || !definition.nodes.some((n) => n.key === target)) return { definition };
  if ((from.functions ?? []).some((f) => f.target === target)) return { definition };
  const functionName = freeFunctionName(from, `to_${target}`);
  const fn: FlowFunction = {
    name: functionName,
    description: `Call this when the conversation should move on to ${target}.`,
    target,
  };
  return {
    definition: updateNode(definition, source, (n) => ({ ...n, functions: [...(n.functions ?? []), fn] })),
    functionName,
  };
}

/** A function name valid for the LLM providers (`[a-zA-Z0-9_-]{1,64}`) and unused in `node`. */
function freeFunctionName(node: FlowNode, wanted: string): string {
  const base = wanted.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 60);
  const names = new Set((node.functions ?? []).map((f) => f.name));
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) if (!names.has(`${base}_${i}`)) return `${base}_${i}`;
}

/**
 * Removes the transition drawn by function `functionName` of `source`: the function goes, or,
 * when it also has a handler (which still does something), only its target.
 */
export function disconnect(definition: FlowDefinition, source: string, functionName: string): FlowDefinition {
  return updateNode(definition, source, (n) => ({
    ...n,
    functions: (n.functions ?? []).flatMap((f) => {
      if (f.name !== functionName) return [f];
      return f.handler === undefined ? [] : [{ ...f, target: undefined }];
    }),
  }));
}

/** Removes node `key` and every transition to it (node and global functions alike). */
export function removeNode(definition: FlowDefinition, key: string): FlowDefinition {
  const dropTarget = (fns: readonly FlowFunction[]) =>
    fns.flatMap((f) => {
      if (f.target !== key) return [f];
      return f.handler === undefined ? [] : [{ ...f, target: undefined }];
    });
  return {
    ...definition,
    nodes: definition.nodes
      .filter((n) => n.key !== key)
      .map((n) => (n.functions ? { ...n, functions: dropTarget(n.functions) } : n)),
    ...(definition.globalFunctions ? { globalFunctions: dropTarget(definition.globalFunctions) } : {}),
  };
}

/**
 * Renames node `from` to `to` and points every transition to it at the new key.
 * @throws Error when `to` is empty or already the key of another node.
 */
export function renameNode(definition: FlowDefinition, from: string, to: string): FlowDefinition {
  if (from === to) return definition;
  if (to.trim() === '') throw new Error('A node needs a key');
  if (definition.nodes.some((n) => n.key === to)) throw new Error(`A node named "${to}" already exists`);
  const retarget = (fns: readonly FlowFunction[]) =>
    fns.map((f) => (f.target === from ? { ...f, target: to } : f));
  return {
    ...definition,
    nodes: definition.nodes.map((n) => ({
      ...n,
      ...(n.key === from ? { key: to } : {}),
      ...(n.functions ? { functions: retarget(n.functions) } : {}),
    })),
    ...(definition.globalFunctions ? { globalFunctions: retarget(definition.globalFunctions) } : {}),
  };
}

/**
 * Lays the flow out top to bottom with dagre (transitions as edges), storing each node's new
 * top-left position, px.
 */
export function layoutFlow(definition: FlowDefinition): FlowDefinition {
  const graph = new Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 60, ranksep: 90, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of definition.nodes) graph.setNode(node.key, { ...NODE_SIZE });
  for (const edge of toCanvasEdges(definition)) graph.setEdge(edge.source, edge.target);
  layout(graph);
  return {
    ...definition,
    nodes: definition.nodes.map((node) => {
      const { x, y } = graph.node(node.key);
      return {
        ...node,
        position: { x: Math.round(x - NODE_SIZE.width / 2), y: Math.round(y - NODE_SIZE.height / 2) },
      };
    }),
  };
}

/** Issues sorted by the node they concern, and those about the whole flow. */
export interface IssuesByNode {
  readonly byNode: ReadonlyMap<string, readonly FlowIssue[]>;
  readonly flow: readonly FlowIssue[];
}

/**
 * Sorts `issues` by node. Paths name a node by key (`nodes.greet.functions.x`), or, for shape
 * problems (`code: 'schema'`), by index (`nodes.0.taskMessages.0`); keys may contain dots, so
 * the longest key the path starts with wins. Issues of no node (`nodes`, `globalFunctions.x`,
 * `(flow)`) are the flow's.
 */
export function issuesByNode(definition: FlowDefinition, issues: readonly FlowIssue[]): IssuesByNode {
  const byNode = new Map<string, FlowIssue[]>();
  const flow: FlowIssue[] = [];
  const keys = [...definition.nodes.map((n) => n.key)].sort((a, b) => b.length - a.length);
  for (const issue of issues) {
    const key = nodeOfPath(definition, keys, issue);
    if (key === undefined) flow.push(issue);
    else byNode.set(key, [...(byNode.get(key) ?? []), issue]);
  }
  return { byNode, flow };
}

function nodeOfPath(definition: FlowDefinition, keysLongestFirst: readonly string[], issue: FlowIssue) {
  if (!issue.path.startsWith('nodes.')) return undefined;
  const rest = issue.path.slice('nodes.'.length);
  if (issue.code === 'schema') {
    const index = /^(\d+)(\.|$)/.exec(rest)?.[1];
    return index === undefined ? undefined : definition.nodes[Number(index)]?.key;
  }
  return keysLongestFirst.find((key) => rest === key || rest.startsWith(`${key}.`));
}

/**
 * The definition as the server stores it: fields the editor left empty (`undefined`, an empty
 * role message, empty lists of optional things) are dropped.
 */
export function toStored(definition: FlowDefinition): FlowDefinition {
  return JSON.parse(
    JSON.stringify(definition, (field, value: unknown) => {
      if (field === 'roleMessage' && value === '') return undefined;
      if (
        ['functions', 'preActions', 'postActions', 'toolIds', 'globalFunctions'].includes(field) &&
        Array.isArray(value) &&
        value.length === 0
      ) {
        return undefined;
      }
      return value;
    }),
  ) as FlowDefinition;
}
