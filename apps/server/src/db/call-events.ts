/**
 * The event log of a call (`call_events` table): what happened, in order, for
 * the dashboard's timeline and for debugging.
 */
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { CallNotFoundError } from './errors.ts';
import type { CallEventsTable, DB } from './schema.ts';
import { isUuid } from './uuid.ts';

/**
 * Kind of event. The listed ones are known today; any other string is stored
 * as is (the column is not constrained), so new kinds need no migration.
 */
export type CallEventType =
  | 'call_started'
  | 'call_ended'
  | 'user_spoke'
  | 'agent_spoke'
  | 'tool_called'
  | 'tool_result'
  | 'error'
  | (string & {});

/** An event to append. */
export interface NewCallEvent {
  type: CallEventType;
  /** When it happened (not when it was stored). */
  at: Date;
  /** Event-specific payload; must survive `JSON.stringify`. @defaultValue `{}` */
  data?: Record<string, unknown>;
  /** Unique idempotency key: an event whose key is already stored is skipped. */
  key?: string;
}

/** A stored event. */
export interface CallEvent {
  /** Database-wide id, increasing in insertion order. */
  id: number;
  callId: string;
  /** Position within the call: 1, 2, 3… without gaps. */
  seq: number;
  type: CallEventType;
  at: Date;
  data: Record<string, unknown>;
}

/** Events to append to one call's log (see {@link CallEventRepository.appendMany}). */
export interface CallEventBatch {
  readonly callId: string;
  readonly events: readonly NewCallEvent[];
}

/** Rows per INSERT and keys per SELECT: far below PostgreSQL's 65,535 parameters per statement. */
const ROWS_PER_STATEMENT = 1000;

/** Appends to and reads calls' event logs. */
export class CallEventRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Appends `events` to the call's log, in array order, numbering them after
   * the call's last event. Concurrent appends to the same call are serialised
   * by a row lock on the call (its `last_event_seq` counter), so seqs never
   * collide and have no gaps; each append's events stay contiguous. Events whose `key` is
   * already stored are skipped (a batch replayed after a lost acknowledgement is stored once).
   * @returns the events stored by this call, in order.
   * @throws {@link CallNotFoundError} if the call does not exist.
   */
  async append(callId: string, batch: readonly NewCallEvent[]): Promise<CallEvent[]> {
    return await this.store([{ callId, events: batch }], true);
  }

  /**
   * Appends the events of many calls in one transaction, with the guarantees of {@link append}
   * for each call: a call's events are numbered after its last event in batch order (batches of
   * the same call in array order, contiguous), stored keys are skipped, and so are keys repeated
   * within `batches` after their first occurrence. Costs the round trips of one `append` (begin,
   * a select of stored keys, one update of every call's counter, one insert, commit) whatever the
   * number of calls, as long as there are at most 1,000 events. All or nothing: nothing is stored
   * when it throws.
   * @throws {@link CallNotFoundError} for the first call (in `batches` order) that is not a UUID
   *   or does not exist, if one of its events was to be stored.
   */
  async appendMany(batches: readonly CallEventBatch[]): Promise<void> {
    await this.store(batches, false);
  }

  private async store(batches: readonly CallEventBatch[], returning: boolean): Promise<CallEvent[]> {
    for (const { callId } of batches) if (!isUuid(callId)) throw new CallNotFoundError(callId);
    if (batches.every((b) => b.events.length === 0)) return [];
    return await this.db.transaction().execute(async (trx) => {
      const keys = batches.flatMap((b) => b.events.flatMap((e) => (e.key === undefined ? [] : [e.key])));
      const perCall = newEventsByCall(batches, await storedKeys(trx, keys));
      if (perCall.size === 0) return [];
      const lastSeqs = await reserveSeqs(trx, perCall);
      const rows: Insertable<CallEventsTable>[] = [];
      for (const [id, { callId, events }] of perCall) {
        const lastSeq = lastSeqs.get(id);
        if (lastSeq === undefined) throw new CallNotFoundError(callId);
        const firstSeq = lastSeq - events.length + 1;
        events.forEach((event, index) => {
          rows.push({
            call_id: id,
            seq: firstSeq + index,
            type: event.type,
            at: event.at,
            data: JSON.stringify(event.data ?? {}),
            event_key: event.key ?? null,
          });
        });
      }
      const stored: CallEvent[] = [];
      for (const chunk of chunks(rows, ROWS_PER_STATEMENT)) {
        const insert = trx.insertInto('call_events').values(chunk);
        if (!returning) await insert.execute();
        else stored.push(...(await insert.returningAll().execute()).map(toCallEvent));
      }
      return stored.sort((a, b) => a.seq - b.seq);
    });
  }

  /** The call's events ordered by seq; empty if the call has none or does not exist. */
  async list(callId: string): Promise<CallEvent[]> {
    if (!isUuid(callId)) return [];
    const rows = await this.db
      .selectFrom('call_events')
      .selectAll()
      .where('call_id', '=', callId)
      .orderBy('seq')
      .execute();
    return rows.map(toCallEvent);
  }
}

function toCallEvent(row: Selectable<CallEventsTable>): CallEvent {
  return {
    id: Number(row.id),
    callId: row.call_id,
    seq: row.seq,
    type: row.type,
    at: row.at,
    data: row.data as Record<string, unknown>,
  };
}

/** The events of one call still to store, under its id in lower case (as PostgreSQL returns it). */
type EventsByCall = Map<string, { callId: string; events: NewCallEvent[] }>;

/** Which of `keys` are already stored. */
async function storedKeys(trx: Transaction<DB>, keys: readonly string[]): Promise<Set<string>> {
  const stored = new Set<string>();
  for (const chunk of chunks(keys, ROWS_PER_STATEMENT)) {
    const rows = await trx
      .selectFrom('call_events')
      .select('event_key')
      .where('event_key', 'in', chunk)
      .execute();
    for (const row of rows) if (row.event_key !== null) stored.add(row.event_key);
  }
  return stored;
}

/** Each call's events to store, in batch order, without stored keys or keys seen earlier. */
function newEventsByCall(batches: readonly CallEventBatch[], stored: Set<string>): EventsByCall {
  const seen = new Set(stored);
  const perCall: EventsByCall = new Map();
  for (const { callId, events } of batches) {
    for (const event of events) {
      if (event.key !== undefined) {
        if (seen.has(event.key)) continue;
        seen.add(event.key);
      }
      const id = callId.toLowerCase();
      const call = perCall.get(id);
      if (call === undefined) perCall.set(id, { callId, events: [event] });
      else call.events.push(event);
    }
  }
  return perCall;
}

/**
 * Adds each call's event count to its `last_event_seq`, in one statement, and returns the new
 * values by call id (a call that does not exist is missing). The calls' rows are locked in id
 * order first, so two transactions appending to overlapping calls queue instead of deadlocking.
 */
async function reserveSeqs(trx: Transaction<DB>, perCall: EventsByCall): Promise<Map<string, number>> {
  const ids = [...perCall.keys()];
  const counts = [...perCall].map(([id, { events }]) => sql`(${id}::uuid, ${events.length}::integer)`);
  const { rows } = await sql<{ id: string; last_event_seq: number }>`
    with locked as materialized (
      select id from calls where id in (${sql.join(ids)}) order by id for update
    )
    update calls set last_event_seq = calls.last_event_seq + v.n
    from locked join (values ${sql.join(counts)}) as v (id, n) on v.id = locked.id
    where calls.id = locked.id
    returning calls.id, calls.last_event_seq`.execute(trx);
  return new Map(rows.map((row) => [row.id, row.last_event_seq]));
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
