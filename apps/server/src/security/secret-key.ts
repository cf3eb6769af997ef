/**
 * Where the key that encrypts credentials comes from: `PARLEY_SECRET_KEY`, else a key file in
 * `DATA_DIR` that the first start generates (mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SECRET_KEY_BYTES, SecretKeyError } from './secret-box.ts';

/** Name of the generated key file in `DATA_DIR`. */
export const SECRET_KEY_FILE = 'secret.key';

/** The keys that open stored credentials, and where the primary came from. */
export interface SecretKeys {
  /** Seals new values; 32 bytes. */
  readonly primary: Uint8Array;
  /** Keys of earlier rotations, which still open what they sealed. */
  readonly previous: readonly Uint8Array[];
  /** `env`: `PARLEY_SECRET_KEY`; `file`: an existing key file; `generated`: a key file written now. */
  readonly source: 'env' | 'file' | 'generated';
  /** The key file, when the key came from one. */
  readonly file?: string;
}

/** What {@link loadSecretKeys} reads. */
export interface SecretKeySettings {
  /** `PARLEY_SECRET_KEY`: 32 bytes as 64 hex digits or base64. */
  readonly secretKey: string | undefined;
  /** `PARLEY_SECRET_KEY_PREVIOUS`: keys of earlier rotations, same format. */
  readonly previousSecretKeys: readonly string[];
  /** `DATA_DIR` (absolute), where the key file lives when no key is set. */
  readonly dataDir: string;
}

/** Receives a warning about a key file others can read. */
export interface SecretKeyLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Decodes a key written as 64 hex digits or as base64 (standard or URL-safe) of 32 bytes.
 * @param name - What the key is called in the error (e.g. `PARLEY_SECRET_KEY`).
 * @throws {@link SecretKeyError} when `text` is neither.
 */
export function parseSecretKey(text: string, name: string): Uint8Array {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, 'base64');
    if (bytes.length === SECRET_KEY_BYTES) return bytes;
  }
  throw new SecretKeyError(
    `${name} must be ${SECRET_KEY_BYTES} random bytes written as 64 hex digits or as base64 ` +
      '(e.g. the output of `openssl rand -base64 32`)',
  );
}

/**
 * The primary key from `PARLEY_SECRET_KEY`; without it, from `<dataDir>/secret.key`, which is
 * created with 32 random bytes (base64, mode 0600) on first use. A key file that group or others
 * can read is used with a warning.
 * @throws {@link SecretKeyError} when a key is malformed.
 * @throws The file system's error when the key file cannot be read or written.
 */
export async function loadSecretKeys(
  settings: SecretKeySettings,
  logger?: SecretKeyLogger,
): Promise<SecretKeys> {
  const previous = settings.previousSecretKeys.map((key, i) =>
    parseSecretKey(key, `PARLEY_SECRET_KEY_PREVIOUS (entry ${i + 1})`),
  );
  if (settings.secretKey !== undefined) {
    return { primary: parseSecretKey(settings.secretKey, 'PARLEY_SECRET_KEY'), previous, source: 'env' };
  }
  const file = path.join(settings.dataDir, SECRET_KEY_FILE);
  const generated = await generateKeyFile(file);
  if (generated) return { primary: generated, previous, source: 'generated', file };
  const info = await stat(file);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    logger?.warn(
      { file, mode: (info.mode & 0o777).toString(8) },
      'the secret key file is readable by others',
    );
  }
  const primary = parseSecretKey(await readFile(file, 'utf8'), file);
  return { primary, previous, source: 'file', file };
}

/** Writes a new key to `file` unless it exists (an exclusive create, so two starts cannot race). */
async function generateKeyFile(file: string): Promise<Uint8Array | undefined> {
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(SECRET_KEY_BYTES);
  try {
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
}
