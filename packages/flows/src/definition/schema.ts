import { z } from 'zod';

/**
 * The stored form of a flow: plain JSON that the server keeps with an agent and the dashboard's
 * flow editor edits. Handlers are named, not code: a function either names its `target` node
 * (a transition, its description telling the LLM when to take it), a `handler` registered with
 * the server, or both (the handler's value is the tool result, then the flow moves to `target`).
 */

/** A pre- or post-action: `tts_say` (`text`), `end_conversation` (`text?`, `reason?`), `function` (`handler`: a registered action handler's name) or a registered custom type with its own fields. */
export const flowActionDefinitionSchema = z.looseObject({
  type: z.string().min(1),
  text: z.string().optional(),
  handler: z.string().min(1).optional(),
  reason: z.string().min(1).optional(),
});

/** A node's context strategy (see the engine's `ContextStrategy`). */
export const contextStrategyDefinitionSchema = z.discriminatedUnion('strategy', [
  z.object({ strategy: z.literal('append') }),
  z.object({ strategy: z.literal('reset') }),
  z.object({ strategy: z.literal('reset_with_summary'), summaryPrompt: z.string().min(1) }),
]);

/** A function (tool) of a node, or a global one. */
export const flowFunctionDefinitionSchema = z.object({
  /** The tool name (the common providers' rule). */
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64'),
  /** What the LLM reads to decide when to call it: the edge's condition. */
  description: z.string().min(1),
  /** JSON Schema of the arguments object; default none. */
  parameters: z.record(z.string(), z.unknown()).optional(),
  /** Key of the node the flow moves to after the call. */
  target: z.string().min(1).optional(),
  /** Name of a registered function handler. */
  handler: z.string().min(1).optional(),
  /** Time limit of one call, ms. */
  timeoutMs: z.number().positive().optional(),
});

/** A node of a stored flow. */
export const flowNodeDefinitionSchema = z.object({
  /** Unique within the flow; the node's name in events. */
  key: z.string().min(1),
  roleMessage: z.string().min(1).optional(),
  /** System messages; at least one. */
  taskMessages: z.array(z.string().min(1)).min(1),
  functions: z.array(flowFunctionDefinitionSchema).optional(),
  preActions: z.array(flowActionDefinitionSchema).optional(),
  postActions: z.array(flowActionDefinitionSchema).optional(),
  contextStrategy: contextStrategyDefinitionSchema.optional(),
  respondImmediately: z.boolean().optional(),
  /** The node the flow starts in (exactly one). */
  initial: z.boolean().optional(),
  /** The conversation ends here (no transitions out expected). */
  terminal: z.boolean().optional(),
  /**
   * Tools offered in this node besides its functions: ids of the server's stored webhook tools
   * and built-ins, and `mcp:<server>/<tool>` for a tool of one of the agent's MCP servers; the
   * engine ignores them, the server resolves them.
   */
  toolIds: z.array(z.string().min(1)).optional(),
  /** Where the editor draws the node, px; the engine ignores it. */
  position: z.object({ x: z.number(), y: z.number() }).optional(),
});

/** A stored flow. */
export const flowDefinitionSchema = z.object({
  nodes: z.array(flowNodeDefinitionSchema).min(1),
  /** Functions callable in every node. */
  globalFunctions: z.array(flowFunctionDefinitionSchema).optional(),
});

/** A stored pre- or post-action (see {@link flowActionDefinitionSchema}). */
export type FlowActionDefinition = z.infer<typeof flowActionDefinitionSchema>;
/** A stored function (see {@link flowFunctionDefinitionSchema}). */
export type FlowFunctionDefinition = z.infer<typeof flowFunctionDefinitionSchema>;
/** A stored node (see {@link flowNodeDefinitionSchema}). */
export type FlowNodeDefinition = z.infer<typeof flowNodeDefinitionSchema>;
/** A stored flow (see {@link flowDefinitionSchema}). */
export type FlowDefinition = z.infer<typeof flowDefinitionSchema>;
