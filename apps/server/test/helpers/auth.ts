/**
 * Credentials for tests: API keys and users of any role, made straight in the database, and
 * signing in through the API.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { newApiKey } from '../../src/auth/api-keys.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import type { Role } from '../../src/auth/roles.ts';
import { SESSION_COOKIE } from '../../src/auth/sessions.ts';
import { ApiKeyRepository } from '../../src/db/api-keys.ts';
import type { Database } from '../../src/db/database.ts';
import { UserRepository } from '../../src/db/users.ts';

/** Headers that authenticate as a new API key with `role`. */
export async function apiKeyHeaders(
  database: Database,
  role: Role,
  name = `test ${role}`,
): Promise<{ authorization: string }> {
  const { key, hash, prefix } = newApiKey();
  await new ApiKeyRepository(database.db).create({ name, role, keyHash: hash, prefix, createdBy: null });
  return { authorization: `Bearer ${key}` };
}

/** A signed-in browser: its session cookie and CSRF token. */
export interface SignedIn {
  /** `parley_session=…`, for a `cookie` header. */
  readonly cookie: string;
  readonly csrfToken: string;
}

let nextAddress = 1;

/**
 * A fresh source address for each sign-in (from TEST-NET-2, never contacted: `inject` sends
 * nothing), so that the per-IP sign-in limit only counts where a test means it to.
 */
export function freshRemoteAddress(): string {
  const n = nextAddress++;
  return `198.51.100.${(n % 250) + 1}`;
}

/** `POST /api/auth/login` through `inject`, from `remoteAddress` (default: a fresh one). */
export function postLogin(
  app: FastifyInstance,
  username: string,
  password: string,
  remoteAddress = freshRemoteAddress(),
) {
  return app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username, password }),
  });
}

/** Signs in; fails the test unless the server accepts the credentials. */
export async function signIn(app: FastifyInstance, username: string, password: string): Promise<SignedIn> {
  const res = await postLogin(app, username, password);
  expect(res.statusCode, res.body).toBe(200);
  const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error('no session cookie');
  return {
    cookie: `${SESSION_COOKIE}=${cookie.value}`,
    csrfToken: res.json<{ csrfToken: string }>().csrfToken,
  };
}

/** Creates a user straight in the database. */
export async function createUser(database: Database, username: string, role: Role, password: string) {
  return new UserRepository(database.db).create({
    username,
    role,
    passwordHash: await hashPassword(password),
  });
}
