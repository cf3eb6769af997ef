/**
 * 0008: each call's use of its speech and language services (audio seconds, tokens,
 * characters, TTFB per provider and model) and its estimated cost, stored when it ends.
 *
 * Once released, a migration is never edited: add `0009_…` instead.
 */
import type { Kysely, Migration } from 'kysely';

export const usageMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('calls').addColumn('usage', 'jsonb').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('calls').dropColumn('usage').execute();
  },
};
