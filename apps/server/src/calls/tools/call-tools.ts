/**
 * The tools of one call, built when it starts from its agent's configuration: built-ins and
 * stored webhook tools named in `config.tools`, then the tools of `config.mcpServers`. Each
 * comes as what the LLM sees and a handler for `LLMService.registerFunction`. A tool that cannot
 * be set up (an unknown id, an MCP server that does not answer) is a set-up problem: it is left
 * out and the call goes on.
 */

import { argumentsValidator } from '@parley/flows';
import type { FunctionHandler, FunctionOptions, ToolDefinition } from '@parley/pipeline';
import type { FastifyBaseLogger } from 'fastify';
import type { AgentConfig } from '../../config/agent-config.ts';
import type { CredentialStore } from '../../credentials/store.ts';
import type { Tool, ToolRepository } from '../../db/tools.ts';
import { BUILTIN_TOOLS, type CallControls } from './builtin-tools.ts';
import { openHttpMcpServer } from './mcp/http-server.ts';
import type { McpToolSet } from './mcp/mcp-tools.ts';
import type { ToolCallLog } from './tool-call-log.ts';
import { runWebhook, webhookTimeLimitMs } from './webhook-request.ts';

/** One tool of a call, ready to register. */
export interface CallTool {
  /** What the LLM sees; `definition.name` is the name to register the handler under. */
  readonly definition: ToolDefinition;
  readonly handler: FunctionHandler;
  readonly options: FunctionOptions;
  /** For an MCP server's tool: the server's name for it (`definition.name` may differ). */
  readonly remoteName?: string;
}

/** The tools of one call. */
export interface CallToolSet {
  readonly tools: readonly CallTool[];
  /** What could not be set up, one line each for the log (no secrets). */
  readonly problems: readonly string[];
  /** Closes the MCP connections; call it when the call ends. Never rejects. */
  close(): Promise<void>;
}

/** What building a call's tools needs from the call. */
export interface CallToolsRequest {
  readonly config: AgentConfig;
  /** The call's context variables (filled into webhook URLs). */
  readonly vars: Readonly<Record<string, string>>;
  /** What built-in tools do to the call. */
  readonly controls: CallControls;
  /** Where handlers note which tool ran and how it went, for the call's events. */
  readonly log: ToolCallLog;
  readonly logger: FastifyBaseLogger;
}

/** Builds a call's tools (the server's {@link createCallToolsLoader}; none when absent). */
export type CallToolsLoader = (request: CallToolsRequest) => Promise<CallToolSet>;

/** What {@link createCallToolsLoader} needs from the server. */
export interface CallToolsDeps {
  readonly tools: Pick<ToolRepository, 'getMany'>;
  readonly credentials: Pick<CredentialStore, 'reveal'>;
  /** The egress fetch (`security/egress.ts`): webhook and MCP requests go through it. */
  readonly fetch: typeof fetch;
  /** Longest wait for an MCP server's tool list at call start, ms. Default 5000. */
  readonly mcpListTimeoutMs?: number;
}

