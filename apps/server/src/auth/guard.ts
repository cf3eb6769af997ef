/**
 * The guard of `/api/*`: every request to a route under `/api/` is authenticated (API key or
 * cookie session), checked against CSRF when a cookie session changes something, and checked
 * against the route's rule in `policy.ts`. A route without a rule refuses everyone. Other
 * routes (provider webhooks, media streams, health, the dashboard page) are left to their own
 * authentication.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRepository } from '../db/api-keys.ts';
import type { AuditLogRepository } from '../db/audit-log.ts';
import { sendApiError } from '../routes/errors.ts';
import { bearerToken } from './api-keys.ts';
import { CSRF_HEADER, isValidCsrfToken } from './csrf.ts';
import { type AccessRule, accessRuleFor } from './policy.ts';
import { type Authentication, auditActor } from './principal.ts';
import { hasRole } from './roles.ts';
import { hashSecret } from './secrets.ts';
import { type LoginSessions, SESSION_COOKIE, sessionCookieOptions } from './sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request; set by the guard on `/api/*` routes that are not public, else `null`. */
    auth: Authentication | null;
  }
}

/** What {@link installAuthGuard} needs. */
export interface AuthGuardDeps {
  readonly sessions: LoginSessions;
  readonly apiKeys: ApiKeyRepository;
  readonly audit: AuditLogRepository;
  /** The server's public URL, to mark cookies Secure when it is https. */
  readonly publicUrl: string | undefined;
  readonly now: () => Date;
  /** @defaultValue `ACCESS_RULES` */
  readonly rules?: Readonly<Record<string, AccessRule>>;
}

/** A registered `/api/*` route and its rule (`undefined`: refused to everyone). */
export interface GuardedRoute {
  readonly method: string;
  readonly url: string;
  readonly rule: AccessRule | undefined;
}

/** The installed guard. */
export interface AuthGuard {
  /** Every `/api/*` route registered since the guard was installed, HEAD variants included. */
  routes(): readonly GuardedRoute[];
}

/** Requests that cannot change anything, so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How often an API key's `lastUsedAt` is written at most, ms. */
const KEY_TOUCH_INTERVAL_MS = 60_000;

function isApiUrl(url: string): boolean {
  return url === '/api' || url.startsWith('/api/');
}

/**
 * Installs the guard's hooks on `app` (the root instance, before the routes are registered):
 * - `onRoute` records each `/api/*` route and warns about those without a rule;
 * - `onRequest` answers 401 `unauthorized` without credentials, `invalid_api_key` for an
 *   unknown or revoked key, `session_expired` for an ended session (and clears the cookie);
 *   403 `csrf_failed` when a cookie-authenticated POST/PUT/PATCH/DELETE lacks a valid
 *   `X-CSRF-Token`; 403 `forbidden` when the role is too low or the route has no rule.
 *   A bearer key, when sent, is used and the cookie ignored;
 * - `onSend` writes the audit entry of a rule with `audit` after a 2xx answer.
 */
export function installAuthGuard(app: FastifyInstance, deps: AuthGuardDeps): AuthGuard {
  const routes: GuardedRoute[] = [];
  const ruleFor = (method: string, url: string) => accessRuleFor(method, url, deps.rules);
  app.decorateRequest('auth', null);

  app.addHook('onRoute', (route) => {
    if (!isApiUrl(route.url)) return;
    for (const method of [route.method].flat()) {
      const rule = ruleFor(method, route.url);
      routes.push({ method, url: route.url, rule });
      if (rule === undefined) {
        app.log.warn(
          { method, url: route.url },
          'API route without an access rule: it refuses every request',
        );
      }
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === undefined || !isApiUrl(url)) return;
    const rule = ruleFor(request.method, url);
    if (rule !== undefined && 'public' in rule) return;

    const auth = await authenticate(request, reply, deps);
    if (auth === undefined) return reply;
    if (auth.via === 'session' && !SAFE_METHODS.has(request.method)) {
      if (!isValidCsrfToken(auth.csrfSecret, request.headers[CSRF_HEADER])) {
        request.log.info({ principal: auth.principal.name }, 'refused: missing or invalid CSRF token');
        return sendApiError(reply, 403, 'csrf_failed', `Send the session's CSRF token in ${CSRF_HEADER}`);
      }
    }
    if (rule === undefined) {
      request.log.warn({ method: request.method, url }, 'refused: the route has no access rule');
      return sendApiError(reply, 403, 'forbidden', 'No access rule allows this route');
    }
    if (!hasRole(auth.principal.role, rule.role)) {
      return sendApiError(
        reply,
        403,
        'forbidden',
        `This needs the ${rule.role} role; ${auth.principal.name} is ${auth.principal.role}`,
      );
    }
    request.auth = auth;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const url = request.routeOptions.url;
    if (request.auth === null || url === undefined || reply.statusCode >= 300) return payload;
    const rule = ruleFor(request.method, url);
    if (rule === undefined || !('audit' in rule) || rule.audit === undefined) return payload;
    try {
      await deps.audit.record({
        actor: auditActor(request.auth.principal),
        ...rule.audit(request, reply.statusCode),
      });
    } catch (err) {
      request.log.error({ err }, 'could not write the audit log');
    }
    return payload;
  });

  return { routes: () => routes };
}

/** The request's authentication, or `undefined` once a 401 has been sent. */
async function authenticate(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AuthGuardDeps,
): Promise<Authentication | undefined> {
  const token = bearerToken(request.headers.authorization);
  if (token !== undefined) {
    const key = token === '' ? undefined : await deps.apiKeys.findActive(hashSecret(token));
    if (key === undefined) {
      request.log.info('refused: unknown or revoked API key');
      sendApiError(reply, 401, 'invalid_api_key', 'The API key is unknown or revoked');
      return undefined;
    }
    const now = deps.now();
    if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt.getTime() >= KEY_TOUCH_INTERVAL_MS) {
      await deps.apiKeys.touch(key.id, now);
    }
    return { via: 'api_key', principal: { type: 'api_key', id: key.id, name: key.name, role: key.role } };
  }

  const sessionId = request.cookies[SESSION_COOKIE];
  if (sessionId === undefined || sessionId === '') {
    sendApiError(reply, 401, 'unauthorized', 'Sign in, or send an API key as Authorization: Bearer <key>');
    return undefined;
  }
  const found = await deps.sessions.resolve(sessionId);
  if (found === undefined) {
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request, deps.publicUrl));
    sendApiError(reply, 401, 'session_expired', 'The session has ended; sign in again');
    return undefined;
  }
  const { session, user } = found;
  return {
    via: 'session',
    principal: { type: 'user', id: user.id, name: user.username, role: user.role },
    sessionIdHash: session.idHash,
    csrfSecret: session.csrfSecret,
    expiresAt: session.expiresAt,
  };
}

/**
 * The authentication the guard set on `request`.
 * @throws Error when there is none: the route is public or not under `/api/` (a programming error).
 */
export function requireAuth(request: FastifyRequest): Authentication {
  if (request.auth === null) throw new Error(`${request.method} ${request.url} is not guarded`);
  return request.auth;
}
