/**
 * Opens the credential store at start-up: loads the secret key, checks that it opens every
 * stored credential, and re-encrypts those an older key sealed.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { SecretBox, SecretKeyError } from '../security/secret-box.ts';
import { loadSecretKeys, type SecretKeySettings } from '../security/secret-key.ts';
import { CredentialStore } from './store.ts';

/** The subset of a pino logger that opening the store uses. */
export interface CredentialStoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The credential store over `db`, keyed by `PARLEY_SECRET_KEY` or `<dataDir>/secret.key`
 * (generated on first start; see `security/secret-key.ts`).
 * @throws {@link SecretKeyError} when a key is malformed, or when stored credentials were
 *   encrypted with a key that is not configured (the message names the key ids).
 */
export async function openCredentialStore(
  db: Kysely<DB>,
  settings: SecretKeySettings,
  logger?: CredentialStoreLogger,
): Promise<CredentialStore> {
  const keys = await loadSecretKeys(settings, logger);
  if (keys.source === 'generated') {
    logger?.warn(
      { file: keys.file },
      'generated the key that encrypts credentials: back it up (stored credentials cannot be decrypted without it), ' +
        'and set PARLEY_SECRET_KEY when several servers share the database',
    );
  }
  const box = new SecretBox(keys.primary, keys.previous);
  const store = new CredentialStore(db, box);
  for (const [keyId, names] of await store.keyIdsInUse()) {
    if (box.knows(keyId)) continue;
    const source = keys.source === 'env' ? 'PARLEY_SECRET_KEY' : keys.file;
    throw new SecretKeyError(
      `The secret key from ${source} (id ${box.keyId}) cannot decrypt stored credentials: ` +
        `${names.map((n) => `"${n}"`).join(', ')} were encrypted with key ${keyId}. ` +
        'Configure that key: as PARLEY_SECRET_KEY, or as PARLEY_SECRET_KEY_PREVIOUS beside a new PARLEY_SECRET_KEY to rotate',
    );
  }
  const resealed = await store.resealWithPrimaryKey();
  if (resealed.length > 0) {
    logger?.info({ credentials: resealed }, 'credentials re-encrypted with the current secret key');
  }
  return store;
}
