/**
 * 0005: what crash recovery needs: an idempotency key per call event (a journaled batch
 * replayed after a lost acknowledgement must not be stored twice), the server process that
 * owns a live call, and a heartbeat per server process.
 *
 * Once released, a migration is never edited: add `0006_…` instead.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const durabilityMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('call_events').addColumn('event_key', 'text').execute();
    await db.schema
      .createIndex('call_events_event_key_key')
      .on('call_events')
      .column('event_key')
      .unique()
      .execute();

    // The server process (its random id) that placed, answered or streams the call.
    await db.schema.alterTable('calls').addColumn('owner_id', 'text').execute();
    await db.schema
      .createIndex('calls_live_idx')
      .on('calls')
      .column('status')
      .where(sql.ref('status'), 'in', sql`('ringing', 'in_progress')`)
      .execute();

    await db.schema
      .createTable('servers')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('started_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('heartbeat_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('servers').execute();
    await db.schema.dropIndex('calls_live_idx').execute();
    await db.schema.alterTable('calls').dropColumn('owner_id').execute();
    await db.schema.dropIndex('call_events_event_key_key').execute();
    await db.schema.alterTable('call_events').dropColumn('event_key').execute();
  },
};
