/**
 * High-entropy random secrets (session ids, API keys) and the hash they are stored under.
 */
import { createHash, randomBytes } from 'node:crypto';

/** `prefix` followed by 32 random bytes in base64url (256 bits). */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 of `secret`, hex. Enough for random secrets of 256 bits: unlike passwords they
 * cannot be guessed, so a slow hash adds nothing.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
