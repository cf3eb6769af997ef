/**
 * The flows REST API: an agent's flow, kept as versions (a draft that editors change, the
 * published version new calls run, archived ones for history).
 */
import { flowDefinitionSchema } from '@parley/flows';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireAuth } from '../auth/guard.ts';
import { AgentConfigError } from '../config/agent-config.ts';
import type { AgentRepository } from '../db/agents.ts';
import type { FlowVersion, FlowVersionRepository } from '../db/flow-versions.ts';
import {
  checkStoredFlow,
  errorsOf,
  issueLine,
  namesMcpTools,
  type StoredFlowIssue,
} from '../flows/flow-check.ts';
import { diffFlows } from '../flows/flow-diff.ts';
import type { KnownToolIds } from '../flows/known-tools.ts';
import type { McpCatalog } from '../flows/mcp-catalog.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiFlowsRoutes} needs. */
export interface ApiFlowsDeps {
  readonly agents: AgentRepository;
  readonly flows: FlowVersionRepository;
  /** The tool ids an agent's flow may name (see `flows/known-tools.ts`). */
  readonly knownToolIds: (agentId: string) => Promise<KnownToolIds>;
  /** The tools of an agent's MCP servers, asked when a flow names one (`mcp:<server>/<tool>`); none: every such id is unknown. */
  readonly mcpCatalog?: (agentId: string) => Promise<McpCatalog>;
}

const idParamsSchema = z.object({ id: z.string() });
const versionParamsSchema = z.object({ id: z.string(), version: z.string() });
const draftBodySchema = z.strictObject({ definition: z.unknown() });
const validateBodySchema = z.strictObject({ definition: z.unknown().optional() });
const diffQuerySchema = z.object({ from: z.string().min(1), to: z.string().min(1) });

/** Refused: the definition has errors. */
class InvalidFlowError extends Error {
  constructor(readonly issues: readonly StoredFlowIssue[]) {
    super('the flow has errors');
  }
}

/**
 * The flows API, as a Fastify plugin. Versions are `{ id, agentId, version, status, definition,
 * createdBy, createdAt, updatedAt, publishedAt }` (ISO 8601 dates; lists leave out
 * `definition`). Issues are `{ code, severity: 'error' | 'warning', path, message }` with paths
 * such as `nodes.greet.functions.book_table`. Every route answers 404 `agent_not_found` for an
 * unknown agent.
 *
 * - `GET /api/agents/:id/flow`: `{ draft, published }`, each a version or null.
 * - `PUT /api/agents/:id/flow/draft` with `{ definition }`: creates (201) or replaces (200) the
 *   draft and returns it with its warnings as `issues`; 400 `invalid_flow` (`issues` as
 *   `path: message` lines, and `flowIssues`) when it has errors, 400 `invalid_body` when the
 *   body is not `{ definition }`.
 * - `DELETE /api/agents/:id/flow/draft`: 204; 404 `flow_draft_not_found`.
 * - `POST /api/agents/:id/flow/validate` with `{ definition }` (or `{}` for the stored draft):
 *   `{ valid, issues }`; 404 `flow_draft_not_found` for `{}` without a draft.
 * - `POST /api/agents/:id/flow/publish`: the draft becomes the published version (new calls run
 *   it), the one published until now is archived; returns `{ published, archived }` (archived a
 *   summary or null); 404 `flow_draft_not_found`, 400 `invalid_flow` when the draft no longer
 *   passes the checks (e.g. a tool it names was deleted).
 * - `GET /api/agents/:id/flow/versions`: `{ versions }`, newest first, without definitions.
 * - `GET /api/agents/:id/flow/versions/:version`: that version (a number); 404 `flow_version_not_found`.
 * - `GET /api/agents/:id/flow/diff?from=a&to=b` (version numbers, or `draft` / `published`):
 *   `{ from, to, addedNodes, removedNodes, changedNodes: [{ key, fields }], changedGlobalFunctions }`
 *   with `from` and `to` the version numbers compared; 404 `flow_version_not_found`.
 */
