/**
 * Reads and writes users (`users` table). Password hashes leave this module only through
 * {@link UserRepository.findForLogin}.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Role } from '../auth/roles.ts';
import { isUniqueViolation } from './errors.ts';
import type { DB, UsersTable } from './schema.ts';
import { isUuid } from './uuid.ts';

/** A user, without the password hash. */
export interface User {
  readonly id: string;
  /** Lower-case, unique. */
  readonly username: string;
  readonly role: Role;
  readonly createdAt: Date;
  /** Last time the role or password changed. */
  readonly updatedAt: Date;
}

/** A username is taken. */
export class DuplicateUsernameError extends Error {
  override readonly name = 'DuplicateUsernameError';
  constructor(readonly username: string) {
    super(`The username ${username} is taken`);
  }
}

/** The change would leave no admin, so that nobody could manage users any more. */
export class LastAdminError extends Error {
  override readonly name = 'LastAdminError';
  constructor() {
    super('The last admin cannot be removed or demoted');
  }
}

/** Users by id and by username. */
export class UserRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** How many users exist. */
  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Stores a new user.
   * @throws {@link DuplicateUsernameError} when the username is taken.
   */
  async create(user: { username: string; role: Role; passwordHash: string }): Promise<User> {
    try {
      const row = await this.db
        .insertInto('users')
        .values({ username: user.username, role: user.role, password_hash: user.passwordHash })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateUsernameError(user.username);
      throw error;
    }
  }

  /** The user, or `undefined`. `id` need not be a UUID. */
  async get(id: string): Promise<User | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  /** The user named `username` and their password hash, or `undefined`. */
  async findForLogin(username: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  /** The password hash of user `id`, or `undefined`. */
  async passwordHash(id: string): Promise<string | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.password_hash;
  }

  /** Every user, by username. */
  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map(toUser);
  }

  /**
   * Changes the role and/or the password hash of user `id`.
   * @returns the updated user, or `undefined` if there is none.
   * @throws {@link LastAdminError} when it would demote the last admin.
   */
  async update(id: string, changes: { role?: Role; passwordHash?: string }): Promise<User | undefined> {
    if (!isUuid(id)) return undefined;
    return this.db.transaction().execute(async (trx) => {
      if (changes.role !== undefined && changes.role !== 'admin') await assertNotLastAdmin(trx, id);
      const row = await trx
        .updateTable('users')
        .set({
          ...(changes.role === undefined ? {} : { role: changes.role }),
          ...(changes.passwordHash === undefined ? {} : { password_hash: changes.passwordHash }),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toUser(row);
    });
  }

  /**
   * Deletes user `id` (their sessions go with them; their API keys stay, as keys belong to
   * the installation).
   * @returns whether a user was deleted.
   * @throws {@link LastAdminError} when `id` is the last admin.
   */
  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.db.transaction().execute(async (trx) => {
      await assertNotLastAdmin(trx, id);
      const result = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }
}

/**
 * Throws {@link LastAdminError} if `id` is the only admin. Locks the admin rows first, so that
 * two transactions demoting two admins at once cannot both pass.
 */
async function assertNotLastAdmin(trx: Transaction<DB>, id: string): Promise<void> {
  const admins = await trx.selectFrom('users').select('id').where('role', '=', 'admin').forUpdate().execute();
  if (admins.length === 1 && admins[0]!.id === id) throw new LastAdminError();
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role as Role,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
