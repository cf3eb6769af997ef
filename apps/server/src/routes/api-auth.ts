/**
 * Signing in and out of the dashboard, who am I, and changing one's own password.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { csrfToken } from '../auth/csrf.ts';
import { requireAuth } from '../auth/guard.ts';
import {
  hashPassword,
  needsRehash,
  passwordSchema,
  verifyNobody,
  verifyPassword,
} from '../auth/passwords.ts';
import { auditActor } from '../auth/principal.ts';
import { hashSecret } from '../auth/secrets.ts';
import { type LoginSessions, SESSION_COOKIE, sessionCookieOptions } from '../auth/sessions.ts';
import type { AuditLogRepository } from '../db/audit-log.ts';
import type { User, UserRepository } from '../db/users.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** How often sign-in may be tried (counted in this process). */
interface LoginLimits {
  /** Attempts per source IP per `perIpWindowMs`, failed or not. */
  readonly perIpMax: number;
  readonly perIpWindowMs: number;
  /** Failed attempts per username per `perUserWindowMs`; a success starts the count again. */
  readonly perUserFailures: number;
  readonly perUserWindowMs: number;
}

/** 20 attempts a minute per IP; 10 failures per username in 15 minutes. */
export const LOGIN_LIMITS: LoginLimits = {
  perIpMax: 20,
  perIpWindowMs: 60_000,
  perUserFailures: 10,
  perUserWindowMs: 15 * 60_000,
};

/** What {@link apiAuthRoutes} needs. */
export interface ApiAuthDeps {
  readonly users: UserRepository;
  readonly sessions: LoginSessions;
  readonly audit: AuditLogRepository;
  /** The server's public URL, to mark the cookie Secure when it is https. */
  readonly publicUrl: string | undefined;
}

