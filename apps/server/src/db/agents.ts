/**
 * Reads and writes agents (`agents` table). Configurations are validated on the
 * way in and on the way out, so callers always get a complete {@link AgentConfig}.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import {
  type AgentConfig,
  AgentConfigError,
  type AgentConfigInput,
  DEMO_AGENT,
  parseAgentConfig,
} from '../config/agent-config.ts';
import { LIVE_CALL_STATUSES } from './call-types.ts';
import type { AgentsTable, DB } from './schema.ts';

/** A stored agent. */
export interface Agent {
  /** Slug, e.g. `demo`. */
  id: string;
  name: string;
  config: AgentConfig;
  createdAt: Date;
  /** Last time `name` or `config` was written. */
  updatedAt: Date;
}

/** What {@link AgentRepository.upsert} accepts: the configuration before defaults are applied. */
export interface AgentInput {
  /** Slug: lower-case letters, digits and `-`, starting with a letter or digit, at most 64 characters. */
  id: string;
  name: string;
  config: AgentConfigInput;
}

const AGENT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Agents by slug. */
export class AgentRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * @returns the agent, or `undefined` if there is none with this id.
   * @throws {@link AgentConfigError} if the stored configuration is no longer valid.
   */
  async get(id: string): Promise<Agent | undefined> {
    const row = await this.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAgent(row);
  }

  /**
   * Every agent, ordered by id.
   * @throws {@link AgentConfigError} if a stored configuration is no longer valid.
   */
  async list(): Promise<Agent[]> {
    const rows = await this.db.selectFrom('agents').selectAll().orderBy('id').execute();
    return rows.map(toAgent);
  }

  /**
   * Creates the agent, or replaces the name and configuration of the one with the same id.
   * @returns the stored agent, with defaults applied to its configuration.
   * @throws {@link AgentConfigError} if the id is not a slug or the configuration is invalid.
   */
  async upsert(agent: AgentInput): Promise<Agent> {
    checkAgentId(agent.id);
    const config = JSON.stringify(parseAgentConfig(agent.config));
    const row = await this.db
      .insertInto('agents')
      .values({ id: agent.id, name: agent.name, config })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          config: eb.ref('excluded.config'),
          updated_at: sql<Date>`now()`,
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAgent(row);
  }

  /**
   * Deletes the agent (and, by cascade, its flow versions) unless a call refers to it: calls
   * keep their agent's id as history, so an agent with calls, live or stored, stays. The agent's
   * row is locked first, so no call can start referring to it meanwhile.
   * @returns `deleted`, `not_found`, or `in_use` with the number of calls referring to it
   * (`live`: ringing or in progress).
   */
  async delete(
    id: string,
  ): Promise<{ outcome: 'deleted' | 'not_found' } | { outcome: 'in_use'; calls: number; live: number }> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('agents')
        .select('id')
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) return { outcome: 'not_found' as const };
      const counts = await trx
        .selectFrom('calls')
        .select((eb) => [
          eb.fn.countAll<string>().as('calls'),
          eb.fn
            .countAll<string>()
            .filterWhere('status', 'in', [...LIVE_CALL_STATUSES])
            .as('live'),
        ])
        .where('agent_id', '=', id)
        .executeTakeFirstOrThrow();
      const calls = Number(counts.calls);
      if (calls > 0) return { outcome: 'in_use' as const, calls, live: Number(counts.live) };
      await trx.deleteFrom('agents').where('id', '=', id).execute();
      return { outcome: 'deleted' as const };
    });
  }

  /**
   * Inserts {@link DEMO_AGENT} if no agent `demo` exists; an existing one, edited or not, is left alone.
   * @returns whether the demo agent was inserted.
   */
  async seedDemo(): Promise<boolean> {
    const inserted = await this.db
      .insertInto('agents')
      .values({ id: DEMO_AGENT.id, name: DEMO_AGENT.name, config: JSON.stringify(DEMO_AGENT.config) })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }
}

/**
 * Checks that `id` is an agent slug.
 * @throws {@link AgentConfigError} when it is not.
 */
export function checkAgentId(id: string): void {
  if (!AGENT_ID.test(id)) {
    throw new AgentConfigError(
      [`id: must be lower-case letters, digits and "-" (at most 64), got ${JSON.stringify(id)}`],
      'agent',
    );
  }
}

function toAgent(row: Selectable<AgentsTable>): Agent {
  let config: AgentConfig;
  try {
    config = parseAgentConfig(row.config);
  } catch (error) {
    if (error instanceof AgentConfigError)
      throw new AgentConfigError(error.issues, `stored agent "${row.id}"`);
    throw error;
  }
  return { id: row.id, name: row.name, config, createdAt: row.created_at, updatedAt: row.updated_at };
}
