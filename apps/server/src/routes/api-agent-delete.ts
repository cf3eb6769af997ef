/**
 * `DELETE /api/agents/:id`: removes an agent nobody has called. Calls keep their agent's id as
 * history, so an agent with stored or live calls is refused rather than orphaning them.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AgentRepository } from '../db/agents.ts';
import { sendApiError } from './errors.ts';

/** What {@link apiAgentDeleteRoutes} needs. */
export interface ApiAgentDeleteDeps {
  readonly agents: AgentRepository;
}

const paramsSchema = z.object({ id: z.string() });

/**
 * The agent deletion route, as a Fastify plugin.
 *
 * `DELETE /api/agents/:id`: deletes the agent and its flow versions; answers 204. Errors: 404
 * `agent_not_found`; 409 `agent_has_live_calls` while a call with it is ringing or in progress;
 * 409 `agent_has_calls` when stored calls refer to it (their history keeps the agent).
 */
export function apiAgentDeleteRoutes(deps: ApiAgentDeleteDeps): FastifyPluginAsync {
  return async (app) => {
    app.delete('/api/agents/:id', async (request, reply) => {
      const { id } = paramsSchema.parse(request.params);
      const result = await deps.agents.delete(id);
      if (result.outcome === 'not_found')
        return sendApiError(reply, 404, 'agent_not_found', `No agent ${id}`);
      if (result.outcome === 'in_use') {
        return result.live > 0
          ? sendApiError(
              reply,
              409,
              'agent_has_live_calls',
              `Agent ${id} is on ${result.live} live call(s); try again once they end`,
            )
          : sendApiError(
              reply,
              409,
              'agent_has_calls',
              `Agent ${id} has ${result.calls} stored call(s) whose history refers to it, so it is kept`,
            );
      }
      return reply.code(204).send();
    });
  };
}
