/**
 * Appends to and reads the audit log (`audit_log` table): who changed which agent, setting,
 * user or API key, and when. Entries never carry secret values.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable, DB } from './schema.ts';

/** Who did something: a signed-in user, an API key, or the server itself (e.g. the first admin). */
export interface AuditActor {
  readonly type: 'user' | 'api_key' | 'system';
  /** The user's or key's id; `null` for the system. */
  readonly id: string | null;
  /** The username or key name at the time. */
  readonly name: string | null;
}

/** What {@link AuditLogRepository.record} stores. */
export interface AuditRecord {
  readonly actor: AuditActor;
  /** Dotted `<target>.<verb>`, e.g. `agent.update`, `api_key.revoke`. */
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null };
  /** Non-secret facts about the change (e.g. a new role). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A stored audit log entry. */
export interface AuditEntry extends AuditRecord {
  readonly id: number;
  readonly at: Date;
  readonly details: Readonly<Record<string, unknown>>;
}

/** The largest page {@link AuditLogRepository.list} returns. */
export const MAX_AUDIT_PAGE_SIZE = 500;

/** The append-only audit log. */
export class AuditLogRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Appends an entry, dated now by the database. */
  async record(entry: AuditRecord): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        actor_type: entry.actor.type,
        actor_id: entry.actor.id,
        actor_name: entry.actor.name,
        action: entry.action,
        target_type: entry.target.type,
        target_id: entry.target.id,
        details: JSON.stringify(entry.details ?? {}),
      })
      .execute();
  }

  /** A page of entries, newest first, and how many there are in all. */
  async list(page: { limit: number; offset: number }): Promise<{ entries: AuditEntry[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('audit_log')
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.min(page.limit, MAX_AUDIT_PAGE_SIZE))
        .offset(page.offset)
        .execute(),
      this.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { entries: rows.map(toEntry), total: Number(count.n) };
  }
}

function toEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    actor: { type: row.actor_type as AuditActor['type'], id: row.actor_id, name: row.actor_name },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    details: (row.details ?? {}) as Record<string, unknown>,
  };
}
