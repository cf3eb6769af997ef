/**
 * Attaching an MCP server to an LLM service in code, for bots built on the pipeline: any MCP
 * client transport works, e.g. a local server started as a child process over stdio.
 *
 * @example
 * import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
 * const transport = new StdioClientTransport({ command: 'node', args: ['my-mcp-server.js'] });
 * const mcp = await attachMcpServer(llm, context, transport, { name: 'files' });
 * // … run the call …
 * await mcp.close();
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { LLMContext, LLMService } from '@parley/pipeline';
import { type McpToolSet, type McpToolsOptions, openMcpTools } from './mcp-tools.ts';

/**
 * Connects to the MCP server over `transport`, lists its tools (bounded by
 * `options.listTimeoutMs`) and offers each to the LLM: its handler is registered on `llm`
 * (calls bounded by `options.callTimeoutMs`, cancelled with the function call's signal) and its
 * definition appended to `context.tools`. A tool whose name is already in `context.tools` is
 * offered as `<options.name>_<name>`.
 * @returns the server's tools; `close()` it when the call ends.
 * @throws what connecting or listing throws.
 */
export async function attachMcpServer(
  llm: LLMService,
  context: LLMContext,
  transport: Transport,
  options: McpToolsOptions,
): Promise<McpToolSet> {
  const set = await openMcpTools(transport, options);
  const taken = new Set(context.tools.map((t) => t.name));
  for (const tool of set.tools) {
    const name = taken.has(tool.definition.name)
      ? `${options.name}_${tool.definition.name}`.slice(0, 64)
      : tool.definition.name;
    taken.add(name);
    llm.registerFunction(name, async (args, { signal }) => (await tool.call(args, signal)).result, {
      timeoutMs: (options.callTimeoutMs ?? 10_000) + 1000,
    });
    context.tools.push({ ...tool.definition, name });
  }
  return set;
}
