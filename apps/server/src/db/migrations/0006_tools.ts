/**
 * 0006: webhook tools. One row per tool, its definition as validated JSON (see
 * `calls/tools/tool-schema.ts`); header secrets are credential names, never values.
 *
 * Once released, a migration is never edited: add `0007_…` instead.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const toolsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('tools')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('definition', 'jsonb', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('tools').execute();
  },
};
