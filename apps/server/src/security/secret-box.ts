/**
 * Authenticated encryption of secrets at rest: AES-256-GCM (node:crypto) with a random 12-byte
 * IV per value and the id of the key that sealed it, so that keys can be rotated.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Bytes of an AES-256 key. */
export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const AUTH_TAG_BYTES = 16;

/** A value sealed by {@link SecretBox.seal}: every part is needed to open it. */
export interface SealedSecret {
  /** {@link secretKeyId} of the key that sealed it. */
  readonly keyId: string;
  /** 12 random bytes, never reused with the same key. */
  readonly iv: Uint8Array;
  /** GCM authentication tag, 16 bytes. */
  readonly authTag: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** A key is missing, malformed, or not the one a stored secret was sealed with. */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/**
 * A sealed secret failed authentication: its ciphertext, IV, tag or associated data (what it
 * is bound to) was altered, or it was sealed by another key with the same id (never in practice).
 */
export class SecretTamperedError extends Error {
  override readonly name = 'SecretTamperedError';
}

/**
 * The public id of a key: 16 hex digits of SHA-256 over a label and the key. Stored beside each
 * sealed value to pick the key that opens it and to name a wrong key without revealing it.
 */
export function secretKeyId(key: Uint8Array): string {
  return createHash('sha256').update('parley-secret-key-id\0').update(key).digest('hex').slice(0, 16);
}

/**
 * Seals and opens secrets with a primary key; older keys (after a rotation) can still open what
 * they sealed. `associatedData` binds a sealed value to its context (e.g. a credential's id,
 * kind and destination): opening it with other associated data fails like tampering does.
 */
export class SecretBox {
  /** {@link secretKeyId} of the primary key, which seals. */
  readonly keyId: string;
  private readonly primary: Uint8Array;
  private readonly keys = new Map<string, Uint8Array>();

  /** @throws {@link SecretKeyError} when a key is not {@link SECRET_KEY_BYTES} bytes. */
  constructor(primary: Uint8Array, previous: readonly Uint8Array[] = []) {
    for (const key of [primary, ...previous]) {
      if (key.length !== SECRET_KEY_BYTES) {
        throw new SecretKeyError(`A secret key must be ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
      }
    }
    this.primary = primary;
    this.keyId = secretKeyId(primary);
    this.keys.set(this.keyId, primary);
    for (const key of previous) if (!this.keys.has(secretKeyId(key))) this.keys.set(secretKeyId(key), key);
  }

  /** Whether one of this box's keys has `keyId`. */
  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Encrypts `plaintext` (UTF-8) with the primary key and a fresh random IV. */
  seal(plaintext: string, associatedData: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.primary, iv, { authTagLength: AUTH_TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.keyId, iv, authTag: cipher.getAuthTag(), ciphertext };
  }

  /**
   * Decrypts `sealed` (UTF-8).
   * @throws {@link SecretKeyError} when no key of this box has `sealed.keyId`.
   * @throws {@link SecretTamperedError} when authentication fails.
   */
  open(sealed: SealedSecret, associatedData: string): string {
    const key = this.keys.get(sealed.keyId);
    if (key === undefined) {
      throw new SecretKeyError(
        `The secret was sealed with key ${sealed.keyId}, but the configured key is ${this.keyId}`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: AUTH_TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(sealed.authTag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretTamperedError('The sealed secret failed authentication: it was altered', {
        cause: error,
      });
    }
  }
}
