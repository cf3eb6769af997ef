/**
 * Password hashing (argon2id, OWASP's first choice for passwords) and the password rule.
 */
import { randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import { z } from 'zod';

/** A password people choose: 10–200 characters (long enough to resist guessing, short enough to hash cheaply). */
export const passwordSchema = z.string().min(10).max(200);

/**
 * argon2id with 19 MiB, 2 passes, 1 lane: OWASP's recommended minimum
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html). The
 * library's default (64 MiB, 3 passes, 4 lanes) costs about four times as much CPU per sign-in,
 * which a sign-in flood would turn against the calls.
 */
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** An argon2id hash of `password` as a PHC string (`$argon2id$v=19$m=…`), salt included. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, HASH_OPTIONS);
}

/** Whether `password` matches the PHC string `stored`. A malformed `stored` counts as no match. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(stored, password);
  } catch {
    return false;
  }
}

/** Whether `stored` was made with other parameters than {@link hashPassword} uses now. */
export function needsRehash(stored: string): boolean {
  try {
    return argon2.needsRehash(stored, HASH_OPTIONS);
  } catch {
    return true;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a {@link verifyPassword} without a user, so that an unknown username
 * answers as slowly as a wrong password.
 */
export async function verifyNobody(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummyHash, password);
}

/** A random password of 24 URL-safe characters (144 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
