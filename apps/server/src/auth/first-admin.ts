/**
 * The first start: on an empty users table, an `admin` is created so that someone can sign in.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditLogRepository } from '../db/audit-log.ts';
import { DuplicateUsernameError, type UserRepository } from '../db/users.ts';
import { hashPassword, randomPassword } from './passwords.ts';

/** The first admin's username. */
export const FIRST_ADMIN_USERNAME = 'admin';

/** The file under `DATA_DIR` that holds a generated first-admin password. */
export const ADMIN_PASSWORD_FILE = 'admin-password.txt';

/** What {@link ensureFirstAdmin} needs. */
export interface FirstAdminOptions {
  readonly users: UserRepository;
  readonly audit: AuditLogRepository;
  /** `DATA_DIR`, where a generated password is written. Created if missing. */
  readonly dataDir: string;
  /** `PARLEY_ADMIN_PASSWORD`: used as is and not written anywhere; generated when absent. */
  readonly password?: string | undefined;
  /** Where the one-time notice goes (the console: it must reach the operator, whatever the log level). */
  readonly print: (line: string) => void;
}

/** What {@link ensureFirstAdmin} did. */
export interface FirstAdminResult {
  readonly created: boolean;
  /** The file holding the generated password, when one was generated. */
  readonly passwordFile?: string;
}

/**
 * Creates user {@link FIRST_ADMIN_USERNAME} (role `admin`) when there is no user at all, with
 * `options.password`, or else with a random password that is printed once and written to
 * `<dataDir>/admin-password.txt` with mode 0600. Does nothing when a user exists (also when
 * another server instance created the admin at the same moment).
 * @throws the file system's error when the password file cannot be written (the admin is
 *   created first, so sign-in with the printed password still works).
 */
export async function ensureFirstAdmin(options: FirstAdminOptions): Promise<FirstAdminResult> {
  if ((await options.users.count()) > 0) return { created: false };
  const password = options.password ?? randomPassword();
  let userId: string;
  try {
    const user = await options.users.create({
      username: FIRST_ADMIN_USERNAME,
      role: 'admin',
      passwordHash: await hashPassword(password),
    });
    userId = user.id;
  } catch (error) {
    if (error instanceof DuplicateUsernameError) return { created: false };
    throw error;
  }
  await options.audit.record({
    actor: { type: 'system', id: null, name: null },
    action: 'user.create',
    target: { type: 'user', id: userId },
    details: { username: FIRST_ADMIN_USERNAME, role: 'admin', firstStart: true },
  });
  if (options.password !== undefined) {
    options.print(`Created the user "${FIRST_ADMIN_USERNAME}" with the password from PARLEY_ADMIN_PASSWORD.`);
    return { created: true };
  }
  options.print(`Created the user "${FIRST_ADMIN_USERNAME}". Its password (shown once): ${password}`);
  await mkdir(options.dataDir, { recursive: true });
  const passwordFile = path.join(options.dataDir, ADMIN_PASSWORD_FILE);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  // The mode above applies only to a new file; an old one keeps its own.
  await chmod(passwordFile, 0o600);
  options.print(
    `It is also in ${passwordFile} (readable by you only). Sign in, change it (PUT /api/auth/password) and delete the file.`,
  );
  return { created: true, passwordFile };
}
