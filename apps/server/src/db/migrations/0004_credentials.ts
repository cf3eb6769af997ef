/**
 * 0004: the credential store. Values are sealed by the server (AES-256-GCM) before they reach
 * the database; secrets still held in clear by agents and telephony settings are moved here at
 * start-up (see `credentials/inline-secrets.ts`), because a migration has no key.
 *
 * Once released, a migration is never edited: add `0005_…` instead.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const credentialsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('credentials')
      .addColumn('id', 'uuid', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull().unique())
      // No CHECK on kind: adding a kind should not need a migration.
      .addColumn('kind', 'text', (col) => col.notNull())
      // The origin the secret may be sent to; part of the sealed value's associated data.
      .addColumn('destination', 'text', (col) => col.notNull())
      .addColumn('key_id', 'text', (col) => col.notNull())
      .addColumn('iv', 'bytea', (col) => col.notNull())
      .addColumn('auth_tag', 'bytea', (col) => col.notNull())
      .addColumn('ciphertext', 'bytea', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('credentials').execute();
  },
};
