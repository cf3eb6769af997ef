/**
 * Ends the calls a crash left live: their server process is gone (`server_lost`) or their
 * stream never came (`no_stream`). Each gets its transcript rebuilt from its events, its WAV
 * header repaired from the file size, and its recording path and duration stored.
 */
import { existsSync } from 'node:fs';
import { repairWavHeader, type TranscriptEntry } from '@parley/pipeline';
import { type Kysely, sql } from 'kysely';
import type { CallEvent, CallEventRepository } from '../db/call-events.ts';
import type { CallRepository } from '../db/calls.ts';
import type { DB } from '../db/schema.ts';
import type { ServerRegistry } from '../db/servers.ts';
import type { RecordingStore } from '../recordings/store.ts';

/** The key of the PostgreSQL advisory lock that lets one sweep run at a time, across processes. */
const SWEEP_LOCK = 0x7061726c; // "parl"

/** What {@link CallRecovery} needs. */
export interface CallRecoveryDeps {
  readonly db: Kysely<DB>;
  readonly calls: CallRepository;
  readonly events: CallEventRepository;
  readonly servers: ServerRegistry;
  readonly recordings: RecordingStore;
  /** This process. */
  readonly serverId: string;
  /** The database is embedded (PGlite): no other process can own a call. */
  readonly embedded: boolean;
  readonly logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** A server that has not beaten for this long is gone, s. Default 30. */
  readonly staleSecs?: number;
  /** A call still ringing this long after it was created never got its stream, s. Default 600. */
  readonly ringingDeadlineSecs?: number;
}

interface LiveRow {
  id: string;
  status: string;
  owner_id: string | null;
  created_at: Date;
  started_at: Date | null;
}

/** Finds and ends lost calls; {@link sweep} is safe to run from several processes at once. */
export class CallRecovery {
  constructor(private readonly deps: CallRecoveryDeps) {}

  /**
   * One sweep, under a PostgreSQL advisory lock (a sweep already running in another process
   * makes this one a no-op). Never ends a call of this process that is still live.
   * @param isLive Whether this process still runs (or awaits the stream of) a call.
   * @returns the number of calls ended.
   */
  async sweep(isLive: (callId: string) => boolean): Promise<number> {
    // Embedded, this process is the only one; and PGlite's single connection, held for the
    // lock, would leave none for the sweep's own queries.
    if (this.deps.embedded) return await this.endLostCalls(isLive);
    return await this.deps.db.connection().execute(async (conn) => {
      const lock = await sql<{ got: boolean }>`select pg_try_advisory_lock(${SWEEP_LOCK}) as got`.execute(
        conn,
      );
      if (!lock.rows[0]?.got) return 0;
      try {
        return await this.endLostCalls(isLive);
      } finally {
        await sql`select pg_advisory_unlock(${SWEEP_LOCK})`.execute(conn);
      }
    });
  }

  private async endLostCalls(isLive: (callId: string) => boolean): Promise<number> {
    const { deps } = this;
    const alive = deps.embedded ? new Set<string>() : await deps.servers.alive(deps.staleSecs ?? 30);
    alive.add(deps.serverId);
    const deadline = Date.now() - (deps.ringingDeadlineSecs ?? 600) * 1000;
    const rows: LiveRow[] = await deps.db
      .selectFrom('calls')
      .select(['id', 'status', 'owner_id', 'created_at', 'started_at'])
      .where('status', 'in', ['ringing', 'in_progress'])
      .execute();
    let ended = 0;
    for (const row of rows) {
      if (row.owner_id === deps.serverId && isLive(row.id)) continue;
      const ownerGone = row.owner_id === null || !alive.has(row.owner_id);
      const lostHere = row.owner_id === deps.serverId && row.status === 'in_progress'; // its session died
      const neverStreamed = row.status === 'ringing' && row.created_at.getTime() < deadline;
      const reason = ownerGone || lostHere ? 'server_lost' : neverStreamed ? 'no_stream' : undefined;
      if (reason && (await this.end(row, reason))) ended++;
    }
    if (ended > 0) deps.logger.info({ ended }, 'ended calls lost by a stopped server');
    return ended;
  }

  /** Ends one call with what survived of it; false when it ended meanwhile. */
  private async end(row: LiveRow, reason: string): Promise<boolean> {
    const { deps } = this;
    const events = await deps.events.list(row.id);
    const startedAt = row.started_at ?? row.created_at;
    const recording = await this.repairRecording(row.id, startedAt);
    const lastEventAt = events.at(-1)?.at.getTime() ?? startedAt.getTime();
    const endedAtMs = Math.max(lastEventAt, startedAt.getTime() + (recording?.durationMs ?? 0));
    const finished = await deps.calls.finish(row.id, {
      status: 'failed',
      endReason: reason,
      endedAt: new Date(endedAtMs),
      ...(row.started_at ? { durationMs: recording?.durationMs ?? endedAtMs - startedAt.getTime() } : {}),
      transcript: transcriptFrom(events, startedAt),
      ...(recording ? { recordingPath: recording.storedPath } : {}),
    });
    if (!finished) return false;
    await deps.events.append(row.id, [
      { key: `${row.id}:recovered`, type: 'call_ended', at: new Date(), data: { reason, recovered: true } },
    ]);
    return true;
  }

  private async repairRecording(callId: string, startedAt: Date) {
    const file = this.deps.recordings.pathFor(callId, startedAt);
    if (!existsSync(file)) return undefined;
    try {
      const repaired = await repairWavHeader(file);
      return { durationMs: repaired.durationMs, storedPath: this.deps.recordings.toStoredPath(file) };
    } catch (err) {
      this.deps.logger.warn({ err, callId }, 'could not repair the recording of a lost call');
      return undefined;
    }
  }
}

/** The transcript the call session would have stored, from its `user_spoke` / `agent_spoke` events. */
export function transcriptFrom(events: readonly CallEvent[], startedAt: Date): TranscriptEntry[] {
  const entries: TranscriptEntry[] = [];
  for (const e of events) {
    if (e.type !== 'user_spoke' && e.type !== 'agent_spoke') continue;
    const text = typeof e.data.text === 'string' ? e.data.text : '';
    const atMs = typeof e.data.atMs === 'number' ? e.data.atMs : e.at.getTime() - startedAt.getTime();
    const role = e.type === 'user_spoke' ? 'user' : 'assistant';
    entries.push(
      e.data.interrupted === true ? { role, text, atMs, interrupted: true } : { role, text, atMs },
    );
  }
  return entries;
}
