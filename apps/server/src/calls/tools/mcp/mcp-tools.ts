/**
 * The tools of one MCP server, over any client transport (Streamable HTTP, stdio), as tools an
 * LLM service can run: listed once (bounded in time), filtered by an allow-list, each called
 * through `client.callTool` with the function call's signal and a time limit. See
 * https://modelcontextprotocol.io/specification/2025-06-18/server/tools for the protocol.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type ArgumentsValidator, argumentsValidator } from '@parley/flows';
import type { ToolDefinition } from '@parley/pipeline';
import { trimForLlm } from '../tool-result.ts';

/** Options of {@link openMcpTools}. */
export interface McpToolsOptions {
  /** The server's short name (logs, prefixes). */
  readonly name: string;
  /** Only these tools (by the server's names) are kept; default: all listed. */
  readonly allowTools?: readonly string[];
  /** Longest wait for connecting and listing, ms. Default 5000. */
  readonly listTimeoutMs?: number;
  /** Longest wait for one tool call, ms. Default 10000. */
  readonly callTimeoutMs?: number;
  /** The result text the LLM reads is cut to this many characters. Default 2000. */
  readonly maxResultChars?: number;
}

/** How one MCP tool call went. */
export interface McpCallOutcome {
  /** A result without `isError`. */
  readonly ok: boolean;
  /** What the LLM reads: the result's text, or a JSON `{ error }`. */
  readonly result: string;
  /** Why it failed, for logs and events. */
  readonly error?: string;
}

/** One tool of the server, ready to register on an LLM service. */
export interface McpTool {
  /** The server's name for it. */
  readonly remoteName: string;
  /** What the LLM sees (`name` is the server's, made safe for LLM function names). */
  readonly definition: ToolDefinition;
  /** Calls it; never throws (a failure is an outcome with `ok: false`). */
  call(args: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<McpCallOutcome>;
}

/** A connected MCP server and its tools. */
export interface McpToolSet {
  readonly name: string;
  readonly tools: readonly McpTool[];
  /** Closes the connection (ends a stdio server's process). Never rejects. */
  close(): Promise<void>;
}

const MAX_PAGES = 10;

/**
 * Connects a client over `transport`, lists the server's tools and keeps the allowed ones.
 * @throws what connecting or listing throws (an `McpError` with code `RequestTimeout` past
 *   `listTimeoutMs`); the transport is closed then.
 */
export async function openMcpTools(transport: Transport, options: McpToolsOptions): Promise<McpToolSet> {
  const client = new Client({ name: 'parley', version: '0.1.0' });
  const listTimeoutMs = options.listTimeoutMs ?? 5000;
  const deadline = AbortSignal.timeout(listTimeoutMs);
  const close = () => client.close().catch(() => undefined);
  try {
    await client.connect(transport, { timeout: listTimeoutMs, signal: deadline });
    const listed: Awaited<ReturnType<Client['listTools']>>['tools'] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await client.listTools(cursor === undefined ? undefined : { cursor }, {
        timeout: listTimeoutMs,
        signal: deadline,
      });
      listed.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    const allowed = options.allowTools && new Set(options.allowTools);
    const tools = listed
      .filter((t) => !allowed || allowed.has(t.name))
      .map((t) =>
        toMcpTool(client, t.name, t.description ?? t.title ?? t.name, t.inputSchema, {
          callTimeoutMs: options.callTimeoutMs ?? 10_000,
          maxResultChars: options.maxResultChars ?? 2000,
        }),
      );
    return { name: options.name, tools, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function toMcpTool(
  client: Client,
  remoteName: string,
  description: string,
  inputSchema: Record<string, unknown>,
  limits: { callTimeoutMs: number; maxResultChars: number },
): McpTool {
  let validate: ArgumentsValidator | undefined;
  try {
    validate = argumentsValidator(inputSchema);
  } catch {
    validate = undefined; // a schema Ajv cannot compile: the server checks the arguments itself
  }
  return {
    remoteName,
    definition: { name: llmSafeName(remoteName), description, parameters: inputSchema },
    async call(args, signal) {
      const issues = validate?.(args) ?? [];
      if (issues.length > 0) {
        const error = `invalid arguments: ${issues.join('; ')}`;
        return {
          ok: false,
          result: JSON.stringify({ error }),
          error: `invalid_arguments: ${issues.join('; ')}`,
        };
      }
      try {
        const result = await client.callTool({ name: remoteName, arguments: { ...args } }, undefined, {
          signal,
          timeout: limits.callTimeoutMs,
        });
        const text = resultText(result);
        const isError = result.isError === true;
        return {
          ok: !isError,
          result: isError
            ? JSON.stringify({ error: trimForLlm(text, limits.maxResultChars) })
            : trimForLlm(text, limits.maxResultChars),
          ...(isError ? { error: 'the tool reported an error' } : {}),
        };
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        return { ok: false, result: JSON.stringify({ error: 'the tool failed' }), error: detail };
      }
    },
  };
}

/** The text of a `tools/call` result: its text parts, else its structured content as JSON. */
function resultText(result: Record<string, unknown>): string {
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  const parts = content.map((part) =>
    part.type === 'text' && typeof part.text === 'string' ? part.text : `[${String(part.type)} content]`,
  );
  if (parts.length > 0) return parts.join('\n');
  return result.structuredContent === undefined ? '' : JSON.stringify(result.structuredContent);
}

/** An MCP tool name as an LLM function name (`^[a-zA-Z0-9_-]{1,64}$`). */
export function llmSafeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'tool';
}
