/**
 * 0009: each call's post-call analysis (summary, extracted fields, disposition, or the error
 * that prevented it), stored after the call ended; null when the agent asks for none.
 *
 * Once released, a migration is never edited: add `0010_…` instead.
 */
import type { Kysely, Migration } from 'kysely';

export const analysisMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('calls').addColumn('analysis', 'jsonb').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('calls').dropColumn('analysis').execute();
  },
};
