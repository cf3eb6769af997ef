/**
 * Reads and writes agents' flows (`flow_versions` table): numbered versions, at most one
 * `draft` and one `published` per agent, the others `archived`; and which version a call runs.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { DB, FlowVersionsTable } from './schema.ts';
import { isUuid } from './uuid.ts';

/** Where a version is in its life: edited, run by new calls, or kept for history. */
export type FlowVersionStatus = 'draft' | 'published' | 'archived';

/** One stored version of an agent's flow. */
export interface FlowVersion {
  readonly id: string;
  readonly agentId: string;
  /** 1, 2, … per agent, in order of creation. */
  readonly version: number;
  readonly status: FlowVersionStatus;
  /** The flow definition (valid when written; see `@parley/flows`' `flowDefinitionSchema`). */
  readonly definition: unknown;
  /** Name of the user or API key that wrote it. */
  readonly createdBy: string | null;
  readonly createdAt: Date;
  /** Last write of the definition (a draft changes until it is published). */
  readonly updatedAt: Date;
  readonly publishedAt: Date | null;
}

/** A version without its definition, for lists. */
export type FlowVersionSummary = Omit<FlowVersion, 'definition'>;

/** What {@link FlowVersionRepository.publish} did. */
export type PublishOutcome =
  | { readonly published: FlowVersion; readonly archived: FlowVersionSummary | undefined }
  | { readonly published: undefined };

/** An agent's flow versions. */
export class FlowVersionRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The agent's draft, if it has one. */
  async draft(agentId: string): Promise<FlowVersion | undefined> {
    return this.byStatus(this.db, agentId, 'draft');
  }

  /** The agent's published version, if it has one. */
  async published(agentId: string): Promise<FlowVersion | undefined> {
    return this.byStatus(this.db, agentId, 'published');
  }

  /** Version number `version` of the agent's flow. */
  async get(agentId: string, version: number): Promise<FlowVersion | undefined> {
    const row = await this.db
      .selectFrom('flow_versions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && toVersion(row);
  }

  /** Every version of the agent's flow, newest first, without definitions. */
  async list(agentId: string): Promise<FlowVersionSummary[]> {
    const rows = await this.db
      .selectFrom('flow_versions')
      .select([
        'id',
        'agent_id',
        'version',
        'status',
        'created_by',
        'created_at',
        'updated_at',
        'published_at',
      ])
      .where('agent_id', '=', agentId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(summaryOf);
  }

  /**
   * Replaces the agent's draft definition, or creates the draft (numbered after the agent's
   * latest version). The caller has validated `definition` and checked that the agent exists.
   * @returns the draft, and whether it was created.
   */
  async putDraft(
    agentId: string,
    definition: unknown,
    createdBy: string | null,
  ): Promise<{ draft: FlowVersion; created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      await lockAgent(trx, agentId);
      const json = JSON.stringify(definition);
      const current = await this.byStatus(trx, agentId, 'draft');
      if (current) {
        const row = await trx
          .updateTable('flow_versions')
          .set({ definition: json, created_by: createdBy, updated_at: sql<Date>`now()` })
          .where('id', '=', current.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { draft: toVersion(row), created: false };
      }
      const row = await trx
        .insertInto('flow_versions')
        .values({
          agent_id: agentId,
          version: await nextVersion(trx, agentId),
          status: 'draft',
          definition: json,
          created_by: createdBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { draft: toVersion(row), created: true };
    });
  }

  /** Deletes the agent's draft; returns whether there was one. */
  async deleteDraft(agentId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('flow_versions')
      .where('agent_id', '=', agentId)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Publishes the agent's draft: it becomes the published version (new calls run it) and the
   * version published until now is archived. `check` runs on the draft inside the transaction
   * (so the definition published is the one checked) and may throw to refuse it.
   */
  async publish(
    agentId: string,
    check: (draft: FlowVersion) => void | Promise<void>,
  ): Promise<PublishOutcome> {
    return this.db.transaction().execute(async (trx) => {
      await lockAgent(trx, agentId);
      const draft = await this.byStatus(trx, agentId, 'draft');
      if (!draft) return { published: undefined };
      await check(draft);
      const archived = await trx
        .updateTable('flow_versions')
        .set({ status: 'archived' })
        .where('agent_id', '=', agentId)
        .where('status', '=', 'published')
        .returningAll()
        .executeTakeFirst();
      const row = await trx
        .updateTable('flow_versions')
        .set({ status: 'published', published_at: sql<Date>`now()` })
        .where('id', '=', draft.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { published: toVersion(row), archived: archived && summaryOf(archived) };
    });
  }

  /**
   * Pins the agent's published version to call `callId` (`calls.flow_version_id`), in one
   * transaction, so the version returned is the one recorded.
   * @returns the version, or `undefined` when the agent has no published flow.
   */
  async pinPublished(callId: string, agentId: string): Promise<FlowVersion | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const published = await this.byStatus(trx, agentId, 'published');
      if (!published) return undefined;
      await trx
        .updateTable('calls')
        .set({ flow_version_id: published.id })
        .where('id', '=', callId)
        .execute();
      return published;
    });
  }

  /** The flow version call `callId` ran, if any. */
  async ofCall(callId: string): Promise<FlowVersionSummary | undefined> {
    if (!isUuid(callId)) return undefined;
    const row = await this.db
      .selectFrom('calls')
      .innerJoin('flow_versions', 'flow_versions.id', 'calls.flow_version_id')
      .selectAll('flow_versions')
      .where('calls.id', '=', callId)
      .executeTakeFirst();
    return row && summaryOf(row);
  }

  private async byStatus(
    db: Kysely<DB> | Transaction<DB>,
    agentId: string,
    status: 'draft' | 'published',
  ): Promise<FlowVersion | undefined> {
    const row = await db
      .selectFrom('flow_versions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('status', '=', status)
      .executeTakeFirst();
    return row && toVersion(row);
  }
}

/** Serialises writers of one agent's flow (two first drafts at once would take one number). */
async function lockAgent(trx: Transaction<DB>, agentId: string): Promise<void> {
  await trx.selectFrom('agents').select('id').where('id', '=', agentId).forUpdate().execute();
}

async function nextVersion(trx: Transaction<DB>, agentId: string): Promise<number> {
  const row = await trx
    .selectFrom('flow_versions')
    .select((eb) => eb.fn.max('version').as('latest'))
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  return Number(row?.latest ?? 0) + 1;
}

function toVersion(row: Selectable<FlowVersionsTable>): FlowVersion {
  return { ...summaryOf(row), definition: row.definition };
}

function summaryOf(row: Omit<Selectable<FlowVersionsTable>, 'definition'>): FlowVersionSummary {
  return {
    id: row.id,
    agentId: row.agent_id,
    version: row.version,
    status: row.status as FlowVersionStatus,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
  };
}
