/**
 * The agents REST API: list, read and create-or-replace agents. Agents name the credential of
 * their API key; keys are never returned.
 */

import { findVendor } from '@parley/services';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { serviceBaseUrl } from '../calls/service-access.ts';
import { agentToolIssues, aroundCallSecretIssues } from '../calls/tools/write-checks.ts';
import { AgentConfigError, parseAgentConfig } from '../config/agent-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import {
  credentialAt,
  isRecord,
  rawServiceSlots,
  type ServiceSlot,
  serviceSlots,
} from '../config/service-slots.ts';
import { spokenTemplateIssues } from '../context/variables.ts';
import { CredentialError } from '../credentials/errors.ts';
import type { CredentialKind } from '../credentials/kinds.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { type Agent, type AgentRepository, checkAgentId } from '../db/agents.ts';
import type { ToolRepository } from '../db/tools.ts';
import type { EgressPolicy } from '../security/egress.ts';
import { sendCredentialError } from './api-credentials.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiAgentsRoutes} needs. */
export interface ApiAgentsDeps {
  readonly agents: AgentRepository;
  readonly credentials: CredentialStore;
  /** The vendors' base URLs set in the environment: where services without one send their requests (and so their key). */
  readonly config: Pick<ServerConfig, 'vendorEnv'>;
  /** Refuses base URLs at non-public addresses when they are written (see `security/egress.ts`). */
  readonly egress: EgressPolicy;
  /** When set, `config.tools` must name stored tools or built-ins, and `config.mcpServers` pass the egress and credential checks. */
  readonly tools?: ToolRepository;
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
 *   Each service (`stt`, `llm`, `tts`, `failover.<kind>.<i>`) may name a `credential` of its
 *   vendor's kind (`openai`, `deepgram`, …); an inline `apiKey` is stored in that credential
 *   (default name `agent-<id>` for the LLM, `agent-<id>-<path>` for the others), bound to the
 *   origin of the service's base URL, and the agent refers to it; an `apiKey` of
 *   {@link MASKED_SECRET} keeps the credential the agent has at that place.
 *
 *   Refusals: 400 `secret_required` when the credential is bound to another origin than the
 *   service's base URL (changing `baseUrl` takes the key again); 400 `credential_not_found` /
 *   `credential_kind_mismatch`; 400 `invalid_agent` with `issues` when the id is not a slug, the
 *   configuration is invalid (an unknown provider lists the known ones), a `baseUrl` is at a
 *   non-public address (loopback, private, link-local…) that `EGRESS_ALLOW` does not allow, a
 *   key is given to a service that takes none, or a `preCall` header or the end-of-call webhook's
 *   `secretCredential` names a credential that is missing, not `generic` or bound to another origin,
 *   or the greeting or an idle prompt names a variable without a default; 400 `invalid_body` when the body is not
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
      let stored: unknown;
      try {
        const existing = await deps.agents.get(id);
        exists = existing !== undefined;
        stored = existing?.config;
      } catch (error) {
        // A stored configuration that no longer validates can still be replaced.
        if (!(error instanceof AgentConfigError)) throw error;
        request.log.warn(
          { err: error, agentId: id },
          'replacing an agent whose stored configuration is invalid',
        );
        exists = true;
        stored = undefined;
      }
      const { config: input, keys } = takeInlineKeys(body.data.config, stored);
      try {
        const config = parseAgentConfig(input);
        const refusals = serviceSlots(config).flatMap(({ path, service }) => {
          const refusal =
            service.baseUrl === undefined ? undefined : deps.egress.refusalForUrl(service.baseUrl);
          return refusal === undefined
            ? []
            : [
                `${path}.baseUrl: ${refusal}; Parley does not send requests there unless EGRESS_ALLOW allows it`,
              ];
        });
        refusals.push(...spokenTemplateIssues(config));
        if (deps.tools) refusals.push(...(await agentToolIssues({ ...deps, tools: deps.tools }, config)));
        // The pre-call and webhook URLs are checked the same way (and again when connecting).
        const refused = new Set<string>();
        for (const [path, url] of [
          ['preCall.url', config.preCall?.url],
          ['postCall.webhook.url', config.postCall?.webhook?.url],
        ] as const) {
          const refusal =
            url === undefined ? undefined : deps.egress.refusalForUrl(url.replace(/\{\{[^}]*\}\}/g, 'x'));
          if (refusal) {
            refused.add(path);
            refusals.push(
              `${path}: ${refusal}; Parley does not send requests there unless EGRESS_ALLOW allows it`,
            );
          }
        }
        // Their secrets too, so a missing credential is found now rather than on a call.
        refusals.push(
          ...(await aroundCallSecretIssues(deps, config, {
            preCall: !refused.has('preCall.url'),
            webhook: !refused.has('postCall.webhook.url'),
          })),
        );
        if (refusals.length > 0) throw new AgentConfigError(refusals);
        if (keys.size > 0) checkAgentId(id); // before storing keys named after it
        for (const slot of serviceSlots(config)) {
          await bindCredential(deps, id, slot, keys.get(slot.path));
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
 * Checks the credential of one service, or stores its inline `apiKey` in one (named
 * `agent-<id>` for the LLM, `agent-<id>-<path>` for the others) bound to the service's base
 * URL, and refers to it.
 * @throws {@link CredentialError} when the credential is missing, of another kind, bound elsewhere.
 * @throws {@link AgentConfigError} when a key is given to a service that takes none.
 */
async function bindCredential(
  deps: ApiAgentsDeps,
  agentId: string,
  { kind, path, service }: ServiceSlot,
  apiKey: string | undefined,
): Promise<void> {
  const vendor = findVendor(kind, service.provider);
  const key = vendor?.key;
  const destination = vendor && serviceBaseUrl(vendor, service, deps.config.vendorEnv);
  if (!key || destination === undefined) {
    if (apiKey !== undefined || service.credential !== undefined) {
      throw new AgentConfigError([`${path}: ${service.provider} takes no API key or credential`]);
    }
    return;
  }
  const credentialKind = key.credentialKind as CredentialKind;
  if (apiKey !== undefined) {
    const name =
      service.credential ??
      (path === 'llm' ? `agent-${agentId}` : `agent-${agentId}-${path.replaceAll('.', '-')}`);
    const current = await deps.credentials.info(name);
    if (current && current.kind !== credentialKind) {
      throw new CredentialError(
        'credential_kind_mismatch',
        `${path}.credential: credential "${name}" is of kind ${current.kind}, not ${credentialKind}`,
      );
    }
    await deps.credentials.put({ name, kind: credentialKind, value: { apiKey }, destination });
    service.credential = name;
  } else if (service.credential !== undefined) {
    await deps.credentials.expectUsable(
      service.credential,
      credentialKind,
      destination,
      `${path}.credential`,
    );
  }
}

/**
 * Takes inline `apiKey`s out of every service of `config` (unvalidated input). A
 * {@link MASKED_SECRET} becomes a reference to the credential `stored` (the agent's current
 * configuration) has at that place, unless the input names a credential itself.
 * @returns the configuration without keys, and the real keys given, by service path.
 */
export function takeInlineKeys(
  config: unknown,
  stored: unknown,
): { config: unknown; keys: Map<string, string> } {
  const keys = new Map<string, string>();
  if (!isRecord(config)) return { config, keys };
  const copy = structuredClone(config);
  for (const { path, service } of rawServiceSlots(copy)) {
    if (!('apiKey' in service)) continue;
    const { apiKey } = service;
    if (apiKey === MASKED_SECRET) {
      delete service.apiKey;
      const credential = service.credential ?? credentialAt(stored, path);
      if (credential !== undefined) service.credential = credential;
    } else if (typeof apiKey === 'string' && apiKey.length > 0) {
      delete service.apiKey;
      keys.set(path, apiKey);
    } // anything else is left for the schema to refuse
  }
  return { config: copy, keys };
}
