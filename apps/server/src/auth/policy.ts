/**
 * Who may call each `/api/*` route: the one place that answers "what can a viewer do?".
 * A route missing from {@link ACCESS_RULES} is refused to everyone (see `guard.ts`), so a
 * route added without a rule is closed, not open.
 *
 * Routes whose modules know nothing of users (agents, telephony settings) are audited from
 * here too; the user, key and password routes write their own, more detailed entries.
 */
import type { FastifyRequest } from 'fastify';
import type { AuditRecord } from '../db/audit-log.ts';
import type { Role } from './roles.ts';

/** An audit entry for a successful request, without its actor (the guard adds it). */
export type AuditOf = (request: FastifyRequest, statusCode: number) => Omit<AuditRecord, 'actor'>;

/**
 * What a route requires: `public` (no credentials: only the login), or a minimum role. With
 * `audit`, a 2xx answer adds that entry to the audit log.
 */
export type AccessRule = { readonly public: true } | { readonly role: Role; readonly audit?: AuditOf };

function idParam(request: FastifyRequest): string | null {
  const params = request.params as Record<string, unknown> | undefined;
  return typeof params?.id === 'string' ? params.id : null;
}

function toolAudit(action: string): AuditOf {
  return (request) => ({ action, target: { type: 'tool', id: idParam(request) } });
}

/** The credential a request names: the `:name` parameter, or the created one's `name`. */
function credentialName(request: FastifyRequest): string | null {
  const params = request.params as Record<string, unknown> | undefined;
  if (typeof params?.name === 'string') return params.name;
  const body = request.body as Record<string, unknown> | undefined;
  return typeof body?.name === 'string' ? body.name : null;
}

