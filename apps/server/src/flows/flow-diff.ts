/**
 * What changed between two stored flows, node by node, for people reviewing a version before
 * publishing it.
 */
import type { FlowDefinition, FlowFunctionDefinition, FlowNodeDefinition } from '@parley/flows';

/** A node present in both flows whose definition differs. */
export interface ChangedNode {
  readonly key: string;
  /**
   * The fields that differ (`taskMessages`, `position`, …); functions are named one by one as
   * `functions.<name>` (added, removed or changed).
   */
  readonly fields: readonly string[];
}

/** The node-level difference between flow `from` and flow `to`. */
export interface FlowDiff {
  /** Keys of nodes only in `to`, in its order. */
  readonly addedNodes: readonly string[];
  /** Keys of nodes only in `from`, in its order. */
  readonly removedNodes: readonly string[];
  /** Nodes in both that differ, in `to`'s order. */
  readonly changedNodes: readonly ChangedNode[];
  /** Global functions added, removed or changed, as `<name>`. */
  readonly changedGlobalFunctions: readonly string[];
}

/** Compares two valid flow definitions (parsed with `flowDefinitionSchema`). */
export function diffFlows(from: FlowDefinition, to: FlowDefinition): FlowDiff {
  const before = new Map(from.nodes.map((n) => [n.key, n]));
  const after = new Map(to.nodes.map((n) => [n.key, n]));
  const changedNodes: ChangedNode[] = [];
  for (const node of to.nodes) {
    const old = before.get(node.key);
    if (!old) continue;
    const fields = changedFields(old, node);
    if (fields.length > 0) changedNodes.push({ key: node.key, fields });
  }
  return {
    addedNodes: to.nodes.filter((n) => !before.has(n.key)).map((n) => n.key),
    removedNodes: from.nodes.filter((n) => !after.has(n.key)).map((n) => n.key),
    changedNodes,
    changedGlobalFunctions: changedFunctions(from.globalFunctions ?? [], to.globalFunctions ?? []),
  };
}

function changedFields(a: FlowNodeDefinition, b: FlowNodeDefinition): string[] {
  const fields: string[] = [];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('key');
  for (const field of [...keys].sort()) {
    const x = (a as Record<string, unknown>)[field];
    const y = (b as Record<string, unknown>)[field];
    if (field === 'functions') {
      const names = changedFunctions(a.functions ?? [], b.functions ?? []);
      fields.push(...names.map((name) => `functions.${name}`));
    } else if (!sameJson(x, y)) fields.push(field);
  }
  return fields;
}

/** Names of functions added, removed or changed, sorted. */
function changedFunctions(
  a: readonly FlowFunctionDefinition[],
  b: readonly FlowFunctionDefinition[],
): string[] {
  const before = new Map(a.map((f) => [f.name, f]));
  const after = new Map(b.map((f) => [f.name, f]));
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => !sameJson(before.get(name), after.get(name))).sort();
}

/** Deep equality of JSON values, object key order ignored. */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
