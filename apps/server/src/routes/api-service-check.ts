/**
 * Checking an agent's services against their vendors (key, model, voice) before a call needs
 * them: for a stored agent, or for an agent configuration not saved yet.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { checkAgentServices, type ServiceCheckDeps } from '../calls/service-check.ts';
import { AgentConfigError, parseAgentConfig } from '../config/agent-config.ts';
import type { AgentRepository } from '../db/agents.ts';
import { takeInlineKeys } from './api-agents.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiServiceCheckRoutes} needs. */
export interface ApiServiceCheckDeps extends ServiceCheckDeps {
  readonly agents: Pick<AgentRepository, 'get'>;
}

const idParamsSchema = z.object({ id: z.string() });
const bodySchema = z.strictObject({ config: z.unknown() });

/**
 * The service check API, as a Fastify plugin (editors and admins; see `auth/policy.ts`).
 *
 * - `POST /api/agents/:id/services/check`: checks the stored agent's services; 404
 *   `agent_not_found`.
 * - `POST /api/agents/services/check` with `{ config }`: checks an agent configuration not saved
 *   yet; a service's inline `apiKey` is used for its check (and not stored). 400 `invalid_agent`
 *   with `issues` when the configuration is invalid; 400 `invalid_body` when the body is not `{ config }`.
 *
 * Both answer 200 `{ services: [{ path, kind, provider, ok, code, message }] }` (see
 * `calls/service-check.ts`): `ok` false with `code` `unauthorized`, `unknown_model`,
 * `unknown_voice`, `unreachable`, `vendor_error` or `not_usable`; `null` with `not_checked`. No key is
 * ever in the answer.
 */
export function apiServiceCheckRoutes(deps: ApiServiceCheckDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/api/agents/:id/services/check', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const agent = await deps.agents.get(id);
      if (agent === undefined) return sendApiError(reply, 404, 'agent_not_found', `No agent ${id}`);
      return { services: await checkAgentServices(deps, agent.config) };
    });

    app.post('/api/agents/services/check', async (request, reply) => {
      const body = bodySchema.safeParse(request.body);
      if (!body.success) return sendInvalid(reply, 'invalid_body', 'The body must be { config }', body.error);
      const { config: input, keys } = takeInlineKeys(body.data.config, undefined);
      let config: ReturnType<typeof parseAgentConfig>;
      try {
        config = parseAgentConfig(input);
      } catch (error) {
        if (!(error instanceof AgentConfigError)) throw error;
        return sendApiError(reply, 400, 'invalid_agent', 'Invalid agent configuration', error.issues);
      }
      return { services: await checkAgentServices(deps, config, keys) };
    });
  };
}
