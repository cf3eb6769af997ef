/**
 * An agent's MCP server over Streamable HTTP
 * (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http):
 * its requests go through the egress fetch, with the configured headers (secrets read from
 * `generic` credentials bound to the server's origin).
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CredentialStore } from '../../../credentials/store.ts';
import type { McpServerConfig } from '../tool-schema.ts';
import { type McpToolSet, openMcpTools } from './mcp-tools.ts';

/** What connecting an agent's MCP server needs from the server. */
export interface McpHttpDeps {
  /** The egress fetch (`security/egress.ts`). */
  readonly fetch: typeof fetch;
  readonly credentials: Pick<CredentialStore, 'reveal'>;
}

/**
 * Connects to `server` and lists its allowed tools within `listTimeoutMs`.
 * @throws a `CredentialError` when a header's credential cannot be used there; what the SDK
 *   throws when the server cannot be reached, refuses, or does not answer in time.
 */
export async function openHttpMcpServer(
  deps: McpHttpDeps,
  server: McpServerConfig,
  listTimeoutMs = 5000,
): Promise<McpToolSet> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(server.headers ?? {})) {
    if (typeof value === 'string') headers[name] = value;
    else {
      const secrets = await deps.credentials.reveal(
        value.credential,
        'generic',
        server.url,
        `headers.${name}`,
      );
      const secret = secrets[value.field];
      if (secret === undefined) {
        throw new Error(`headers.${name}: credential "${value.credential}" has no field "${value.field}"`);
      }
      headers[name] = `${value.prefix ?? ''}${secret}`;
    }
  }
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    fetch: deps.fetch,
    requestInit: { headers },
  });
  return openMcpTools(transport, {
    name: server.name,
    ...(server.allowTools ? { allowTools: server.allowTools } : {}),
    listTimeoutMs,
    callTimeoutMs: (server.timeoutSecs ?? 10) * 1000,
  });
}
