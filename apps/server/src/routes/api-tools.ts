/**
 * The webhook tools REST API: list, read, create-or-replace, delete, and run a tool with sample
 * arguments. Header secrets are credential names; their values are never returned.
 */

import { argumentsValidator } from '@parley/flows';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { BUILTIN_TOOLS } from '../calls/tools/builtin-tools.ts';
import { parseToolDefinition, ToolDefinitionError } from '../calls/tools/parse-tool.ts';
import { toolIdSchema } from '../calls/tools/tool-schema.ts';
import { runWebhook, type WebhookOutcome } from '../calls/tools/webhook-request.ts';
import { targetIssues } from '../calls/tools/write-checks.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { type Tool, ToolInUseError, type ToolRepository } from '../db/tools.ts';
import type { EgressPolicy } from '../security/egress.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiToolsRoutes} needs. */
export interface ApiToolsDeps {
  readonly tools: ToolRepository;
  readonly credentials: CredentialStore;
  /** Refuses tool URLs at non-public addresses when written. */
  readonly egress: EgressPolicy;
  /** The egress fetch, for `POST /api/tools/:id/test`. */
  readonly fetch: typeof fetch;
}

/** A tool as the API returns it: `{ id, …definition, createdAt, updatedAt }`. */
export type PublicTool = { id: string; createdAt: Date; updatedAt: Date } & Tool['definition'];

const idParamsSchema = z.object({ id: z.string() });

const testBodySchema = z.strictObject({
  /** The arguments, as the LLM would give them. Default `{}`. */
  arguments: z.record(z.string(), z.unknown()).default({}),
  /** Context variables for the URL's `{{placeholders}}`, as a call would have them. */
  variables: z.record(z.string(), z.string()).default({}),
});

/**
 * The tools API, as a Fastify plugin. Errors are `ApiErrorBody` JSON (see `errors.ts`).
 *
 * - `GET /api/tools`: `{ tools: PublicTool[] }`, ordered by id.
 * - `GET /api/tools/:id`: the tool; 404 `tool_not_found`.
 * - `PUT /api/tools/:id` with a tool definition (see `calls/tools/tool-schema.ts`): creates
 *   (201) or replaces (200) it. 400 `invalid_tool` with `issues` when the id is not a slug or is
 *   a built-in's name, the definition is invalid (its `parameters` are checked as a JSON Schema),
 *   its URL is at an address the egress rules refuse, or a header's credential is missing, not
 *   `generic` or bound to another origin than the URL's.
 * - `DELETE /api/tools/:id`: 204; 404 `tool_not_found`; 409 `tool_in_use` with the agents
 *   listing it as `issues`.
 * - `POST /api/tools/:id/test` with `{ arguments?, variables? }`: runs the tool as a call would
 *   (egress rules, time limit, retries) and answers 200 `{ ok, status?, durationMs, attempts,
 *   request: { method, url, headers (secrets as ***), body? }, response?: { status, body },
 *   result (what the LLM would read), error? }`; 400 `invalid_arguments` with `issues` when the
 *   arguments do not fit the tool's schema (no request is made).
 */
export function apiToolsRoutes(deps: ApiToolsDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/tools', async () => ({ tools: (await deps.tools.list()).map(toPublic) }));

    app.get('/api/tools/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const tool = await deps.tools.get(id);
      if (tool === undefined) return sendApiError(reply, 404, 'tool_not_found', `No tool ${id}`);
      return toPublic(tool);
    });

    app.put('/api/tools/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const idCheck = toolIdSchema.safeParse(id);
      if (!idCheck.success) return sendInvalid(reply, 'invalid_tool', `Invalid tool ${id}`, idCheck.error);
      if (BUILTIN_TOOLS.has(id)) {
        return sendApiError(reply, 400, 'invalid_tool', `Invalid tool ${id}`, [
          `id: "${id}" is a built-in tool's name`,
        ]);
      }
      try {
        const definition = parseToolDefinition(request.body);
        const issues = await targetIssues(deps, definition.url, definition.headers);
        if (issues.length > 0) throw new ToolDefinitionError(issues);
        const { tool, created } = await deps.tools.upsert(id, definition);
        return reply.code(created ? 201 : 200).send(toPublic(tool));
      } catch (error) {
        if (!(error instanceof ToolDefinitionError)) throw error;
        return sendApiError(reply, 400, 'invalid_tool', `Invalid tool ${id}`, error.issues);
      }
    });

    app.delete('/api/tools/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      try {
        if (!(await deps.tools.delete(id)))
          return sendApiError(reply, 404, 'tool_not_found', `No tool ${id}`);
      } catch (error) {
        if (!(error instanceof ToolInUseError)) throw error;
        return sendApiError(reply, 409, 'tool_in_use', error.message, error.usedBy);
      }
      return reply.code(204).send();
    });

    app.post('/api/tools/:id/test', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const tool = await deps.tools.get(id);
      if (tool === undefined) return sendApiError(reply, 404, 'tool_not_found', `No tool ${id}`);
      const body = testBodySchema.safeParse(request.body ?? {});
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'The body must be { arguments?, variables? }', body.error);
      }
      const issues = argumentsValidator(tool.definition.parameters)(body.data.arguments);
      if (issues.length > 0) {
        return sendApiError(reply, 400, 'invalid_arguments', 'The arguments do not fit the tool', issues);
      }
      const outcome = await runWebhook(deps, tool.definition, body.data.arguments, body.data.variables);
      request.log.info(
        { toolId: id, ok: outcome.ok, status: outcome.status, durationMs: outcome.durationMs },
        'tool tested',
      );
      return testAnswer(outcome);
    });
  };
}

function toPublic(tool: Tool): PublicTool {
  return { id: tool.id, ...tool.definition, createdAt: tool.createdAt, updatedAt: tool.updatedAt };
}

function testAnswer(outcome: WebhookOutcome) {
  return {
    ok: outcome.ok,
    ...(outcome.status === undefined ? {} : { status: outcome.status }),
    durationMs: outcome.durationMs,
    attempts: outcome.attempts,
    ...(outcome.request ? { request: outcome.request } : {}),
    ...(outcome.status === undefined
      ? {}
      : { response: { status: outcome.status, body: outcome.responseBody ?? '' } }),
    result: outcome.result,
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  };
}
