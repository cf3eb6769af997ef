import { FlowValidationError } from '../errors.ts';
import { FlowTransition, goTo } from '../transition.ts';
import type { FlowAction, FlowActionHandler, FlowFunction, FlowFunctionHandler, FlowNode } from '../types.ts';
import {
  type FlowActionDefinition,
  type FlowDefinition,
  type FlowFunctionDefinition,
  flowDefinitionSchema,
} from './schema.ts';
import { type FlowIssue, validateFlow } from './validate.ts';

/** The code a stored flow's names refer to. */
export interface FlowHandlers {
  /** Function handlers by name (a definition's function `handler`). */
  readonly functions?: Readonly<Record<string, FlowFunctionHandler>>;
  /** Action handlers by name: custom action types, and `function` actions' `handler`. */
  readonly actions?: Readonly<Record<string, FlowActionHandler>>;
  /**
   * Functions in code added to nodes, by node key, after the stored flow is validated: a host's
   * own tools (e.g. a server's webhook and MCP tools), whose parameters schemas are their
   * owners' business. Their names must not clash with the node's or the global functions'.
   */
  readonly nodeFunctions?: Readonly<Record<string, readonly FlowFunction[]>>;
}

/** A stored flow made runnable: give {@link initial} to `FlowManager.initialize`, {@link globalFunctions} to its options. */
export interface CompiledFlow {
  /** The initial node. */
  readonly initial: FlowNode;
  /** Every node, by key. */
  readonly nodes: ReadonlyMap<string, FlowNode>;
  /** The flow's global functions. */
  readonly globalFunctions: readonly FlowFunction[];
}

/**
 * Turn a stored flow into nodes. A function with a `target` returns `goTo(target, value)` where
 * `value` is its handler's result (`{"status":"acknowledged"}` without a handler); a handler may
 * also return its own `goTo(...)`. Custom actions run their registered handler with the stored
 * action object.
 * @throws FlowValidationError when {@link validateFlow} finds errors (warnings pass), or a
 *   function of `handlers.nodeFunctions` has the name of another of its node or a global one.
 */
export function compileFlow(input: unknown, handlers: FlowHandlers = {}): CompiledFlow {
  const functionHandlers = handlers.functions ?? {};
  const actionHandlers = handlers.actions ?? {};
  const errors = validateFlow(input, {
    handlers: Object.keys(functionHandlers),
    actions: Object.keys(actionHandlers),
  }).filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new FlowValidationError(errors);
  const flow: FlowDefinition = flowDefinitionSchema.parse(input);
  const extra = handlers.nodeFunctions ?? {};
  const clashes = nameClashes(flow, extra);
  if (clashes.length > 0) throw new FlowValidationError(clashes);

  const nodes = new Map<string, FlowNode>();
  const toFunction = (f: FlowFunctionDefinition): FlowFunction => {
    const named = f.handler === undefined ? undefined : functionHandlers[f.handler]!;
    const target = f.target;
    return {
      name: f.name,
      description: f.description,
      ...(f.parameters ? { parameters: f.parameters } : {}),
      ...(f.timeoutMs === undefined ? {} : { timeoutMs: f.timeoutMs }),
      handler: async (args, context) => {
        const value: unknown = named ? await named(args, context) : undefined;
        if (value instanceof FlowTransition || target === undefined) return value;
        // The map is complete by the time the LLM calls anything.
        return value === undefined ? goTo(nodes.get(target)!) : goTo(nodes.get(target)!, value);
      },
    };
  };
  const toAction = (a: FlowActionDefinition): FlowAction => {
    switch (a.type) {
      case 'tts_say':
        return { type: 'tts_say', text: a.text ?? '' };
      case 'end_conversation':
        return {
          type: 'end_conversation',
          ...(a.text === undefined ? {} : { text: a.text }),
          ...(a.reason === undefined ? {} : { reason: a.reason }),
        };
      case 'function':
        return { type: 'function', handler: actionHandlers[a.handler ?? '']! };
      default:
        return {
          type: 'function',
          handler: (_action, flowManager) => actionHandlers[a.type]!(a, flowManager),
        };
    }
  };

  for (const n of flow.nodes) {
    nodes.set(n.key, {
      name: n.key,
      taskMessages: n.taskMessages,
      ...(n.roleMessage === undefined ? {} : { roleMessage: n.roleMessage }),
      ...(n.contextStrategy === undefined ? {} : { contextStrategy: n.contextStrategy }),
      ...(n.respondImmediately === undefined ? {} : { respondImmediately: n.respondImmediately }),
      functions: [...(n.functions ?? []).map(toFunction), ...(extra[n.key] ?? [])],
      preActions: (n.preActions ?? []).map(toAction),
      postActions: (n.postActions ?? []).map(toAction),
    });
  }
  const initialKey = flow.nodes.find((n) => n.initial)!.key;
  return {
    initial: nodes.get(initialKey)!,
    nodes,
    globalFunctions: (flow.globalFunctions ?? []).map(toFunction),
  };
}

/** Functions of `extra` whose name another function of their node, or a global one, has. */
function nameClashes(flow: FlowDefinition, extra: Readonly<Record<string, readonly FlowFunction[]>>) {
  const globals = (flow.globalFunctions ?? []).map((f) => f.name);
  return flow.nodes.flatMap((n) => {
    const taken = new Set([...globals, ...(n.functions ?? []).map((f) => f.name)]);
    return (extra[n.key] ?? []).flatMap((f): FlowIssue[] => {
      const clash = taken.has(f.name);
      taken.add(f.name);
      return clash
        ? [
            {
              code: 'duplicate_function',
              severity: 'error',
              path: `nodes.${n.key}.functions.${f.name}`,
              message: `two functions of this node (or a global one) are named "${f.name}"`,
            },
          ]
        : [];
    });
  });
}
