/**
 * The tools an agent's MCP servers offer, listed when a flow that names them
 * (`mcp:<server>/<tool>` in a node's `toolIds`) is checked.
 */
import { type McpHttpDeps, openHttpMcpServer } from '../calls/tools/mcp/http-server.ts';
import type { AgentRepository } from '../db/agents.ts';

/**
 * By server name (the agent's `mcpServers[].name`): the server's names of the tools it offers
 * (after the agent's `allowTools`), or why they could not be listed.
 */
export type McpCatalog = ReadonlyMap<string, McpServerTools>;

/** The tools one MCP server offers the agent, or why they could not be listed. */
export type McpServerTools = { readonly tools: ReadonlySet<string> } | { readonly error: string };

/**
 * Lists the tools of every MCP server of an agent, in parallel, each within `listTimeoutMs`
 * (egress rules and header credentials apply as in a call). Empty for an unknown agent.
 */
export function mcpCatalog(
  agents: Pick<AgentRepository, 'get'>,
  deps: McpHttpDeps,
  listTimeoutMs = 5000,
): (agentId: string) => Promise<McpCatalog> {
  return async (agentId) => {
    const servers = (await agents.get(agentId))?.config.mcpServers ?? [];
    const listed = await Promise.all(
      servers.map(async (server): Promise<[string, McpServerTools]> => {
        try {
          const set = await openHttpMcpServer(deps, server, listTimeoutMs);
          await set.close();
          return [server.name, { tools: new Set(set.tools.map((t) => t.remoteName)) }];
        } catch (err) {
          return [server.name, { error: err instanceof Error ? err.message : String(err) }];
        }
      }),
    );
    return new Map(listed);
  };
}