/** The server's {@link CallToolsLoader}. */
export function createCallToolsLoader(deps: CallToolsDeps): CallToolsLoader {
  return async ({ config, vars, controls, log, logger }) => {
    const problems: string[] = [];
    const tools: CallTool[] = [];
    const names = new Set<string>();
    const add = (tool: CallTool, where: string): boolean => {
      if (names.has(tool.definition.name)) {
        problems.push(
          `${where}: another tool of this agent is already named "${tool.definition.name}"; left out`,
        );
        return false;
      }
      names.add(tool.definition.name);
      tools.push(tool);
      return true;
    };

    const ids = config.tools ?? [];
    const stored = new Map(
      (await deps.tools.getMany(ids.filter((id) => !BUILTIN_TOOLS.has(id)))).map((t) => [t.id, t]),
    );
    for (const id of ids) {
      const builtin = BUILTIN_TOOLS.get(id);
      const tool = stored.get(id);
      if (builtin) {
        const setup = builtin.setUp({ config, controls, log });
        if (typeof setup === 'string') problems.push(`tools: ${id}: ${setup}; left out`);
        else if (add(setup, `tools: ${id}`))
          log.describe(setup.definition.name, { source: 'builtin', toolId: id });
      } else if (tool) {
        if (add(webhookTool(deps, tool, vars, log, logger), `tools: ${id}`)) {
          log.describe(tool.definition.name, { source: 'webhook', toolId: id });
        }
      } else problems.push(`tools: no tool "${id}" is stored; left out`);
    }

    const opened = await Promise.allSettled(
      (config.mcpServers ?? []).map((server) =>
        openHttpMcpServer(deps, server, deps.mcpListTimeoutMs ?? 5000),
      ),
    );
    const sets: McpToolSet[] = [];
    opened.forEach((result, i) => {
      const server = config.mcpServers![i]!;
      if (result.status === 'rejected') {
        const why = result.reason instanceof Error ? result.reason.message : String(result.reason);
        problems.push(`mcpServers.${server.name}: could not list its tools (${why}); its tools are left out`);
        return;
      }
      sets.push(result.value);
      for (const mcp of result.value.tools) {
        const bare = mcp.definition.name;
        const name = names.has(bare) ? `${server.name}_${bare}`.slice(0, 64) : bare;
        const handler: FunctionHandler = async (args, { toolCallId, signal }) => {
          const outcome = await mcp.call(args, signal);
          log.settle(toolCallId, { ok: outcome.ok, ...(outcome.error ? { error: outcome.error } : {}) });
          if (!outcome.ok)
            logger.warn(
              { mcpServer: server.name, tool: mcp.remoteName, error: outcome.error },
              'MCP tool failed',
            );
          return outcome.result;
        };
        const timeoutMs = (server.timeoutSecs ?? 10) * 1000 + 1000;
        if (
          add(
            {
              definition: { ...mcp.definition, name },
              handler,
              options: { timeoutMs },
              remoteName: mcp.remoteName,
            },
            `mcpServers.${server.name}`,
          )
        ) {
          log.describe(name, { source: 'mcp', toolId: server.name, remoteName: mcp.remoteName });
        }
      }
    });

    return {
      tools,
      problems,
      close: async () => {
        await Promise.all(sets.map((s) => s.close()));
      },
    };
  };
}

/**
 * A stored webhook tool for one call. Arguments are checked against its schema first (invalid:
 * an error result saying what is wrong, no request). A GET is cancelled when the caller
 * interrupts; other methods may change something at the other end, so they run to the end.
 */
function webhookTool(
  deps: CallToolsDeps,
  tool: Tool,
  vars: Readonly<Record<string, string>>,
  log: ToolCallLog,
  logger: FastifyBaseLogger,
): CallTool {
  const { definition } = tool;
  const validate = argumentsValidator(definition.parameters);
  const handler: FunctionHandler = async (args, { toolCallId, signal }) => {
    const issues = validate(args);
    if (issues.length > 0) {
      log.settle(toolCallId, { ok: false, error: `invalid_arguments: ${issues.join('; ')}` });
      return JSON.stringify({ error: `invalid arguments, nothing was sent: ${issues.join('; ')}` });
    }
    const outcome = await runWebhook(deps, definition, args, vars, signal);
    log.settle(toolCallId, {
      ok: outcome.ok,
      attempts: outcome.attempts,
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    });
    if (!outcome.ok) {
      logger.warn(
        { tool: tool.id, status: outcome.status, attempts: outcome.attempts, error: outcome.error },
        'webhook tool failed',
      );
    }
    return outcome.result;
  };
  return {
    definition: {
      name: definition.name,
      description: definition.description,
      parameters: definition.parameters,
    },
    handler,
    options: {
      timeoutMs: webhookTimeLimitMs(definition),
      cancelOnInterruption: definition.method === 'GET',
    },
  };
}
