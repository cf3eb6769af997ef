/**
 * Server processes and their heartbeats (`servers` table): a live call whose owner stopped
 * beating was lost with it (a crash, `kill -9`) and is ended by the recovery sweep.
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from './schema.ts';

/**
 * Heartbeats of server processes in the `servers` table; `now()` is the database's clock, so
 * processes with skewed clocks agree on staleness. Queries reject with the driver's error.
 */
export class ServerRegistry {
  constructor(private readonly db: Kysely<DB>) {}

  /** Records that server `id` is alive now (inserting it on the first beat). */
  async beat(id: string): Promise<void> {
    await this.db
      .insertInto('servers')
      .values({ id })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: sql`now()` }))
      .execute();
  }

  /** Removes server `id` (on a clean shutdown). */
  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('servers').where('id', '=', id).execute();
  }

  /** Ids of the servers that beat within the last `withinSecs` seconds. */
  async alive(withinSecs: number): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('servers')
      .select('id')
      .where('heartbeat_at', '>', sql<Date>`now() - make_interval(secs => ${withinSecs})`)
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Forgets servers silent for more than `olderThanSecs` seconds. */
  async prune(olderThanSecs: number): Promise<void> {
    await this.db
      .deleteFrom('servers')
      .where('heartbeat_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSecs})`)
      .execute();
  }
}
