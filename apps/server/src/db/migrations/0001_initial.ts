/**
 * 0001: agents, calls and call_events.
 *
 * Once released, a migration is never edited: add `0002_…` instead.
 */
import { type Kysely, type Migration, sql } from 'kysely';

const CALL_STATUSES = ['ringing', 'in_progress', 'completed', 'failed', 'busy', 'no_answer', 'canceled'];
const CALL_DIRECTIONS = ['inbound', 'outbound'];

/** Renders `'a', 'b'` for a CHECK … IN list of fixed, trusted literals. */
function literalList(values: readonly string[]) {
  return sql.join(values.map((value) => sql.lit(value)));
}

export const initialMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('agents')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('config', 'jsonb', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable('calls')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('agent_id', 'text', (col) => col.references('agents.id').onDelete('set null'))
      // No CHECK on provider: adding a provider should not need a migration.
      .addColumn('provider', 'text', (col) => col.notNull())
      .addColumn('direction', 'text', (col) =>
        col.notNull().check(sql`direction in (${literalList(CALL_DIRECTIONS)})`),
      )
      .addColumn('status', 'text', (col) =>
        col.notNull().check(sql`status in (${literalList(CALL_STATUSES)})`),
      )
      .addColumn('from_number', 'text')
      .addColumn('to_number', 'text')
      .addColumn('provider_call_id', 'text')
      .addColumn('stream_id', 'text')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('started_at', 'timestamptz')
      .addColumn('answered_at', 'timestamptz')
      .addColumn('ended_at', 'timestamptz')
      .addColumn('duration_ms', 'integer', (col) => col.check(sql`duration_ms >= 0`))
      .addColumn('end_reason', 'text')
      .addColumn('transcript', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('recording_path', 'text')
      .addColumn('provider_metadata', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('context', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('last_event_seq', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createIndex('calls_created_at_idx')
      .on('calls')
      .expression(sql`created_at desc`)
      .execute();
    // Serves the agent_id foreign key and the dashboard's per-agent listing.
    await db.schema
      .createIndex('calls_agent_id_created_at_idx')
      .on('calls')
      .expression(sql`agent_id, created_at desc`)
      .execute();
    // NULLs are distinct in a unique index, so calls without a provider id do not collide.
    await db.schema
      .createIndex('calls_provider_call_id_key')
      .on('calls')
      .columns(['provider', 'provider_call_id'])
      .unique()
      .execute();

    await db.schema
      .createTable('call_events')
      .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('call_id', 'uuid', (col) => col.notNull().references('calls.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (col) => col.notNull().check(sql`seq >= 1`))
      .addColumn('type', 'text', (col) => col.notNull())
      .addColumn('at', 'timestamptz', (col) => col.notNull())
      .addColumn('data', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
      .addUniqueConstraint('call_events_call_id_seq_key', ['call_id', 'seq'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('call_events').execute();
    await db.schema.dropTable('calls').execute();
    await db.schema.dropTable('agents').execute();
  },
};
