/**
 * The tool ids a stored flow's nodes may name (`toolIds`). Tools (webhook and MCP) will live in
 * a `tools` table; until it exists every id is accepted, and a call offers no stored tools.
 */

/** The ids of the stored tools, or `'any'` while there is no tool store to check against. */
export type KnownToolIds = ReadonlySet<string> | 'any';

/**
 * The stored tools' ids for agent `agentId`.
 * TODO(tools): read the `tools` table (scoped per agent) once it is merged; returns `'any'` now.
 */
export async function knownToolIds(_agentId: string): Promise<KnownToolIds> {
  return 'any';
}
