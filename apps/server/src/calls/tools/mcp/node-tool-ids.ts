/**
 * How a flow node names a tool of one of its agent's MCP servers in `toolIds`:
 * `mcp:<server>/<tool>`, with `<server>` the name in the agent's `mcpServers` and `<tool>` the
 * server's name for the tool (e.g. `mcp:weather/get_weather`). Such a tool is offered in the
 * nodes that name it only.
 */

const PREFIX = 'mcp:';

/** A node's reference to an MCP tool. */
export interface McpToolRef {
  /** The agent's name for the server (`mcpServers[].name`). */
  readonly server: string;
  /** The server's name for the tool. */
  readonly tool: string;
}

/** The MCP tool `id` names, or undefined when it is not an `mcp:<server>/<tool>` id. */
export function parseMcpToolId(id: string): McpToolRef | undefined {
  if (!id.startsWith(PREFIX)) return undefined;
  const rest = id.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { server: rest.slice(0, slash), tool: rest.slice(slash + 1) };
}

/** Whether `id` is meant as an MCP tool id (it starts with `mcp:`, well formed or not). */
export function isMcpToolId(id: string): boolean {
  return id.startsWith(PREFIX);
}
