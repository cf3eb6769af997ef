/**
 * 0007: stored flows. An agent's flow is kept as numbered versions (`draft`, `published`,
 * `archived`; at most one draft and one published per agent); a call records the version
 * published when it started.
 *
 * Once released, a migration is never edited: add `0008_…` instead.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const flowsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('flow_versions')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('agent_id', 'text', (col) => col.notNull().references('agents.id').onDelete('cascade'))
      .addColumn('version', 'integer', (col) => col.notNull().check(sql`version > 0`))
      .addColumn('status', 'text', (col) =>
        col.notNull().check(sql`status in ('draft', 'published', 'archived')`),
      )
      // The flow definition (`@parley/flows`' `flowDefinitionSchema`).
      .addColumn('definition', 'jsonb', (col) => col.notNull())
      // Name of the user or API key that wrote it.
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('published_at', 'timestamptz')
      .addUniqueConstraint('flow_versions_agent_version_key', ['agent_id', 'version'])
      .execute();
    // At most one draft and one published version per agent.
    await db.schema
      .createIndex('flow_versions_one_draft_idx')
      .on('flow_versions')
      .column('agent_id')
      .unique()
      .where(sql.ref('status'), '=', 'draft')
      .execute();
    await db.schema
      .createIndex('flow_versions_one_published_idx')
      .on('flow_versions')
      .column('agent_id')
      .unique()
      .where(sql.ref('status'), '=', 'published')
      .execute();

    await db.schema
      .alterTable('calls')
      .addColumn('flow_version_id', 'uuid', (col) => col.references('flow_versions.id').onDelete('set null'))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('calls').dropColumn('flow_version_id').execute();
    await db.schema.dropTable('flow_versions').execute();
  },
};
