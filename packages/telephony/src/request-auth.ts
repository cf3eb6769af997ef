import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Helpers for checking a request's credentials (signatures, Basic auth) without leaking them
 * through timing.
 */

/**
 * Whether two strings are equal, in time that does not depend on where they differ: both are
 * hashed (SHA-256 of their UTF-8 bytes) and the digests compared with `timingSafeEqual`, so
 * strings of different lengths are compared in the same time too.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}

/**
 * The single non-empty value of a request header as Node gives it, or `undefined` (absent,
 * empty, or repeated: an array counts only when it holds exactly one value).
 */
export function singleHeaderValue(header: string | readonly string[] | undefined): string | undefined {
  const value = typeof header === 'string' ? header : header?.length === 1 ? header[0] : undefined;
  return value === '' ? undefined : value;
}
