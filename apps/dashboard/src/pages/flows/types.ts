/**
 * The flows API's shapes as the dashboard sees them (the server's `flowDefinitionSchema` in
 * `@parley/flows`, and `routes/api-flows.ts`). The server validates every definition; these
 * types only describe what it stores and answers.
 */

/** A pre- or post-action: `tts_say` (`text`), `end_conversation` (`text?`, `reason?`), or another type. */
export interface FlowAction {
  readonly type: string;
  readonly text?: string;
  readonly handler?: string;
  readonly reason?: string;
  readonly [extra: string]: unknown;
}

/** How a node changes the LLM context when the flow enters it. */
export type ContextStrategy =
  | { readonly strategy: 'append' }
  | { readonly strategy: 'reset' }
  | { readonly strategy: 'reset_with_summary'; readonly summaryPrompt: string };

/** A function (tool) of a node: a transition when it names a `target` node. */
export interface FlowFunction {
  readonly name: string;
  /** What the LLM reads to decide when to call it. */
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Key of the node the flow moves to after the call. */
  readonly target?: string;
  readonly handler?: string;
  /** Time limit of one call, ms. */
  readonly timeoutMs?: number;
}

/** Where the editor draws a node, px. */
export interface Position {
  readonly x: number;
  readonly y: number;
}

/** A node of a stored flow. */
export interface FlowNode {
  readonly key: string;
  readonly roleMessage?: string;
  readonly taskMessages: readonly string[];
  readonly functions?: readonly FlowFunction[];
  readonly preActions?: readonly FlowAction[];
  readonly postActions?: readonly FlowAction[];
  readonly contextStrategy?: ContextStrategy;
  readonly respondImmediately?: boolean;
  readonly initial?: boolean;
  readonly terminal?: boolean;
  /** Ids of stored or built-in tools offered in this node besides its functions. */
  readonly toolIds?: readonly string[];
  readonly position?: Position;
}

/** A stored flow. The editor may hold one with no nodes yet; the server needs at least one. */
export interface FlowDefinition {
  readonly nodes: readonly FlowNode[];
  readonly globalFunctions?: readonly FlowFunction[];
}

/** One problem of a flow, as `POST …/flow/validate` and a refused save answer it. */
export interface FlowIssue {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  /**
   * A dotted path: `nodes.<key>.functions.<name>` for the engine's checks, `nodes.<index>.…`
   * (an array index) for shape (`schema`) problems, `nodes` or `(flow)` for the whole flow.
   */
  readonly path: string;
  readonly message: string;
}

/** A stored version of an agent's flow (lists leave out `definition`). */
export interface FlowVersion {
  readonly id: string;
  readonly agentId: string;
  readonly version: number;
  readonly status: 'draft' | 'published' | 'archived';
  readonly definition?: FlowDefinition;
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly publishedAt: string | null;
}

/** `GET /api/agents/:id/flow/diff`: what changed from version `from` to version `to`. */
export interface FlowDiff {
  readonly from: number;
  readonly to: number;
  readonly addedNodes: readonly string[];
  readonly removedNodes: readonly string[];
  /** Nodes in both that differ; functions named one by one as `functions.<name>`. */
  readonly changedNodes: readonly { readonly key: string; readonly fields: readonly string[] }[];
  readonly changedGlobalFunctions: readonly string[];
}
