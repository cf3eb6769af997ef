/**
 * Reads and writes login sessions (`login_sessions` table). Sessions are found by the hash
 * of their id; the id itself is never stored.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Role } from '../auth/roles.ts';
import type { DB, LoginSessionsTable } from './schema.ts';
import type { User } from './users.ts';

/** A stored login session. */
export interface LoginSession {
  /** SHA-256 (hex) of the session id. */
  readonly idHash: string;
  readonly userId: string;
  /** Secret of the session's CSRF tokens. */
  readonly csrfSecret: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** The absolute end of the session. */
  readonly expiresAt: Date;
}

/** Login sessions by id hash. */
export class LoginSessionRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Stores a new session. */
  async create(session: LoginSession): Promise<void> {
    await this.db
      .insertInto('login_sessions')
      .values({
        id_hash: session.idHash,
        user_id: session.userId,
        csrf_secret: session.csrfSecret,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
        expires_at: session.expiresAt,
      })
      .execute();
  }

  /** The session with id hash `idHash` and its user, or `undefined`. Expiry is the caller's to judge. */
  async findWithUser(idHash: string): Promise<{ session: LoginSession; user: User } | undefined> {
    const row = await this.db
      .selectFrom('login_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .selectAll('s')
      .select(['u.username', 'u.role', 'u.created_at as user_created_at', 'u.updated_at as user_updated_at'])
      .where('s.id_hash', '=', idHash)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      session: toSession(row),
      user: {
        id: row.user_id,
        username: row.username,
        role: row.role as Role,
        createdAt: row.user_created_at,
        updatedAt: row.user_updated_at,
      },
    };
  }

  /** Of the sessions whose id hashes are `idHashes`, those stored, with their times and their user's role. */
  async findMany(
    idHashes: readonly string[],
  ): Promise<{ idHash: string; lastSeenAt: Date; expiresAt: Date; role: Role }[]> {
    if (idHashes.length === 0) return [];
    const rows = await this.db
      .selectFrom('login_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.id_hash', 's.last_seen_at', 's.expires_at', 'u.role'])
      .where('s.id_hash', 'in', [...idHashes])
      .execute();
    return rows.map((row) => ({
      idHash: row.id_hash,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      role: row.role as Role,
    }));
  }

  /** Records activity on the session at `at`. */
  async touch(idHash: string, at: Date): Promise<void> {
    await this.db
      .updateTable('login_sessions')
      .set({ last_seen_at: at })
      .where('id_hash', '=', idHash)
      .execute();
  }

  /** Ends one session. */
  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('login_sessions').where('id_hash', '=', idHash).execute();
  }

  /** Ends every session of user `userId`, but `keepIdHash` when given. */
  async deleteForUser(userId: string, keepIdHash?: string): Promise<void> {
    let query = this.db.deleteFrom('login_sessions').where('user_id', '=', userId);
    if (keepIdHash !== undefined) query = query.where('id_hash', '!=', keepIdHash);
    await query.execute();
  }

  /** Deletes the sessions past their absolute end or idle since before `idleBefore`. */
  async deleteExpired(now: Date, idleBefore: Date): Promise<void> {
    await this.db
      .deleteFrom('login_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleBefore)]))
      .execute();
  }
}

function toSession(row: Selectable<LoginSessionsTable>): LoginSession {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    csrfSecret: row.csrf_secret,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}
