/**
 * 0002: telephony settings (one row) and the one-time stream token of a call.
 *
 * Once released, a migration is never edited: add `0003_…` instead.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const telephonyMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('telephony_settings')
      // One row: the CHECK keeps it that way.
      .addColumn('id', 'smallint', (col) => col.primaryKey().defaultTo(1).check(sql`id = 1`))
      .addColumn('default_provider', 'text')
      .addColumn('max_concurrent_calls', 'integer', (col) => col.check(sql`max_concurrent_calls > 0`))
      .addColumn('providers', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .execute();

    // SHA-256 of the token a call's media stream must present; cleared when used.
    await db.schema.alterTable('calls').addColumn('stream_token_hash', 'text').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('calls').dropColumn('stream_token_hash').execute();
    await db.schema.dropTable('telephony_settings').execute();
  },
};