/** Access rules by `METHOD /url/:pattern` as registered with Fastify; `HEAD` falls back to `GET`. */
export const ACCESS_RULES: Readonly<Record<string, AccessRule>> = {
  'POST /api/auth/login': { public: true },
  'POST /api/auth/logout': { role: 'viewer' },
  'GET /api/auth/me': { role: 'viewer' },
  'PUT /api/auth/password': { role: 'viewer' },

  'GET /api/calls': { role: 'viewer' },
  'GET /api/calls/:id': { role: 'viewer' },
  'GET /api/calls/:id/recording': { role: 'viewer' },
  'POST /api/calls/outbound': { role: 'editor' },
  // The live monitor: any role watches; editors end a call (the call's events say who).
  'GET /api/live': { role: 'viewer' },
  'POST /api/calls/:id/end': {
    role: 'editor',
    audit: (request) => ({ action: 'call.end', target: { type: 'call', id: idParam(request) } }),
  },

  'GET /api/agents': { role: 'viewer' },
  'GET /api/agents/:id': { role: 'viewer' },
  'PUT /api/agents/:id': {
    role: 'editor',
    audit: (request, statusCode) => ({
      action: statusCode === 201 ? 'agent.create' : 'agent.update',
      target: { type: 'agent', id: idParam(request) },
    }),
  },

  // Refused while calls refer to the agent (see routes/api-agent-delete.ts).
  'DELETE /api/agents/:id': {
    role: 'editor',
    audit: (request) => ({ action: 'agent.delete', target: { type: 'agent', id: idParam(request) } }),
  },
  // The services and vendor options an agent can configure (no secrets).
  'GET /api/vendors': { role: 'viewer' },

  // An agent and a draft flow written by the server's LLM from a description.
  'POST /api/agents/generate': {
    role: 'editor',
    audit: (request) => {
      const body = request.body as Record<string, unknown> | undefined;
      return {
        action: 'agent.generate',
        target: { type: 'agent', id: typeof body?.id === 'string' ? body.id : null },
      };
    },
  },

  // Checking an agent's services with their vendors (uses the agent's keys).
  'POST /api/agents/:id/services/check': { role: 'editor' },
  'POST /api/agents/services/check': { role: 'editor' },

  // An agent's flow: viewers read it, editors change and publish it.
  // A browser test call's one-time stream token (the call is stored like a phone call).
  'POST /api/agents/:id/browser-call': {
    role: 'editor',
    audit: (request) => ({ action: 'call.browser_test', target: { type: 'agent', id: idParam(request) } }),
  },

  'GET /api/agents/:id/flow': { role: 'viewer' },
  'PUT /api/agents/:id/flow/draft': {
    role: 'editor',
    audit: (request) => ({ action: 'flow.draft_update', target: { type: 'agent', id: idParam(request) } }),
  },
  'DELETE /api/agents/:id/flow/draft': {
    role: 'editor',
    audit: (request) => ({ action: 'flow.draft_delete', target: { type: 'agent', id: idParam(request) } }),
  },
  'POST /api/agents/:id/flow/validate': { role: 'editor' },
  'POST /api/agents/:id/flow/publish': {
    role: 'editor',
    audit: (request) => ({ action: 'flow.publish', target: { type: 'agent', id: idParam(request) } }),
  },
  'GET /api/agents/:id/flow/versions': { role: 'viewer' },
  'GET /api/agents/:id/flow/versions/:version': { role: 'viewer' },
  'GET /api/agents/:id/flow/diff': { role: 'viewer' },
  'GET /api/tools': { role: 'viewer' },
  'GET /api/tools/:id': { role: 'viewer' },
  'PUT /api/tools/:id': {
    role: 'editor',
    audit: (request, statusCode) =>
      toolAudit(statusCode === 201 ? 'tool.create' : 'tool.update')(request, statusCode),
  },
  'DELETE /api/tools/:id': { role: 'editor', audit: toolAudit('tool.delete') },
  // Sends a request with the tool's secrets: as much as using the tool in a call.
  'POST /api/tools/:id/test': { role: 'editor', audit: toolAudit('tool.test') },

  'GET /api/telephony-settings': { role: 'viewer' },
  'PUT /api/telephony-settings': {
    role: 'admin',
    audit: () => ({ action: 'telephony_settings.update', target: { type: 'telephony_settings', id: null } }),
  },
  // Sends the stored provider secret to the provider's API: as much as changing the settings.
  'POST /api/telephony-settings/test': {
    role: 'admin',
    audit: (request) => {
      const body = request.body as Record<string, unknown> | undefined;
      const provider = typeof body?.provider === 'string' ? body.provider : null;
      return { action: 'telephony_settings.test', target: { type: 'telephony_settings', id: provider } };
    },
  },

  // Names, kinds and destinations only: values are never returned.
  'GET /api/credentials': { role: 'viewer' },
  'GET /api/credentials/:name': { role: 'viewer' },
  'POST /api/credentials': {
    role: 'admin',
    audit: (request) => ({
      action: 'credential.create',
      target: { type: 'credential', id: credentialName(request) },
    }),
  },
  'PUT /api/credentials/:name': {
    role: 'admin',
    audit: (request) => ({
      action: 'credential.update',
      target: { type: 'credential', id: credentialName(request) },
    }),
  },
  'DELETE /api/credentials/:name': {
    role: 'admin',
    audit: (request) => ({
      action: 'credential.delete',
      target: { type: 'credential', id: credentialName(request) },
    }),
  },

  'GET /api/users': { role: 'admin' },
  'POST /api/users': { role: 'admin' },
  'PATCH /api/users/:id': { role: 'admin' },
  'DELETE /api/users/:id': { role: 'admin' },

  'GET /api/api-keys': { role: 'admin' },
  'POST /api/api-keys': { role: 'admin' },
  'DELETE /api/api-keys/:id': { role: 'admin' },

  'GET /api/audit-log': { role: 'admin' },
};

/** The rule of route `url` (Fastify's pattern) for `method`, or `undefined` when there is none. */
export function accessRuleFor(
  method: string,
  url: string,
  rules: Readonly<Record<string, AccessRule>> = ACCESS_RULES,
): AccessRule | undefined {
  const own = (key: string) => (Object.hasOwn(rules, key) ? rules[key] : undefined);
  return own(`${method} ${url}`) ?? (method === 'HEAD' ? own(`GET ${url}`) : undefined);
}
