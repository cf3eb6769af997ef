/**
 * `POST /api/agents/generate`: an agent and a draft flow from a plain-language description,
 * written by the server's LLM (see `generate/agent-generator.ts`).
 */
import { randomBytes } from 'node:crypto';
import type { LLMService } from '@parley/pipeline';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { requireAuth } from '../auth/guard.ts';
import type { AgentRepository } from '../db/agents.ts';
import type { FlowVersionRepository } from '../db/flow-versions.ts';
import { AgentGenerationError, generateAgent } from '../generate/agent-generator.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiAgentGenerateRoutes} needs. */
export interface ApiAgentGenerateDeps {
  readonly agents: AgentRepository;
  readonly flows: FlowVersionRepository;
  /** The server's language model (`OPENAI_API_KEY` / `OPENAI_BASE_URL`); undefined when none is set. */
  readonly llm: () => LLMService | undefined;
}

const bodySchema = z.strictObject({
  /** What the agent does, in plain language. */
  description: z.string().trim().min(10).max(4000),
  /** The new agent's id (a slug); default: from the generated name. */
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a slug: lower-case letters, digits and "-"')
    .optional(),
  /** Display name; default: the generated one. */
  name: z.string().trim().min(1).max(200).optional(),
});

/** Longest wait for the LLM, both attempts included, ms. */
const GENERATE_TIMEOUT_MS = 120_000;

/**
 * The agent generator, as a Fastify plugin.
 *
 * `POST /api/agents/generate` with `{ description, id?, name? }`: the LLM writes the agent;
 * it is saved (its services are the demo agent's: local speech, the server's OpenAI model)
 * with its flow, if any, as a draft to review and publish. Answers 201
 * `{ agent, flow: FlowVersion | null, repaired }`. Errors: 400 `invalid_body`; 409
 * `agent_exists` when `id` is taken; 422 `generation_refused` with `issues` when the LLM's
 * answer is still invalid after one repair; 502 `llm_error` when the LLM fails; 503 `no_llm`
 * when the server has no language model set.
 */
export function apiAgentGenerateRoutes(deps: ApiAgentGenerateDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/api/agents/generate', async (request, reply) => {
      const body = bodySchema.safeParse(request.body);
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'The body must be { description, id?, name? }', body.error);
      }
      if (body.data.id && (await deps.agents.get(body.data.id).catch(() => true))) {
        return sendApiError(reply, 409, 'agent_exists', `Agent ${body.data.id} exists already`);
      }
      const llm = deps.llm();
      if (!llm)
        return sendApiError(reply, 503, 'no_llm', 'Set OPENAI_API_KEY or OPENAI_BASE_URL on the server');
      let generated: Awaited<ReturnType<typeof generateAgent>>;
      try {
        generated = await generateAgent(llm, body.data.description, AbortSignal.timeout(GENERATE_TIMEOUT_MS));
      } catch (error) {
        if (error instanceof AgentGenerationError) {
          return sendApiError(
            reply,
            422,
            'generation_refused',
            'The LLM did not write a valid agent',
            error.issues,
          );
        }
        request.log.warn({ err: error }, 'agent generation: the LLM failed');
        const reason = error instanceof Error ? error.message : String(error);
        return sendApiError(reply, 502, 'llm_error', `The LLM failed: ${reason}`);
      }
      const name = body.data.name ?? generated.name;
      const id = body.data.id ?? (await freeId(deps.agents, name));
      const agent = await deps.agents.upsert({ id, name, config: generated.config });
      const flow = generated.flow
        ? (await deps.flows.putDraft(id, generated.flow, requireAuth(request).principal.name)).draft
        : null;
      return reply.code(201).send({ agent, flow, repaired: generated.repaired });
    });
  };
}

/** A slug of `name` no agent has (a random suffix when taken). */
async function freeId(agents: AgentRepository, name: string): Promise<string> {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'agent';
  if (!(await agents.get(base).catch(() => true))) return base;
  return `${base}-${randomBytes(3).toString('hex')}`;
}
