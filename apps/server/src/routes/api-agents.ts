/**
 * The agents REST API: list, read and create-or-replace agents. Agents name the credential of
 * their API key; keys are never returned.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { llmBaseUrl } from '../calls/llm-access.ts';
import { AgentConfigError, parseAgentConfig } from '../config/agent-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { CredentialError } from '../credentials/errors.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { type Agent, type AgentRepository, checkAgentId } from '../db/agents.ts';
import type { EgressPolicy } from '../security/egress.ts';
import { sendCredentialError } from './api-credentials.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiAgentsRoutes} needs. */
export interface ApiAgentsDeps {
  readonly agents: AgentRepository;
  readonly credentials: CredentialStore;
  /** `OPENAI_BASE_URL`: where agents without a base URL send their requests (and so their key). */
  readonly config: Pick<ServerConfig, 'openaiApiKey' | 'openaiBaseUrl'>;
  /** Refuses LLM base URLs at non-public addresses when they are written (see `security/egress.ts`). */
  readonly egress: EgressPolicy;
}

/**
 * What older clients sent back in place of a stored secret. In a PUT it keeps the credential
 * already referred to (and so is subject to the same destination check).
 */
export const MASKED_SECRET = '***';

/** An agent as the API returns it: its configuration names its credential, never holds a key. */
export type PublicAgent = Agent;

const putBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Validated by `parseAgentConfig` (after taking out an inline key), so that its issues are listed as such. */
  config: z.unknown(),
});

const idParamsSchema = z.object({ id: z.string() });

/**
 * The agents API, as a Fastify plugin (register it with `app.register(apiAgentsRoutes(deps))`).
 * Errors are {@link ApiErrorBody} JSON (see `errors.ts`). Agents are `{ id, name, config,
 * createdAt, updatedAt }` with ISO 8601 dates.
 *
 * - `GET /api/agents`: `{ agents: PublicAgent[] }`, ordered by id.
 * - `GET /api/agents/:id`: the agent; 404 `agent_not_found`.
 * - `PUT /api/agents/:id` with `{ name, config }`: creates (201) or replaces (200) the agent and
 *   returns it. `config` is a whole agent configuration (see `config/agent-config.ts`).
 *   `config.llm.credential` names a credential of kind `openai`; an inline `config.llm.apiKey`
 *   is stored in that credential (default name `agent-<id>`), bound to the origin of the LLM
 *   base URL, and the agent refers to it; an `apiKey` of {@link MASKED_SECRET} keeps the
 *   agent's current credential.
 *
 *   Refusals: 400 `secret_required` when the credential is bound to another origin than the
 *   LLM base URL's (changing `llm.baseUrl` takes the key again); 400 `credential_not_found` /
 *   `credential_kind_mismatch`; 400 `invalid_agent` with `issues` when the id is not a slug, the
 *   configuration is invalid, or `llm.baseUrl` is at a non-public address (loopback, private,
 *   link-local…) that `EGRESS_ALLOW` does not allow; 400 `invalid_body` when the body is not
 *   `{ name, config }`.
 */
export function apiAgentsRoutes(deps: ApiAgentsDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/agents', async () => ({ agents: await deps.agents.list() }));

    app.get('/api/agents/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const agent = await deps.agents.get(id);
      if (agent === undefined) return sendApiError(reply, 404, 'agent_not_found', `No agent ${id}`);
      return agent;
    });

    app.put('/api/agents/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const body = putBodySchema.safeParse(request.body);
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'The body must be { name, config }', body.error);
      }
      let exists: boolean;
      let storedCredential: string | undefined;
      try {
        const existing = await deps.agents.get(id);
        exists = existing !== undefined;
        storedCredential = existing?.config.llm.credential;
      } catch (error) {
        // A stored configuration that no longer validates can still be replaced.
        if (!(error instanceof AgentConfigError)) throw error;
        request.log.warn(
          { err: error, agentId: id },
          'replacing an agent whose stored configuration is invalid',
        );
        exists = true;
        storedCredential = undefined;
      }
      const { config: input, apiKey } = takeInlineKey(body.data.config, storedCredential);
      try {
        const config = parseAgentConfig(input);
        const refusal =
          config.llm.baseUrl === undefined ? undefined : deps.egress.refusalForUrl(config.llm.baseUrl);
        if (refusal !== undefined) {
          throw new AgentConfigError([
            `llm.baseUrl: ${refusal}; Parley does not send requests there unless EGRESS_ALLOW allows it`,
          ]);
        }
        const destination = llmBaseUrl(config.llm, deps.config);
        if (apiKey !== undefined) {
          const name = config.llm.credential ?? `agent-${id}`;
          const current = await deps.credentials.info(name);
          if (current && current.kind !== 'openai') {
            throw new CredentialError(
              'credential_kind_mismatch',
              `llm.credential: credential "${name}" is of kind ${current.kind}, not openai`,
            );
          }
          checkAgentId(id); // before storing a key named after it
          await deps.credentials.put({ name, kind: 'openai', value: { apiKey }, destination });
          config.llm.credential = name;
        } else if (config.llm.credential !== undefined) {
          await deps.credentials.expectUsable(config.llm.credential, 'openai', destination, 'llm.credential');
        }
        const agent = await deps.agents.upsert({ id, name: body.data.name, config });
        return reply.code(exists ? 200 : 201).send(agent);
      } catch (error) {
        if (error instanceof CredentialError) return sendCredentialError(reply, error);
        if (!(error instanceof AgentConfigError)) throw error;
        return sendApiError(reply, 400, 'invalid_agent', `Invalid agent ${id}`, error.issues);
      }
    });
  };
}

/**
 * Takes an inline `llm.apiKey` out of `config` (unvalidated input). A {@link MASKED_SECRET}
 * becomes a reference to `storedCredential` unless the input names a credential itself.
 * @returns the configuration without the key, and the key when a real one was given.
 */
function takeInlineKey(
  config: unknown,
  storedCredential: string | undefined,
): { config: unknown; apiKey?: string } {
  if (!isRecord(config) || !isRecord(config.llm) || !('apiKey' in config.llm)) return { config };
  const { apiKey, ...llm } = config.llm;
  if (apiKey === MASKED_SECRET) {
    const credential = llm.credential ?? storedCredential;
    return { config: { ...config, llm: credential === undefined ? llm : { ...llm, credential } } };
  }
  if (typeof apiKey === 'string' && apiKey.length > 0) return { config: { ...config, llm }, apiKey };
  // Anything else is left for the schema to refuse.
  return { config };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