/** A user as the API shows it. */
export interface PublicUser {
  readonly id: string;
  readonly username: string;
  readonly role: User['role'];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** `user` without anything but its public fields. */
export function publicUser(user: User): PublicUser {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

const loginSchema = z.strictObject({
  username: z.string().trim().toLowerCase().min(1).max(64),
  password: z.string().min(1).max(200),
});

const passwordChangeSchema = z.strictObject({
  currentPassword: z.string().min(1).max(200),
  newPassword: passwordSchema,
});

/** The same answer for an unknown user and a wrong password, so that it tells nothing about who exists. */
const BAD_CREDENTIALS = 'Wrong username or password';

/**
 * The sign-in API, as a Fastify plugin. Errors are `ApiErrorBody` JSON.
 *
 * - `POST /api/auth/login` with JSON `{ username, password }` (public): sets the HttpOnly,
 *   SameSite=Strict session cookie and answers `{ user, csrfToken, expiresAt }`; send
 *   `csrfToken` as `X-CSRF-Token` with every request that changes something. 401
 *   `invalid_credentials` for an unknown user or a wrong password alike; 415 when the body
 *   is not JSON (so that an HTML form on another site cannot sign a browser in); 429 when the
 *   source IP or the username tried too often (see {@link LOGIN_LIMITS}).
 * - `POST /api/auth/logout`: ends the session and clears the cookie; 204.
 * - `GET /api/auth/me`: `{ principal: { type, id, name, role } }`, plus `csrfToken` and
 *   `expiresAt` for a cookie session.
 * - `PUT /api/auth/password` with `{ currentPassword, newPassword }` (users only, not API
 *   keys): 204; ends the user's other sessions. 403 `wrong_password`, 403 `not_a_user`.
 */
export function apiAuthRoutes(deps: ApiAuthDeps): FastifyPluginAsync {
  const limits = LOGIN_LIMITS;
  const failures = new RateLimiterMemory({
    keyPrefix: 'login-failures',
    points: limits.perUserFailures,
    duration: Math.ceil(limits.perUserWindowMs / 1000),
  });
  /** Milliseconds until `username` may try again, or 0. */
  const lockedFor = async (username: string): Promise<number> => {
    const state = await failures.get(username);
    return state !== null && state.remainingPoints <= 0 ? state.msBeforeNext : 0;
  };
  const recordFailure = async (username: string): Promise<void> => {
    try {
      await failures.consume(username);
    } catch (error) {
      // Rejected with the limiter's state once the points are spent: the lock is what we want.
      if (!(error instanceof RateLimiterRes)) throw error;
    }
  };

  return async (app) => {
    if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false });

    app.post(
      '/api/auth/login',
      { config: { rateLimit: { max: limits.perIpMax, timeWindow: limits.perIpWindowMs } } },
      async (request, reply) => {
        if (!isJson(request)) {
          return sendApiError(reply, 415, 'unsupported_media_type', 'Send the credentials as JSON');
        }
        const body = loginSchema.safeParse(request.body);
        if (!body.success) {
          return sendInvalid(reply, 'invalid_body', 'The body must be { username, password }', body.error);
        }
        const { username, password } = body.data;
        const waitMs = await lockedFor(username);
        if (waitMs > 0) {
          reply.header('retry-after', Math.ceil(waitMs / 1000));
          return sendApiError(reply, 429, 'too_many_requests', 'Too many failed sign-ins; try again later');
        }
        const found = await deps.users.findForLogin(username);
        let ok = false;
        if (found) ok = await verifyPassword(found.passwordHash, password);
        else await verifyNobody(password);
        if (!found || !ok) {
          await recordFailure(username);
          request.log.info({ username }, 'sign-in refused');
          return sendApiError(reply, 401, 'invalid_credentials', BAD_CREDENTIALS);
        }
        await failures.delete(username);
        if (needsRehash(found.passwordHash)) {
          await deps.users.update(found.user.id, { passwordHash: await hashPassword(password) });
        }
        // A fresh id at each sign-in, so that a planted cookie never becomes a signed-in session.
        const previous = request.cookies[SESSION_COOKIE];
        if (previous) await deps.sessions.end(hashSecret(previous));
        const { sessionId, session } = await deps.sessions.start(found.user.id);
        reply.setCookie(SESSION_COOKIE, sessionId, {
          ...sessionCookieOptions(request, deps.publicUrl),
          expires: session.expiresAt,
        });
        reply.header('cache-control', 'no-store');
        await deps.audit.record({
          actor: { type: 'user', id: found.user.id, name: found.user.username },
          action: 'user.login',
          target: { type: 'user', id: found.user.id },
        });
        request.log.info({ username }, 'signed in');
        return {
          user: publicUser(found.user),
          csrfToken: csrfToken(session.csrfSecret),
          expiresAt: session.expiresAt,
        };
      },
    );

    app.post('/api/auth/logout', async (request, reply) => {
      const auth = requireAuth(request);
      if (auth.via === 'session') await deps.sessions.end(auth.sessionIdHash);
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request, deps.publicUrl));
      return reply.code(204).send();
    });

    app.get('/api/auth/me', async (request, reply) => {
      const auth = requireAuth(request);
      reply.header('cache-control', 'no-store');
      const { type, id, name, role } = auth.principal;
      return {
        principal: { type, id, name, role },
        ...(auth.via === 'session'
          ? { csrfToken: csrfToken(auth.csrfSecret), expiresAt: auth.expiresAt }
          : {}),
      };
    });

    app.put('/api/auth/password', async (request, reply) => {
      const auth = requireAuth(request);
      if (auth.principal.type !== 'user') {
        return sendApiError(reply, 403, 'not_a_user', 'API keys have no password');
      }
      const body = passwordChangeSchema.safeParse(request.body);
      if (!body.success) {
        return sendInvalid(
          reply,
          'invalid_body',
          'The body must be { currentPassword, newPassword } (at least 10 characters)',
          body.error,
        );
      }
      const { id, name } = auth.principal;
      if ((await lockedFor(name)) > 0) {
        return sendApiError(reply, 429, 'too_many_requests', 'Too many failed attempts; try again later');
      }
      const stored = await deps.users.passwordHash(id);
      if (stored === undefined || !(await verifyPassword(stored, body.data.currentPassword))) {
        await recordFailure(name);
        return sendApiError(reply, 403, 'wrong_password', 'The current password is wrong');
      }
      await deps.users.update(id, { passwordHash: await hashPassword(body.data.newPassword) });
      await deps.sessions.endAllOf(id, auth.via === 'session' ? auth.sessionIdHash : undefined);
      await deps.audit.record({
        actor: auditActor(auth.principal),
        action: 'user.password_change',
        target: { type: 'user', id },
      });
      return reply.code(204).send();
    });
  };
}

function isJson(request: FastifyRequest): boolean {
  return /^application\/json\b/i.test(request.headers['content-type'] ?? '');
}
