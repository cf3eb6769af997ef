/**
 * Deletes the recordings of calls that ended more than `maxAgeDays` ago and clears their
 * `recording_path` (the call, its transcript and events stay).
 */
import { rm } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { RecordingStore } from '../recordings/store.ts';

/**
 * Deletes expired recordings (files inside the recordings root only) and clears their
 * `recording_path`; a file that cannot be deleted is logged and kept for the next run.
 */
export class RecordingRetention {
  /** @throws RangeError when `maxAgeDays` is not > 0. */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly recordings: RecordingStore,
    readonly maxAgeDays: number,
    private readonly logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  ) {
    if (!(maxAgeDays > 0)) throw new RangeError('maxAgeDays must be > 0');
  }

  /** One pass. @returns how many recordings were deleted. */
  async run(): Promise<number> {
    const rows = await this.db
      .selectFrom('calls')
      .select(['id', 'recording_path'])
      .where('recording_path', 'is not', null)
      .where('ended_at', '<', sql<Date>`now() - make_interval(days => ${this.maxAgeDays})`)
      .execute();
    let deleted = 0;
    for (const row of rows) {
      try {
        // Only ever a file inside the recordings root (stat refuses anything else).
        const file = await this.recordings.stat(row.recording_path!);
        if (file) await rm(file.path, { force: true });
        await this.db.updateTable('calls').set({ recording_path: null }).where('id', '=', row.id).execute();
        deleted++;
      } catch (err) {
        this.logger.warn({ err, callId: row.id }, 'could not delete an expired recording');
      }
    }
    if (deleted > 0) this.logger.info({ deleted, maxAgeDays: this.maxAgeDays }, 'deleted expired recordings');
    return deleted;
  }
}
