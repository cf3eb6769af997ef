/**
 * Users: list, create, change (role, password) and delete. Admins only (see `auth/policy.ts`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { requireAuth } from '../auth/guard.ts';
import { hashPassword, passwordSchema } from '../auth/passwords.ts';
import { auditActor } from '../auth/principal.ts';
import { roleSchema } from '../auth/roles.ts';
import type { LoginSessions } from '../auth/sessions.ts';
import type { AuditLogRepository } from '../db/audit-log.ts';
import { DuplicateUsernameError, LastAdminError, type UserRepository } from '../db/users.ts';
import { publicUser } from './api-auth.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiUsersRoutes} needs. */
export interface ApiUsersDeps {
  readonly users: UserRepository;
  readonly sessions: LoginSessions;
  readonly audit: AuditLogRepository;
  /** Told when a user's role changes, so that what they keep open is checked against it at once. */
  readonly onRoleChange: (userId: string) => void;
}

/** Lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 64. */
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-" (at most 64)');

const createSchema = z.strictObject({ username: usernameSchema, password: passwordSchema, role: roleSchema });

const patchSchema = z
  .strictObject({ role: roleSchema.optional(), password: passwordSchema.optional() })
  .refine((body) => body.role !== undefined || body.password !== undefined, 'give a role or a password');

const idParamsSchema = z.object({ id: z.string() });

/**
 * The users API, as a Fastify plugin. Users are `{ id, username, role, createdAt, updatedAt }`;
 * passwords and their hashes are never returned. Each change is written to the audit log.
 *
 * - `GET /api/users`: `{ users }`, by username.
 * - `POST /api/users` with `{ username, password, role }`: 201 with the user. 409
 *   `username_taken`; 400 `invalid_body` (password shorter than 10 characters, unknown role…).
 * - `PATCH /api/users/:id` with `{ role?, password? }`: the updated user. A new password ends
 *   the user's sessions; a new role applies to their open streams at once. 404 `user_not_found`; 409 `last_admin` when it would demote the last admin.
 * - `DELETE /api/users/:id`: 204; the user's sessions end. 404 `user_not_found`; 409 `last_admin`.
 */
export function apiUsersRoutes(deps: ApiUsersDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/users', async () => ({ users: (await deps.users.list()).map(publicUser) }));

    app.post('/api/users', async (request, reply) => {
      const auth = requireAuth(request);
      const body = createSchema.safeParse(request.body);
      if (!body.success) {
        return sendInvalid(
          reply,
          'invalid_body',
          'The body must be { username, password, role }',
          body.error,
        );
      }
      const { username, password, role } = body.data;
      try {
        const user = await deps.users.create({ username, role, passwordHash: await hashPassword(password) });
        await deps.audit.record({
          actor: auditActor(auth.principal),
          action: 'user.create',
          target: { type: 'user', id: user.id },
          details: { username, role },
        });
        return reply.code(201).send(publicUser(user));
      } catch (error) {
        if (!(error instanceof DuplicateUsernameError)) throw error;
        return sendApiError(reply, 409, 'username_taken', `The username ${username} is taken`);
      }
    });

    app.patch('/api/users/:id', async (request, reply) => {
      const auth = requireAuth(request);
      const { id } = idParamsSchema.parse(request.params);
      const body = patchSchema.safeParse(request.body);
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'The body must be { role?, password? }', body.error);
      }
      const { role, password } = body.data;
      try {
        const user = await deps.users.update(id, {
          ...(role === undefined ? {} : { role }),
          ...(password === undefined ? {} : { passwordHash: await hashPassword(password) }),
        });
        if (user === undefined) return sendApiError(reply, 404, 'user_not_found', `No user ${id}`);
        if (role !== undefined) deps.onRoleChange(id);
        if (password !== undefined) {
          const keep = auth.via === 'session' && auth.principal.id === id ? auth.sessionIdHash : undefined;
          await deps.sessions.endAllOf(id, keep);
        }
        await deps.audit.record({
          actor: auditActor(auth.principal),
          action: 'user.update',
          target: { type: 'user', id },
          details: {
            username: user.username,
            ...(role === undefined ? {} : { role }),
            ...(password === undefined ? {} : { passwordChanged: true }),
          },
        });
        return publicUser(user);
      } catch (error) {
        if (!(error instanceof LastAdminError)) throw error;
        return sendApiError(reply, 409, 'last_admin', error.message);
      }
    });

    app.delete('/api/users/:id', async (request, reply) => {
      const auth = requireAuth(request);
      const { id } = idParamsSchema.parse(request.params);
      const user = await deps.users.get(id);
      if (user === undefined) return sendApiError(reply, 404, 'user_not_found', `No user ${id}`);
      try {
        if (!(await deps.users.delete(id)))
          return sendApiError(reply, 404, 'user_not_found', `No user ${id}`);
      } catch (error) {
        if (!(error instanceof LastAdminError)) throw error;
        return sendApiError(reply, 409, 'last_admin', error.message);
      }
      // The database dropped the sessions with the user; this ends what they kept open.
      await deps.sessions.endAllOf(id);
      await deps.audit.record({
        actor: auditActor(auth.principal),
        action: 'user.delete',
        target: { type: 'user', id },
        details: { username: user.username },
      });
      return reply.code(204).send();
    });
  };
}
