/**
 * The agents REST API: list, read and create-or-replace agents, never exposing API keys.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import {
  type AgentConfig,
  AgentConfigError,
  formatIssues,
  parseAgentConfig,
} from '../config/agent-config.ts';
import type { Agent, AgentRepository } from '../db/agents.ts';
import { sendApiError } from './errors.ts';

/** What {@link apiAgentsRoutes} needs. */
export interface ApiAgentsDeps {
  readonly agents: AgentRepository;
}

/** What responses show instead of a stored secret (`llm.apiKey`). Sending it back in a PUT keeps the stored secret. */
export const MASKED_SECRET = '***';

/** An agent as the API returns it: `config.llm.apiKey` is {@link MASKED_SECRET} when set, absent otherwise. */
export type PublicAgent = Agent;

const putBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Validated by `parseAgentConfig` (after restoring a masked key), so that its issues are listed as such. */
  config: z.unknown(),
});

const idParamsSchema = z.object({ id: z.string() });

/**
 * The agents API, as a Fastify plugin (register it with `app.register(apiAgentsRoutes(deps))`).
 * Errors are {@link ApiErrorBody} JSON (see `errors.ts`). Agents are `{ id, name, config,
 * createdAt, updatedAt }` with ISO 8601 dates and the API key masked (see {@link PublicAgent}).
 *
 * - `GET /api/agents`: `{ agents: PublicAgent[] }`, ordered by id.
 * - `GET /api/agents/:id`: the agent; 404 `agent_not_found`.
 * - `PUT /api/agents/:id` with `{ name, config }`: creates (201) or replaces (200) the agent and
 *   returns it. `config` is a whole agent configuration (see `config/agent-config.ts`); a
 *   `config.llm.apiKey` of {@link MASKED_SECRET} keeps the stored key (or none if there is
 *   none), and leaving `apiKey` out removes it. 400 `invalid_body` when the body is not
 *   `{ name, config }`, 400 `invalid_agent` with `issues` when the id is not a slug or the
 *   configuration is invalid.
 */
export function apiAgentsRoutes(deps: ApiAgentsDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/agents', async () => {
      const agents = await deps.agents.list();
      return { agents: agents.map(maskAgent) };
    });

    app.get('/api/agents/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const agent = await deps.agents.get(id);
      if (agent === undefined) return sendApiError(reply, 404, 'agent_not_found', `No agent ${id}`);
      return maskAgent(agent);
    });

    app.put('/api/agents/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const body = putBodySchema.safeParse(request.body);
      if (!body.success) {
        return sendApiError(
          reply,
          400,
          'invalid_body',
          'The body must be { name, config }',
          formatIssues(body.error.issues),
        );
      }
      let exists: boolean;
      let storedKey: string | undefined;
      try {
        const existing = await deps.agents.get(id);
        exists = existing !== undefined;
        storedKey = existing?.config.llm.apiKey;
      } catch (error) {
        // A stored configuration that no longer validates can still be replaced, but its key is lost.
        if (!(error instanceof AgentConfigError)) throw error;
        request.log.warn(
          { err: error, agentId: id },
          'replacing an agent whose stored configuration is invalid',
        );
        exists = true;
        storedKey = undefined;
      }
      try {
        const config = parseAgentConfig(restoreMaskedKey(body.data.config, storedKey));
        const agent = await deps.agents.upsert({ id, name: body.data.name, config });
        return reply.code(exists ? 200 : 201).send(maskAgent(agent));
      } catch (error) {
        if (!(error instanceof AgentConfigError)) throw error;
        return sendApiError(reply, 400, 'invalid_agent', `Invalid agent ${id}`, error.issues);
      }
    });
  };
}

/** A copy of `agent` with `config.llm.apiKey` replaced by {@link MASKED_SECRET} if set. */
function maskAgent(agent: Agent): PublicAgent {
  const { apiKey, ...llm } = agent.config.llm;
  const config: AgentConfig = {
    ...agent.config,
    llm: apiKey === undefined ? llm : { ...llm, apiKey: MASKED_SECRET },
  };
  return { ...agent, config };
}

/**
 * `config` (unvalidated input) with a masked `llm.apiKey` replaced by `storedKey`, or removed
 * when there is no stored key. Anything else is returned as is, for the schema to judge.
 */
function restoreMaskedKey(config: unknown, storedKey: string | undefined): unknown {
  if (!isRecord(config) || !isRecord(config.llm) || config.llm.apiKey !== MASKED_SECRET) return config;
  const { apiKey: _masked, ...llm } = config.llm;
  return { ...config, llm: storedKey === undefined ? llm : { ...llm, apiKey: storedKey } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
