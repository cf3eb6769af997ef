/** The tool ids a stored flow's nodes may name (`toolIds`): the stored tools and the built-in ones. */
import { BUILTIN_TOOLS } from '../calls/tools/builtin-tools.ts';
import type { ToolRepository } from '../db/tools.ts';

/** The ids a flow may name, or `'any'` when there is nothing to check against. */
export type KnownToolIds = ReadonlySet<string> | 'any';

/** The ids of `tools` (every stored tool is open to every agent) and of the built-in tools. */
export function knownToolIds(tools: ToolRepository): (agentId: string) => Promise<KnownToolIds> {
  return async () => new Set([...(await tools.list()).map((tool) => tool.id), ...BUILTIN_TOOLS.keys()]);
}
