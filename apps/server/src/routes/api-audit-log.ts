/**
 * `GET /api/audit-log`: who changed which agent, telephony setting, user or API key, and
 * when. Admins only (see `auth/policy.ts`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { type AuditLogRepository, MAX_AUDIT_PAGE_SIZE } from '../db/audit-log.ts';
import { sendInvalid } from './errors.ts';

/** What {@link apiAuditLogRoutes} needs. */
export interface ApiAuditLogDeps {
  readonly audit: AuditLogRepository;
}

const querySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE_SIZE).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * The audit log API, as a Fastify plugin.
 *
 * `GET /api/audit-log?limit&offset`: `{ entries, total, limit, offset }`, newest first; an entry
 * is `{ id, at, actor: { type: user|api_key|system, id, name }, action, target: { type, id },
 * details }` (e.g. `agent.update` of agent `demo` by user `admin`). `limit` 1–500 (default 50).
 * 400 `invalid_query` with `issues`.
 */
export function apiAuditLogRoutes(deps: ApiAuditLogDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/audit-log', async (request, reply) => {
      const query = querySchema.safeParse(request.query);
      if (!query.success) {
        return sendInvalid(reply, 'invalid_query', 'Invalid query parameters', query.error);
      }
      const { limit, offset } = query.data;
      const page = await deps.audit.list({ limit, offset });
      return { ...page, limit, offset };
    });
  };
}
