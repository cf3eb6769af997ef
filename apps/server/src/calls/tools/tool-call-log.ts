/**
 * What the call's event log adds to the `tool_called` and `tool_result` events of the tools
 * Parley runs (webhook, MCP, built-in): which tool, and how its call went. The handlers write
 * here before they return, so the details are in place when the result frame is observed.
 */

/** Where a tool comes from. */
export type ToolSource = 'webhook' | 'mcp' | 'builtin';

/** What is known of a tool by the name the LLM calls. */
export interface ToolIdentity {
  readonly source: ToolSource;
  /** The stored tool's id (webhook), the server's name (MCP) or the built-in's name. */
  readonly toolId: string;
  /** The name on the MCP server, when the LLM sees a prefixed one. */
  readonly remoteName?: string;
}

/** How one call of a tool went. */
export interface ToolCallOutcome {
  /** The tool did what was asked (a 2xx answer, an MCP result without `isError`). */
  readonly ok: boolean;
  /** HTTP status of a webhook's last answer. */
  readonly status?: number;
  /** Requests sent (webhooks: 1 + retries used). */
  readonly attempts?: number;
  /** Why it failed, without secrets (`invalid_arguments: …`, `HTTP 500`, `timed out after 10 s`). */
  readonly error?: string;
}

/** Details of a call's tool events (read by `CallEventRecorder`). */
export interface ToolEventDetails {
  /** Fields added to `tool_called` for a call of tool `name`. */
  called(name: string): Record<string, unknown> | undefined;
  /** Fields added to `tool_result` of call `toolCallId` (taken: asked once). */
  result(toolCallId: string): Record<string, unknown> | undefined;
}

/** The tools of one call by the name the LLM sees, and their calls' outcomes. */
export class ToolCallLog implements ToolEventDetails {
  private readonly tools = new Map<string, ToolIdentity>();
  private readonly outcomes = new Map<string, ToolCallOutcome>();

  /** Records what tool the LLM's `name` stands for. */
  describe(name: string, identity: ToolIdentity): void {
    this.tools.set(name, identity);
  }

  /** Records how call `toolCallId` went; call it before the handler returns. */
  settle(toolCallId: string, outcome: ToolCallOutcome): void {
    this.outcomes.set(toolCallId, outcome);
  }

  called(name: string): Record<string, unknown> | undefined {
    const identity = this.tools.get(name);
    return identity && { ...identity };
  }

  result(toolCallId: string): Record<string, unknown> | undefined {
    const outcome = this.outcomes.get(toolCallId);
    this.outcomes.delete(toolCallId);
    return outcome && { ...outcome };
  }
}
