/**
 * An MCP server on 127.0.0.1 for tests, built with the SDK's server classes over Streamable
 * HTTP (stateless: a server and transport per request). Its tools: `get_weather` (`city`) and
 * `delete_everything`, which a test's allow-list leaves out. When `apiKey` is set, requests
 * must carry it as `X-Api-Key` or get 401.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A running test MCP server. */
export interface TestMcpServer {
  /** The Streamable HTTP endpoint, `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  /** Arguments of every `get_weather` call. */
  readonly weatherCalls: Array<{ city: string }>;
  /** `X-Api-Key` of every request. */
  readonly apiKeys: Array<string | undefined>;
  close(): Promise<void>;
}

function mcpServer(weatherCalls: Array<{ city: string }>): McpServer {
  const server = new McpServer({ name: 'test-weather', version: '1.0.0' });
  server.registerTool(
    'get_weather',
    { description: 'The weather in a city.', inputSchema: { city: z.string() } },
    async ({ city }) => {
      weatherCalls.push({ city });
      return { content: [{ type: 'text', text: `It is sunny in ${city}.` }] };
    },
  );
  server.registerTool('delete_everything', { description: 'Never offered to the LLM.' }, async () => ({
    content: [{ type: 'text', text: 'deleted' }],
  }));
  return server;
}

/** Starts a {@link TestMcpServer}. */
export async function startMcpServer(apiKey?: string): Promise<TestMcpServer> {
  const weatherCalls: Array<{ city: string }> = [];
  const apiKeys: Array<string | undefined> = [];
  const http: Server = createServer((req, res) => {
    const key = req.headers['x-api-key'];
    apiKeys.push(typeof key === 'string' ? key : undefined);
    if (apiKey !== undefined && key !== apiKey) {
      res.writeHead(401).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end(); // stateless: no SSE stream of its own
      return;
    }
    const server = mcpServer(weatherCalls);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    weatherCalls,
    apiKeys,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