export function apiFlowsRoutes(deps: ApiFlowsDeps): FastifyPluginAsync {
  return async (app) => {
    /** The agent's id, or undefined once a 404 has been sent. */
    const agentOf = async (params: unknown, reply: FastifyReply): Promise<string | undefined> => {
      const { id } = idParamsSchema.parse(params);
      if (await agentExists(deps.agents, id)) return id;
      sendApiError(reply, 404, 'agent_not_found', `No agent ${id}`);
      return undefined;
    };
    const catalogFor = async (agentId: string, definition: unknown): Promise<McpCatalog | undefined> =>
      deps.mcpCatalog && namesMcpTools(definition) ? await deps.mcpCatalog(agentId) : undefined;
    const check = async (agentId: string, definition: unknown) =>
      checkStoredFlow(definition, await deps.knownToolIds(agentId), await catalogFor(agentId, definition));
    const draftNotFound = (reply: FastifyReply, agentId: string) =>
      sendApiError(reply, 404, 'flow_draft_not_found', `Agent ${agentId} has no draft flow`);
    const sendInvalidFlow = (reply: FastifyReply, issues: readonly StoredFlowIssue[]) =>
      reply.code(400).send({
        error: {
          code: 'invalid_flow',
          message: 'The flow has errors',
          issues: issues.map(issueLine),
          flowIssues: issues,
        },
      });

    app.get('/api/agents/:id/flow', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      const [draft, published] = await Promise.all([
        deps.flows.draft(agentId),
        deps.flows.published(agentId),
      ]);
      return { draft: draft ?? null, published: published ?? null };
    });

    app.put('/api/agents/:id/flow/draft', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      const body = draftBodySchema.safeParse(request.body);
      if (!body.success)
        return sendInvalid(reply, 'invalid_body', 'The body must be { definition }', body.error);
      const issues = await check(agentId, body.data.definition);
      const errors = errorsOf(issues);
      if (errors.length > 0) return sendInvalidFlow(reply, errors);
      const definition = flowDefinitionSchema.parse(body.data.definition);
      const { draft, created } = await deps.flows.putDraft(
        agentId,
        definition,
        requireAuth(request).principal.name,
      );
      return reply.code(created ? 201 : 200).send({ ...draft, issues });
    });

    app.delete('/api/agents/:id/flow/draft', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      if (!(await deps.flows.deleteDraft(agentId))) return draftNotFound(reply, agentId);
      return reply.code(204).send();
    });

    app.post('/api/agents/:id/flow/validate', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      const body = validateBodySchema.safeParse(request.body ?? {});
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'The body must be { definition } or {}', body.error);
      }
      let definition = body.data.definition;
      if (definition === undefined) {
        const draft = await deps.flows.draft(agentId);
        if (!draft) return draftNotFound(reply, agentId);
        definition = draft.definition;
      }
      const issues = await check(agentId, definition);
      return { valid: errorsOf(issues).length === 0, issues };
    });

    app.post('/api/agents/:id/flow/publish', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      const tools = await deps.knownToolIds(agentId);
      const mcp = await catalogFor(agentId, (await deps.flows.draft(agentId))?.definition);
      try {
        const outcome = await deps.flows.publish(agentId, (draft) => {
          const errors = errorsOf(checkStoredFlow(draft.definition, tools, mcp));
          if (errors.length > 0) throw new InvalidFlowError(errors);
        });
        if (!outcome.published) return draftNotFound(reply, agentId);
        return { published: outcome.published, archived: outcome.archived ?? null };
      } catch (error) {
        if (error instanceof InvalidFlowError) return sendInvalidFlow(reply, error.issues);
        throw error;
      }
    });

    app.get('/api/agents/:id/flow/versions', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      return { versions: await deps.flows.list(agentId) };
    });

    app.get('/api/agents/:id/flow/versions/:version', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      const { version } = versionParamsSchema.parse(request.params);
      const found = await versionNamed(deps.flows, agentId, version);
      if (!found) return versionNotFound(reply, agentId, version);
      return found;
    });

    app.get('/api/agents/:id/flow/diff', async (request, reply) => {
      const agentId = await agentOf(request.params, reply);
      if (agentId === undefined) return reply;
      const query = diffQuerySchema.safeParse(request.query);
      if (!query.success) {
        return sendInvalid(reply, 'invalid_query', 'Give the versions to compare as ?from=&to=', query.error);
      }
      const [from, to] = await Promise.all([
        versionNamed(deps.flows, agentId, query.data.from),
        versionNamed(deps.flows, agentId, query.data.to),
      ]);
      if (!from) return versionNotFound(reply, agentId, query.data.from);
      if (!to) return versionNotFound(reply, agentId, query.data.to);
      const diff = diffFlows(
        flowDefinitionSchema.parse(from.definition),
        flowDefinitionSchema.parse(to.definition),
      );
      return { from: from.version, to: to.version, ...diff };
    });
  };
}

async function agentExists(agents: AgentRepository, id: string): Promise<boolean> {
  try {
    return (await agents.get(id)) !== undefined;
  } catch (error) {
    if (error instanceof AgentConfigError) return true; // its stored configuration is invalid, but it exists
    throw error;
  }
}

/** Version `name` of the agent's flow: a number, `draft` or `published`. */
async function versionNamed(
  flows: FlowVersionRepository,
  agentId: string,
  name: string,
): Promise<FlowVersion | undefined> {
  if (name === 'draft') return flows.draft(agentId);
  if (name === 'published') return flows.published(agentId);
  if (!/^[1-9][0-9]{0,8}$/.test(name)) return undefined;
  return flows.get(agentId, Number(name));
}

function versionNotFound(reply: FastifyReply, agentId: string, name: string): FastifyReply {
  return sendApiError(reply, 404, 'flow_version_not_found', `Agent ${agentId} has no flow version ${name}`);
}
