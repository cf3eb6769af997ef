import { parametersSchemaProblems } from '../json-schema.ts';
import {
  type FlowActionDefinition,
  type FlowDefinition,
  type FlowFunctionDefinition,
  flowDefinitionSchema,
} from './schema.ts';

/** What kind of problem a {@link FlowIssue} is. */
export type FlowIssueCode =
  | 'schema'
  | 'no_initial_node'
  | 'several_initial_nodes'
  | 'duplicate_node'
  | 'unknown_target'
  | 'unreachable_node'
  | 'duplicate_function'
  | 'bad_parameters'
  | 'function_without_effect'
  | 'unregistered_handler'
  | 'unregistered_action'
  | 'action_without_text'
  | 'terminal_with_transitions';

/** One problem of a flow definition, for a person editing it. */
export interface FlowIssue {
  readonly code: FlowIssueCode;
  /** `error`: the flow cannot run as meant; `warning`: it runs, but probably not as meant. */
  readonly severity: 'error' | 'warning';
  /** Where, as a dotted path into the definition with node keys: `nodes.greet.functions.book`. */
  readonly path: string;
  /** A sentence saying what is wrong. */
  readonly message: string;
}

/** What the runtime has registered, to check a definition's names against. */
export interface FlowRegistry {
  /** Names of function handlers. Unchecked when absent. */
  readonly handlers?: Iterable<string>;
  /** Names of action handlers (custom action types and `function` actions' handlers). Unchecked when absent. */
  readonly actions?: Iterable<string>;
}

const BUILT_IN_ACTIONS = new Set(['tts_say', 'end_conversation', 'function']);

/**
 * Check a stored flow: its shape (the zod schema), exactly one initial node, unique node keys,
 * transitions to existing nodes, nodes reachable from the initial node (a warning: a handler may
 * still reach them in code), unique function names per node (globals included), functions that
 * neither transition nor have a handler, functions' `parameters` that are not a usable JSON
 * Schema of an object (checked with Ajv, as the server checks its tools), and, given a registry, handlers and action types
 * that are not registered. Returns the issues, none when the flow is valid; never throws.
 */
export function validateFlow(input: unknown, registry: FlowRegistry = {}): FlowIssue[] {
  const parsed = flowDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => ({
      code: 'schema',
      severity: 'error',
      path: i.path.join('.') || '(flow)',
      message: i.message,
    }));
  }
  return checkFlow(parsed.data, registry);
}

function checkFlow(flow: FlowDefinition, registry: FlowRegistry): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const error = (code: FlowIssueCode, path: string, message: string) =>
    issues.push({ code, severity: 'error', path, message });
  const warn = (code: FlowIssueCode, path: string, message: string) =>
    issues.push({ code, severity: 'warning', path, message });
  const handlers = registry.handlers ? new Set(registry.handlers) : undefined;
  const actions = registry.actions ? new Set(registry.actions) : undefined;
  const globals = flow.globalFunctions ?? [];

  const keys = new Set<string>();
  for (const node of flow.nodes) {
    if (keys.has(node.key))
      error('duplicate_node', `nodes.${node.key}`, `two nodes have the key "${node.key}"`);
    keys.add(node.key);
  }

  const initial = flow.nodes.filter((n) => n.initial);
  if (initial.length === 0) error('no_initial_node', 'nodes', 'no node is marked initial');
  if (initial.length > 1) {
    error(
      'several_initial_nodes',
      'nodes',
      `only one node may be initial; these are: ${initial.map((n) => n.key).join(', ')}`,
    );
  }

  const checkFunction = (list: readonly FlowFunctionDefinition[], base: string) => {
    for (const fn of list) {
      const path = `${base}.${fn.name}`;
      if (fn.target !== undefined && !keys.has(fn.target)) {
        error('unknown_target', path, `transitions to "${fn.target}", which is not a node of this flow`);
      }
      if (fn.target === undefined && fn.handler === undefined) {
        error('function_without_effect', path, 'has neither a target node nor a handler');
      }
      if (fn.handler !== undefined && handlers && !handlers.has(fn.handler)) {
        error('unregistered_handler', path, `its handler "${fn.handler}" is not registered`);
      }
      for (const problem of fn.parameters ? parametersSchemaProblems(fn.parameters) : []) {
        const where = `${path}.parameters${problem.path ? `.${problem.path}` : ''}`;
        error('bad_parameters', where, `not a usable JSON Schema: ${problem.message}`);
      }
    }
  };
  const checkActions = (list: readonly FlowActionDefinition[] | undefined, base: string) => {
    list?.forEach((a, i) => {
      const path = `${base}.${i}`;
      if (a.type === 'tts_say' && !a.text) error('action_without_text', path, 'tts_say needs a text');
      if (!actions) return;
      if (a.type === 'function' && (a.handler === undefined || !actions.has(a.handler))) {
        error(
          'unregistered_action',
          path,
          `its handler "${a.handler ?? ''}" is not a registered action handler`,
        );
      } else if (!BUILT_IN_ACTIONS.has(a.type) && !actions.has(a.type)) {
        error('unregistered_action', path, `the action type "${a.type}" is not registered`);
      }
    });
  };

  checkFunction(globals, 'globalFunctions');
  const seenGlobal = new Set<string>();
  for (const g of globals) {
    if (seenGlobal.has(g.name)) {
      error('duplicate_function', `globalFunctions.${g.name}`, `two global functions are named "${g.name}"`);
    }
    seenGlobal.add(g.name);
  }
  for (const node of flow.nodes) {
    const base = `nodes.${node.key}`;
    const functions = node.functions ?? [];
    checkFunction(functions, `${base}.functions`);
    const seen = new Set<string>();
    for (const f of functions) {
      if (seen.has(f.name))
        error('duplicate_function', `${base}.functions.${f.name}`, `two functions are named "${f.name}"`);
      else if (seenGlobal.has(f.name)) {
        error('duplicate_function', `${base}.functions.${f.name}`, `"${f.name}" is also a global function`);
      }
      seen.add(f.name);
    }
    checkActions(node.preActions, `${base}.preActions`);
    checkActions(node.postActions, `${base}.postActions`);
    if (node.terminal && functions.some((f) => f.target !== undefined)) {
      warn('terminal_with_transitions', base, 'is terminal but has functions that move to other nodes');
    }
  }

  if (initial.length === 1) {
    const reached = reachable(flow, initial[0]!.key);
    for (const node of flow.nodes) {
      if (!reached.has(node.key)) {
        warn(
          'unreachable_node',
          `nodes.${node.key}`,
          `cannot be reached from the initial node "${initial[0]!.key}"`,
        );
      }
    }
  }
  return issues;
}

/** Keys of the nodes reachable from `start` through function targets (global functions from every node). */
function reachable(flow: FlowDefinition, start: string): Set<string> {
  const byKey = new Map(flow.nodes.map((n) => [n.key, n]));
  const globalTargets = (flow.globalFunctions ?? []).flatMap((f) => (f.target ? [f.target] : []));
  const reached = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const node = byKey.get(queue.shift()!);
    const targets = [
      ...(node?.functions ?? []).flatMap((f) => (f.target ? [f.target] : [])),
      ...globalTargets,
    ];
    for (const t of targets) {
      if (!reached.has(t) && byKey.has(t)) {
        reached.add(t);
        queue.push(t);
      }
    }
  }
  return reached;
}
