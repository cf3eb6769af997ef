/**
 * Reads and writes webhook tools (`tools` table). Definitions are validated on the way in and
 * on the way out, so callers always get a complete {@link ToolDefinitionConfig}.
 */
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import { parseToolDefinition, ToolDefinitionError } from '../calls/tools/parse-tool.ts';
import type { ToolDefinitionConfig, ToolDefinitionInput } from '../calls/tools/tool-schema.ts';
import type { DB, ToolsTable } from './schema.ts';

/** A stored webhook tool. */
export interface Tool {
  /** Slug, e.g. `check-order`; what agents list in `config.tools`. */
  id: string;
  definition: ToolDefinitionConfig;
  createdAt: Date;
  /** Last time the definition was written. */
  updatedAt: Date;
}

/** A tool is still listed by agents, which are named in `usedBy`. */
export class ToolInUseError extends Error {
  override readonly name = 'ToolInUseError';

  constructor(
    readonly toolId: string,
    /** Who uses it, as words (`agent demo`). */
    readonly usedBy: readonly string[],
  ) {
    super(`Tool "${toolId}" is in use by ${usedBy.join(', ')}: remove it from them first`);
  }
}

/** Webhook tools by id. */
export class ToolRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * @returns the tool, or `undefined` if there is none with this id.
   * @throws {@link ToolDefinitionError} if its stored definition no longer validates.
   */
  async get(id: string): Promise<Tool | undefined> {
    const row = await this.db.selectFrom('tools').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTool(row);
  }

  /** The tools with these ids that exist, in no particular order. */
  async getMany(ids: readonly string[]): Promise<Tool[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('tools')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return rows.map(toTool);
  }

  /** Every tool, ordered by id. */
  async list(): Promise<Tool[]> {
    const rows = await this.db.selectFrom('tools').selectAll().orderBy('id').execute();
    return rows.map(toTool);
  }

  /**
   * Creates the tool, or replaces the definition of the one with this id.
   * @returns the stored tool and whether it was created.
   * @throws {@link ToolDefinitionError} if the definition is invalid.
   */
  async upsert(id: string, definition: ToolDefinitionInput): Promise<{ tool: Tool; created: boolean }> {
    const json = JSON.stringify(parseToolDefinition(definition));
    const existed = await this.db.selectFrom('tools').select('id').where('id', '=', id).executeTakeFirst();
    const row = await this.db
      .insertInto('tools')
      .values({ id, definition: json })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          definition: eb.ref('excluded.definition'),
          updated_at: sql<Date>`now()`,
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return { tool: toTool(row), created: existed === undefined };
  }

  /**
   * Deletes a tool no agent lists.
   * @returns false when there was none.
   * @throws {@link ToolInUseError} naming the agents that list it.
   */
  async delete(id: string): Promise<boolean> {
    const usedBy = await this.usages(id);
    if (usedBy.length > 0) throw new ToolInUseError(id, usedBy);
    const result = await this.db.deleteFrom('tools').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Who lists tool `id`, as words: agents (`agent demo`), then the draft and published flows
   * whose nodes name it (`flow of agent demo (draft, node greet)`), so that a tool in use
   * cannot be deleted.
   */
  async usages(id: string): Promise<string[]> {
    const agents = await this.db.selectFrom('agents').select(['id', 'config']).orderBy('id').execute();
    const flows = await this.db
      .selectFrom('flow_versions')
      .select(['agent_id', 'status', 'definition'])
      .where('status', 'in', ['draft', 'published'])
      .orderBy('agent_id')
      .orderBy('status')
      .execute();
    return [
      ...agents.filter((a) => listsTool(a.config, id)).map((a) => `agent ${a.id}`),
      ...flows.flatMap((f) =>
        nodesNaming(f.definition, id).map(
          (node) => `flow of agent ${f.agent_id} (${f.status}, node ${node})`,
        ),
      ),
    ];
  }
}

/** Keys of the nodes of a stored flow definition whose `toolIds` name `id`. */
function nodesNaming(definition: unknown, id: string): string[] {
  const nodes =
    typeof definition === 'object' && definition !== null ? (definition as { nodes?: unknown }).nodes : [];
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((node: { key?: unknown; toolIds?: unknown }) =>
    Array.isArray(node?.toolIds) && node.toolIds.includes(id) ? [String(node.key)] : [],
  );
}

function listsTool(config: unknown, id: string): boolean {
  const tools =
    typeof config === 'object' && config !== null ? (config as { tools?: unknown }).tools : undefined;
  return Array.isArray(tools) && tools.includes(id);
}

function toTool(row: Selectable<ToolsTable>): Tool {
  let definition: ToolDefinitionConfig;
  try {
    definition = parseToolDefinition(row.definition);
  } catch (error) {
    if (error instanceof ToolDefinitionError) {
      throw new ToolDefinitionError(error.issues.map((issue) => `stored tool "${row.id}": ${issue}`));
    }
    throw error;
  }
  return { id: row.id, definition, createdAt: row.created_at, updatedAt: row.updated_at };
}
