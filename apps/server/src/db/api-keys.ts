/**
 * Reads and writes API keys (`api_keys` table). Keys are found by their hash; the key itself
 * is never stored.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Role } from '../auth/roles.ts';
import type { ApiKeysTable, DB } from './schema.ts';
import { isUuid } from './uuid.ts';

/** A stored API key, without its hash. */
export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The key's first characters, e.g. `pk_Ab12cD34`. */
  readonly prefix: string;
  /** The user who created it; `null` when created by the server or the user is deleted. */
  readonly createdBy: string | null;
  readonly createdAt: Date;
  /** Last time a request used it (updated at most once a minute). */
  readonly lastUsedAt: Date | null;
  /** When it was revoked; a revoked key opens nothing. */
  readonly revokedAt: Date | null;
}

/** What {@link ApiKeyRepository.create} stores. */
export interface ApiKeyInput {
  readonly name: string;
  readonly role: Role;
  /** SHA-256 (hex) of the key. */
  readonly keyHash: string;
  readonly prefix: string;
  readonly createdBy: string | null;
}

/** API keys by id and by hash. */
export class ApiKeyRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Stores a new key. */
  async create(key: ApiKeyInput): Promise<ApiKey> {
    const row = await this.db
      .insertInto('api_keys')
      .values({
        name: key.name,
        role: key.role,
        key_hash: key.keyHash,
        prefix: key.prefix,
        created_by: key.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApiKey(row);
  }

  /** The unrevoked key whose hash is `keyHash`, or `undefined`. */
  async findActive(keyHash: string): Promise<ApiKey | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toApiKey(row);
  }

  /** Of the keys `ids`, those not revoked, with their role. */
  async activeRoles(ids: readonly string[]): Promise<Map<string, Role>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('api_keys')
      .select(['id', 'role'])
      .where('id', 'in', valid)
      .where('revoked_at', 'is', null)
      .execute();
    return new Map(rows.map((row) => [row.id, row.role as Role]));
  }

  /** Every key, revoked ones included, newest first. */
  async list(): Promise<ApiKey[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(toApiKey);
  }

  /**
   * Revokes key `id` at `at` (a key revoked before keeps its first revocation time).
   * @returns the key, or `undefined` if there is none.
   */
  async revoke(id: string, at: Date): Promise<ApiKey | undefined> {
    if (!isUuid(id)) return undefined;
    await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toApiKey(row);
  }

  /** Records that key `id` was used at `at`. */
  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}

function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
