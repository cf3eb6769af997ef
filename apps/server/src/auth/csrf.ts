/**
 * CSRF tokens of cookie sessions (synchronizer tokens): each session has a secret, stored
 * with it server-side; the dashboard gets tokens made from it (at login and from
 * `GET /api/auth/me`) and sends one in the {@link CSRF_HEADER} header of every request that
 * changes something. A page on another site can make the browser send the cookie, but it
 * cannot read a token, so its requests fail the check.
 */
import Tokens from '@fastify/csrf';

/** The request header that carries the CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';

const tokens = Tokens();

/** A new per-session secret (base64). */
export function newCsrfSecret(): string {
  return tokens.secretSync();
}

/** A token for `secret`; each call gives a different (salted) token, all of them valid. */
export function csrfToken(secret: string): string {
  return tokens.create(secret);
}

/** Whether `token` was made from `secret` (compared in constant time). */
export function isValidCsrfToken(secret: string, token: unknown): boolean {
  return typeof token === 'string' && tokens.verify(secret, token);
}
