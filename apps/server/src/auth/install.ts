/**
 * Wires authentication into the server: the cookie parser, the `/api/*` guard, and the
 * sign-in, users, API keys and audit log routes.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { ServerConfig } from '../config/server-config.ts';
import { ApiKeyRepository } from '../db/api-keys.ts';
import { AuditLogRepository } from '../db/audit-log.ts';
import { LoginSessionRepository } from '../db/login-sessions.ts';
import type { DB } from '../db/schema.ts';
import { UserRepository } from '../db/users.ts';
import { apiAuditLogRoutes } from '../routes/api-audit-log.ts';
import { apiAuthRoutes } from '../routes/api-auth.ts';
import { apiKeysRoutes } from '../routes/api-keys.ts';
import { apiUsersRoutes } from '../routes/api-users.ts';
import { CredentialWatch } from './credential-watch.ts';
import { type AuthGuard, installAuthGuard } from './guard.ts';
import { LoginSessions } from './sessions.ts';

/** What {@link installAuth} needs. */
export interface AuthOptions {
  readonly db: Kysely<DB>;
  readonly config: ServerConfig;
  /** The clock of sessions and key use. @defaultValue the system clock */
  readonly now?: () => Date;
}

/** Installed authentication: the guard, and the watch that ends streams whose credential ends. */
export interface InstalledAuth extends AuthGuard {
  readonly credentials: CredentialWatch;
}

/**
 * Installs authentication on `app`, the root instance, before any other route is registered
 * (the guard only sees routes registered after it).
 * @returns the guard, which lists the `/api/*` routes and their rules, and the credential watch.
 */
export async function installAuth(app: FastifyInstance, options: AuthOptions): Promise<InstalledAuth> {
  const { db, config } = options;
  const now = options.now ?? (() => new Date());
  const users = new UserRepository(db);
  const apiKeys = new ApiKeyRepository(db);
  const audit = new AuditLogRepository(db);
  const credentials = new CredentialWatch(
    { liveSessions: (ids) => sessions.liveRoles(ids), activeApiKeys: (ids) => apiKeys.activeRoles(ids) },
    {
      onError: (err) =>
        app.log.warn({ err }, 'could not re-check the credentials of open streams; ended them'),
    },
  );
  const sessions = new LoginSessions(
    new LoginSessionRepository(db),
    { idleMs: config.sessionIdleMinutes * 60_000, maxMs: config.sessionMaxHours * 3_600_000 },
    now,
    (ended) => credentials.sessionsEnded(ended),
  );
  app.addHook('onClose', async () => credentials.close());
  await app.register(cookie);
  const guard = installAuthGuard(app, { sessions, apiKeys, audit, publicUrl: config.publicUrl, now });
  await app.register(apiAuthRoutes({ users, sessions, audit, publicUrl: config.publicUrl }));
  await app.register(
    apiUsersRoutes({ users, sessions, audit, onRoleChange: (id) => credentials.userChanged(id) }),
  );
  await app.register(apiKeysRoutes({ apiKeys, audit, now, onRevoke: (id) => credentials.apiKeyRevoked(id) }));
  await app.register(apiAuditLogRoutes({ audit }));
  return { routes: () => guard.routes(), credentials };
}
