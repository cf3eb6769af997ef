/**
 * API keys for scripts: `Authorization: Bearer parley_…`. A key is 256 random bits, shown once
 * when created and stored as its SHA-256 hash.
 */
import { hashSecret, newSecret } from './secrets.ts';

/** What every key starts with, so that leaked keys are easy to recognise (e.g. by secret scanners). */
export const API_KEY_PREFIX = 'parley_';

/** How many characters of a key are kept (in clear) to tell keys apart. */
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

/** A new key: `key` for its owner (once), `hash` and `prefix` to store. */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = newSecret(API_KEY_PREFIX);
  return { key, hash: hashSecret(key), prefix: key.slice(0, SHOWN_PREFIX_LENGTH) };
}

/**
 * The token of an `Authorization: Bearer <token>` header; `undefined` when there is no such
 * header, `''` when the header is there but is not a bearer token.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? '';
}
