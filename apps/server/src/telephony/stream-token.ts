/**
 * One-time stream tokens: the server gives each call it creates or accepts a random token,
 * carried in the provider's stream (Twilio `<Parameter>`, Exotel URL query, Vobiz URL path);
 * a media stream must present it, once, or it is refused. Only its SHA-256 is stored.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A fresh token (32 hex characters, 128 random bits) and the hash to store. */
export function newStreamToken(): { token: string; hash: string } {
  const token = randomBytes(16).toString('hex');
  return { token, hash: hashStreamToken(token) };
}

/** SHA-256 of `token`, hex: what `calls.stream_token_hash` holds. */
export function hashStreamToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
