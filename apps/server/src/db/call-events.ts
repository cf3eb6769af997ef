/**
 * The event log of a call (`call_events` table): what happened, in order, for
 * the dashboard's timeline and for debugging.
 */
import type { Kysely, Selectable } from 'kysely';
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
    if (!isUuid(callId)) throw new CallNotFoundError(callId);
    if (batch.length === 0) return [];
    return await this.db.transaction().execute(async (trx) => {
      const keys = batch.flatMap((e) => (e.key === undefined ? [] : [e.key]));
      const stored =
        keys.length === 0
          ? new Set<string>()
          : new Set(
              (
                await trx
                  .selectFrom('call_events')
                  .select('event_key')
                  .where('event_key', 'in', keys)
                  .execute()
              ).map((r) => r.event_key),
            );
      const events = batch.filter((e) => e.key === undefined || !stored.has(e.key));
      if (events.length === 0) return [];
      const counter = await trx
        .updateTable('calls')
        .set((eb) => ({ last_event_seq: eb('last_event_seq', '+', events.length) }))
        .where('id', '=', callId)
        .returning('last_event_seq')
        .executeTakeFirst();
      if (counter === undefined) throw new CallNotFoundError(callId);

      const firstSeq = counter.last_event_seq - events.length + 1;
      const rows = await trx
        .insertInto('call_events')
        .values(
          events.map((event, index) => ({
            call_id: callId,
            seq: firstSeq + index,
            type: event.type,
            at: event.at,
            data: JSON.stringify(event.data ?? {}),
            event_key: event.key ?? null,
          })),
        )
        .returningAll()
        .execute();
      return rows.map(toCallEvent).sort((a, b) => a.seq - b.seq);
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
