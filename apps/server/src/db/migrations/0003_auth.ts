/**
 * 0003: users, their login sessions, API keys and the audit log.
 *
 * Once released, a migration is never edited: add `0004_…` instead.
 */
import { type Kysely, type Migration, sql } from 'kysely';

const ROLES = ['admin', 'editor', 'viewer'];
const ACTOR_TYPES = ['user', 'api_key', 'system'];

/** Renders `'a', 'b'` for a CHECK … IN list of fixed, trusted literals. */
function literalList(values: readonly string[]) {
  return sql.join(values.map((value) => sql.lit(value)));
}

export const authMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('users')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('username', 'text', (col) => col.notNull().unique())
      .addColumn('role', 'text', (col) => col.notNull().check(sql`role in (${literalList(ROLES)})`))
      // An argon2 PHC string: algorithm, parameters, salt and hash.
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable('login_sessions')
      // SHA-256 (hex) of the session id in the cookie: a copy of the table opens no session.
      .addColumn('id_hash', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
      // The secret the session's CSRF tokens are made from and checked against.
      .addColumn('csrf_secret', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull())
      .addColumn('last_seen_at', 'timestamptz', (col) => col.notNull())
      // The absolute end of the session, whatever its activity.
      .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('login_sessions_user_id_idx')
      .on('login_sessions')
      .column('user_id')
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('role', 'text', (col) => col.notNull().check(sql`role in (${literalList(ROLES)})`))
      // SHA-256 (hex) of the whole key; the key itself is shown once and never stored.
      .addColumn('key_hash', 'text', (col) => col.notNull().unique())
      // The key's first characters, so that people can tell their keys apart.
      .addColumn('prefix', 'text', (col) => col.notNull())
      .addColumn('created_by', 'uuid', (col) => col.references('users.id').onDelete('set null'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('last_used_at', 'timestamptz')
      .addColumn('revoked_at', 'timestamptz')
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('actor_type', 'text', (col) =>
        col.notNull().check(sql`actor_type in (${literalList(ACTOR_TYPES)})`),
      )
      // No foreign keys: the log outlives the users and keys it names.
      .addColumn('actor_id', 'text')
      .addColumn('actor_name', 'text')
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('target_type', 'text', (col) => col.notNull())
      .addColumn('target_id', 'text')
      .addColumn('details', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
      .execute();
    await db.schema
      .createIndex('audit_log_at_idx')
      .on('audit_log')
      .expression(sql`at desc, id desc`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_log').execute();
    await db.schema.dropTable('api_keys').execute();
    await db.schema.dropTable('login_sessions').execute();
    await db.schema.dropTable('users').execute();
  },
};
