/**
 * The checks a stored flow passes before it is saved or published: the engine's
 * `validateFlow` (shape, initial node, transitions, reachability, …) with what the server can
 * run (no named function handlers or custom actions yet), and tool ids it knows.
 */
import { type FlowIssue, type FlowIssueCode, flowDefinitionSchema, validateFlow } from '@parley/flows';
import { isMcpToolId, parseMcpToolId } from '../calls/tools/mcp/node-tool-ids.ts';
import type { KnownToolIds } from './known-tools.ts';
import type { McpCatalog } from './mcp-catalog.ts';

/**
 * One problem of a stored flow: the engine's issues and the server's own (`unknown_tool`, and
 * the warning `mcp_unlisted` when an MCP server could not be asked for its tools).
 */
export interface StoredFlowIssue extends Omit<FlowIssue, 'code'> {
  readonly code: FlowIssueCode | 'unknown_tool' | 'mcp_unlisted';
}

/**
 * Checks `definition` (unvalidated JSON). The server registers no function handlers and no
 * custom action types, so a function's `handler` and a `function` or custom action are errors;
 * a node's `toolIds` must be known tools: stored or built-in ids, or `mcp:<server>/<tool>` of a
 * tool `mcp` lists for the agent (a server that could not be listed is a warning). Returns the
 * issues, errors and warnings, in the engine's order then the server's; never throws.
 */
export function checkStoredFlow(
  definition: unknown,
  tools: KnownToolIds,
  mcp: McpCatalog = new Map(),
): StoredFlowIssue[] {
  const issues: StoredFlowIssue[] = validateFlow(definition, { handlers: [], actions: [] });
  const parsed = flowDefinitionSchema.safeParse(definition);
  if (!parsed.success || tools === 'any') return issues;
  for (const node of parsed.data.nodes) {
    for (const id of node.toolIds ?? []) {
      if (isMcpToolId(id)) {
        const issue = mcpToolIssue(id, mcp);
        if (issue) issues.push({ ...issue, path: `nodes.${node.key}.toolIds` });
      } else if (!tools.has(id)) {
        issues.push({
          code: 'unknown_tool',
          severity: 'error',
          path: `nodes.${node.key}.toolIds`,
          message: `the tool "${id}" does not exist`,
        });
      }
    }
  }
  return issues;
}

/** Whether a flow definition (unvalidated JSON) names tools of MCP servers in its nodes. */
export function namesMcpTools(definition: unknown): boolean {
  const parsed = flowDefinitionSchema.safeParse(definition);
  return parsed.success && parsed.data.nodes.some((n) => (n.toolIds ?? []).some(isMcpToolId));
}

/** The problem of an `mcp:<server>/<tool>` id against the agent's servers' tools, if any. */
function mcpToolIssue(id: string, mcp: McpCatalog): Omit<StoredFlowIssue, 'path'> | undefined {
  const ref = parseMcpToolId(id);
  if (!ref) {
    return {
      code: 'unknown_tool',
      severity: 'error',
      message: `"${id}" is not an MCP tool id; write mcp:<server>/<tool>`,
    };
  }
  const entry = mcp.get(ref.server);
  if (!entry) {
    const names = [...mcp.keys()].join(', ') || 'none';
    return {
      code: 'unknown_tool',
      severity: 'error',
      message: `the agent has no MCP server "${ref.server}" (its MCP servers: ${names})`,
    };
  }
  if ('error' in entry) {
    return {
      code: 'mcp_unlisted',
      severity: 'warning',
      message: `could not list the tools of MCP server "${ref.server}" (${entry.error}); "${ref.tool}" is checked again when a call starts`,
    };
  }
  if (!entry.tools.has(ref.tool)) {
    const offered = [...entry.tools].join(', ') || 'none';
    return {
      code: 'unknown_tool',
      severity: 'error',
      message: `MCP server "${ref.server}" offers no tool "${ref.tool}" to this agent (it offers: ${offered})`,
    };
  }
  return undefined;
}

/** Only the issues that stop a flow from being saved or run. */
export function errorsOf(issues: readonly StoredFlowIssue[]): StoredFlowIssue[] {
  return issues.filter((i) => i.severity === 'error');
}

/** An issue as one line of an API error's `issues` (`path: message`). */
export function issueLine(issue: StoredFlowIssue): string {
  return `${issue.path}: ${issue.message}`;
}
