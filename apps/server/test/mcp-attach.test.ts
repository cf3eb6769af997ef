import path from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type FunctionHandler, LLMContext, type LLMService } from '@parley/pipeline';
import { describe, expect, it } from 'vitest';
import { attachMcpServer } from '../src/calls/tools/mcp/attach.ts';

const SERVER = path.join(import.meta.dirname, 'fixtures', 'mcp-stdio-server.mjs');

/** An LLM service that only keeps what is registered on it. */
function recordingLlm(): { llm: LLMService; handlers: Map<string, FunctionHandler> } {
  const handlers = new Map<string, FunctionHandler>();
  const llm = { registerFunction: (name: string, handler: FunctionHandler) => handlers.set(name, handler) };
  return { llm: llm as unknown as LLMService, handlers };
}

describe('attachMcpServer', () => {
  it("offers a stdio MCP server's tools to an LLM, prefixing a name already taken", async () => {
    const { llm, handlers } = recordingLlm();
    const context = new LLMContext(
      [],
      [{ name: 'add', description: 'Already there.', parameters: { type: 'object' } }],
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [SERVER],
      cwd: import.meta.dirname,
    });
    const mcp = await attachMcpServer(llm, context, transport, { name: 'math', listTimeoutMs: 15_000 });
    try {
      expect(context.tools.map((t) => t.name)).toEqual(['add', 'math_add']);
      expect(context.tools[1]?.parameters).toMatchObject({ properties: { a: { type: 'number' } } });
      const add = handlers.get('math_add')!;
      const call = {
        toolCallId: 'c1',
        functionName: 'math_add',
        signal: new AbortController().signal,
        llmContext: context,
      };
      expect(await add({ a: 2, b: 3 }, call)).toBe('5');
      // Arguments that do not fit the tool's schema are refused before the server sees them.
      expect(JSON.parse(String(await add({ a: 'two' }, call)))).toEqual({
        error: "invalid arguments: arguments: must have required property 'b'; arguments.a: must be number",
      });
    } finally {
      await mcp.close();
    }
  }, 30_000);
});
