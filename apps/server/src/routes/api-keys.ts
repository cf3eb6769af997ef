/**
 * API keys: list, create (the key is shown once) and revoke. Admins only (see `auth/policy.ts`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { newApiKey } from '../auth/api-keys.ts';
import { requireAuth } from '../auth/guard.ts';
import { auditActor } from '../auth/principal.ts';
import { roleSchema } from '../auth/roles.ts';
import type { ApiKeyRepository } from '../db/api-keys.ts';
import type { AuditLogRepository } from '../db/audit-log.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiKeysRoutes} needs. */
export interface ApiKeysDeps {
  readonly apiKeys: ApiKeyRepository;
  readonly audit: AuditLogRepository;
  readonly now: () => Date;
  /** Told of each revocation, so that what the key keeps open (live streams) ends at once. */
  readonly onRevoke: (id: string) => void;
}

const createSchema = z.strictObject({ name: z.string().trim().min(1).max(200), role: roleSchema });

const idParamsSchema = z.object({ id: z.string() });

/**
 * The API keys API, as a Fastify plugin. Keys are `{ id, name, role, prefix, createdBy,
 * createdAt, lastUsedAt, revokedAt }`; the key itself is in the creation answer only.
 * Each creation and revocation is written to the audit log.
 *
 * - `GET /api/api-keys`: `{ apiKeys }`, newest first, revoked ones included.
 * - `POST /api/api-keys` with `{ name, role }`: 201 with the key's fields and `key`, the
 *   secret to send as `Authorization: Bearer <key>`; it cannot be shown again.
 * - `DELETE /api/api-keys/:id`: revokes the key (at once, for every request after, and its open live
 *   streams end); 204,
 *   also when it was revoked before. 404 `api_key_not_found`.
 */
export function apiKeysRoutes(deps: ApiKeysDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/api-keys', async () => ({ apiKeys: await deps.apiKeys.list() }));

    app.post('/api/api-keys', async (request, reply) => {
      const auth = requireAuth(request);
      const body = createSchema.safeParse(request.body);
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'The body must be { name, role }', body.error);
      }
      const { key, hash, prefix } = newApiKey();
      const stored = await deps.apiKeys.create({
        name: body.data.name,
        role: body.data.role,
        keyHash: hash,
        prefix,
        createdBy: auth.principal.type === 'user' ? auth.principal.id : null,
      });
      await deps.audit.record({
        actor: auditActor(auth.principal),
        action: 'api_key.create',
        target: { type: 'api_key', id: stored.id },
        details: { name: stored.name, role: stored.role },
      });
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...stored, key });
    });

    app.delete('/api/api-keys/:id', async (request, reply) => {
      const auth = requireAuth(request);
      const { id } = idParamsSchema.parse(request.params);
      const revoked = await deps.apiKeys.revoke(id, deps.now());
      if (revoked === undefined) return sendApiError(reply, 404, 'api_key_not_found', `No API key ${id}`);
      deps.onRevoke(id);
      await deps.audit.record({
        actor: auditActor(auth.principal),
        action: 'api_key.revoke',
        target: { type: 'api_key', id },
        details: { name: revoked.name },
      });
      return reply.code(204).send();
    });
  };
}
