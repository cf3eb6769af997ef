/**
 * Reads and writes calls (`calls` table) and moves them through their life:
 * create → {@link CallRepository.markInProgress} → {@link CallRepository.finish}.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import {
  type Call,
  type CallDirection,
  type CallStatus,
  type CallSummary,
  type CallUsage,
  LIVE_CALL_STATUSES,
  type LiveCallStatus,
  type TelephonyProvider,
  type TerminalCallStatus,
  type TranscriptEntry,
} from './call-types.ts';
import { DuplicateCallError, isUniqueViolation } from './errors.ts';
import type { CallsTable, DB } from './schema.ts';
import { isUuid } from './uuid.ts';

/** What {@link CallRepository.create} needs. */
export interface NewCall {
  agentId?: string | null;
  provider: TelephonyProvider;
  direction: CallDirection;
  /** @defaultValue `'ringing'` */
  status?: CallStatus;
  from?: string | null;
  to?: string | null;
  providerCallId?: string | null;
  providerMetadata?: Record<string, unknown>;
  context?: Record<string, unknown>;
  /** SHA-256 of the one-time token its media stream must present (see `telephony/stream-token.ts`). */
  streamTokenHash?: string;
  /** The provider's id of the call's media stream, for a call its stream announced (it gets no token). */
  streamId?: string;
}

/** Filters and page of {@link CallRepository.list}. */
export interface CallListQuery {
  /** Page size, 1–{@link MAX_CALL_PAGE_SIZE}. @defaultValue 50 */
  limit?: number;
  /** Rows to skip, ≥ 0. @defaultValue 0 */
  offset?: number;
  agentId?: string;
  status?: CallStatus;
  direction?: CallDirection;
  /** Calls created at or after this instant. */
  from?: Date;
  /** Calls created before this instant (exclusive). */
  to?: Date;
  /**
   * Calls whose caller (`from`) or callee (`to`) number is this one, or, when it ends with
   * `*`, starts with what precedes the `*` (`+1555*`). Compared as stored, case-sensitively.
   */
  number?: string;
}

/** A page of calls, newest first, and how many calls match the filters in total. */
export interface CallPage {
  calls: CallSummary[];
  total: number;
}

/** What {@link CallRepository.finish} records. Omitted fields keep their stored value unless noted. */
export interface FinishCall {
  status: TerminalCallStatus;
  /** @defaultValue the database's `now()` */
  endedAt?: Date;
  /** @defaultValue `endedAt` minus `answeredAt` (or `startedAt`); `null` if the call was never answered. */
  durationMs?: number;
  endReason?: string;
  transcript?: TranscriptEntry[];
  recordingPath?: string;
  usage?: CallUsage;
}

/** The largest page {@link CallRepository.list} returns. */
export const MAX_CALL_PAGE_SIZE = 500;

const SUMMARY_COLUMNS = [
  'id',
  'agent_id',
  'provider',
  'direction',
  'status',
  'from_number',
  'to_number',
  'provider_call_id',
  'stream_id',
  'created_at',
  'started_at',
  'answered_at',
  'ended_at',
  'duration_ms',
  'end_reason',
  'recording_path',
  'provider_metadata',
  'context',
  'usage',
  'analysis',
] as const;

/**
 * Calls by id or provider id. Methods that take a call id treat an id that is
 * not a UUID like an unknown one, so ids from URLs can be passed as they are.
 */
export class CallRepository {
  /**
   * @param ownerId This server process's id, stored as the owner of the calls it creates or
   *   streams (so another process can tell they were lost with it); none in tools and tests.
   */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly ownerId: string | null = null,
  ) {}

  /**
   * Stores a new call.
   * @throws {@link DuplicateCallError} if a call with the same provider and `providerCallId` exists.
   */
  async create(call: NewCall): Promise<Call> {
    try {
      const row = await this.db
        .insertInto('calls')
        .values({
          agent_id: call.agentId ?? null,
          provider: call.provider,
          direction: call.direction,
          status: call.status ?? 'ringing',
          from_number: call.from ?? null,
          to_number: call.to ?? null,
          provider_call_id: call.providerCallId ?? null,
          provider_metadata: JSON.stringify(call.providerMetadata ?? {}),
          context: JSON.stringify(call.context ?? {}),
          stream_token_hash: call.streamTokenHash ?? null,
          owner_id: this.ownerId,
          stream_id: call.streamId ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toCall(row);
    } catch (error) {
      if (isUniqueViolation(error) && call.providerCallId) {
        throw new DuplicateCallError(call.provider, call.providerCallId, { cause: error });
      }
      throw error;
    }
  }

  /** @returns the call, or `undefined` if there is none with this id. */
  async get(id: string): Promise<Call | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCall(row);
  }

  /** @returns the call the provider knows as `providerCallId` (e.g. a Twilio CallSid), or `undefined`. */
  async findByProviderCallId(provider: TelephonyProvider, providerCallId: string): Promise<Call | undefined> {
    const row = await this.db
      .selectFrom('calls')
      .selectAll()
      .where('provider', '=', provider)
      .where('provider_call_id', '=', providerCallId)
      .executeTakeFirst();
    return row && toCall(row);
  }

  /**
   * Gives a live call its one-time stream token and, when it has none yet, its provider call id.
   * A call gets one token in its life: not when it has one already (issued, even if unused),
   * when its stream has started (`streamId` set), or when it has ended.
   * @returns the call, or `undefined` (nothing changed) if it does not exist or may not get a token.
   */
  async issueStreamToken(
    id: string,
    update: { streamTokenHash: string; providerCallId?: string },
  ): Promise<Call | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db
      .updateTable('calls')
      .set((eb) => ({
        stream_token_hash: update.streamTokenHash,
        ...(update.providerCallId === undefined
          ? {}
          : { provider_call_id: eb.fn.coalesce('provider_call_id', eb.val(update.providerCallId)) }),
      }))
      .where('id', '=', id)
      .where('status', 'in', LIVE_CALL_STATUSES)
      .where('stream_token_hash', 'is', null)
      .where('stream_id', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toCall(row);
  }

  /**
   * Uses up a call's one-time stream token: when `tokenHash` matches the live call's, and the
   * call is `owner`'s (provider and agent), clears it, records `streamId` (so the call never
   * gets another token, see {@link CallRepository.issueStreamToken}) and returns the call;
   * otherwise (unknown call, wrong or used token, another provider or agent, call over) returns
   * `undefined` and changes nothing. Atomic: of two streams presenting the same token, one wins.
   */
  async claimStreamToken(
    id: string,
    tokenHash: string,
    owner: { provider: TelephonyProvider; agentId: string },
    streamId: string,
  ): Promise<Call | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db
      .updateTable('calls')
      .set({ stream_token_hash: null, stream_id: streamId })
      .where('id', '=', id)
      .where('stream_token_hash', '=', tokenHash)
      .where('provider', '=', owner.provider)
      .where('agent_id', '=', owner.agentId)
      .where('status', 'in', LIVE_CALL_STATUSES)
      .returningAll()
      .executeTakeFirst();
    return row && toCall(row);
  }

  /** Records the provider's id for a call placed through its REST API. @returns `false` if the call does not exist. */
  async setProviderCallId(id: string, providerCallId: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.db
      .updateTable('calls')
      .set({ provider_call_id: providerCallId })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Stores a call's post-call analysis (JSON). @returns `false` if the call does not exist. */
  async setAnalysis(id: string, analysis: Record<string, unknown>): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.db
      .updateTable('calls')
      .set({ analysis: JSON.stringify(analysis) })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * One page of calls, newest first, without transcripts.
   * @throws RangeError if `limit` or `offset` is out of range or not an integer.
   */
  async list(query: CallListQuery = {}): Promise<CallPage> {
    const { limit = 50, offset = 0 } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CALL_PAGE_SIZE) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_CALL_PAGE_SIZE}, got ${limit}`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    }

    let filtered = this.db.selectFrom('calls');
    if (query.agentId !== undefined) filtered = filtered.where('agent_id', '=', query.agentId);
    if (query.status !== undefined) filtered = filtered.where('status', '=', query.status);
    if (query.direction !== undefined) filtered = filtered.where('direction', '=', query.direction);
    if (query.from !== undefined) filtered = filtered.where('created_at', '>=', query.from);
    if (query.to !== undefined) filtered = filtered.where('created_at', '<', query.to);
    const { number } = query;
    if (number !== undefined) {
      filtered = number.endsWith('*')
        ? filtered.where((eb) => {
            const pattern = `${escapeLike(number.slice(0, -1))}%`;
            return eb.or([eb('from_number', 'like', pattern), eb('to_number', 'like', pattern)]);
          })
        : filtered.where((eb) => eb.or([eb('from_number', '=', number), eb('to_number', '=', number)]));
    }

    const rows = await filtered
      .select(SUMMARY_COLUMNS)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
    const { total } = await filtered.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow();
    return { calls: rows.map(toCallSummary), total: Number(total) };
  }

  /**
   * Records that the media stream started: status `in_progress`, the stream id,
   * and `startedAt`/`answeredAt` unless already set (a reconnecting stream keeps the first).
   * @returns `false` (and changes nothing) if the call does not exist or has already ended.
   */
  async markInProgress(id: string, stream: { streamId: string; startedAt: Date }): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.db
      .updateTable('calls')
      .set((eb) => ({
        status: 'in_progress',
        stream_id: stream.streamId,
        owner_id: this.ownerId,
        started_at: eb.fn.coalesce('started_at', sql<Date>`${stream.startedAt}::timestamptz`),
        answered_at: eb.fn.coalesce('answered_at', sql<Date>`${stream.startedAt}::timestamptz`),
      }))
      .where('id', '=', id)
      .where('status', 'in', LIVE_CALL_STATUSES)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Ends a live call with a terminal status. Only the first call to `finish`
   * has any effect, so a provider's status callback and the media stream's end
   * can both report the end without overwriting each other; whichever comes
   * second can still store its transcript with {@link CallRepository.saveArtifacts}.
   * @returns `false` (and changes nothing) if the call does not exist or has already ended.
   */
  async finish(id: string, end: FinishCall): Promise<boolean> {
    if (!isUuid(id)) return false;
    // now() is fixed for the statement's transaction, so both uses agree.
    const endedAt = end.endedAt === undefined ? sql<Date>`now()` : sql<Date>`${end.endedAt}::timestamptz`;
    const durationMs =
      end.durationMs === undefined
        ? // greatest() ignores NULLs, so test for "never answered" explicitly.
          sql<number | null>`case when coalesce(answered_at, started_at) is null then null
            else greatest(0, round(extract(epoch from ${endedAt} - coalesce(answered_at, started_at)) * 1000))::integer end`
        : sql<number>`${Math.round(end.durationMs)}::integer`;
    const result = await this.db
      .updateTable('calls')
      .set({
        status: end.status,
        ended_at: endedAt,
        duration_ms: durationMs,
        ...(end.endReason === undefined ? {} : { end_reason: end.endReason }),
        ...(end.transcript === undefined ? {} : { transcript: JSON.stringify(end.transcript) }),
        ...(end.recordingPath === undefined ? {} : { recording_path: end.recordingPath }),
        ...(end.usage === undefined ? {} : { usage: JSON.stringify(end.usage) }),
      })
      .where('id', '=', id)
      .where('status', 'in', LIVE_CALL_STATUSES)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Stores the transcript, recording path and/or usage whatever the call's status
   * (e.g. after another path already {@link CallRepository.finish}ed it).
   * @returns `false` if the call does not exist.
   */
  async saveArtifacts(
    id: string,
    artifacts: { transcript?: TranscriptEntry[]; recordingPath?: string; usage?: CallUsage },
  ): Promise<boolean> {
    if (!isUuid(id)) return false;
    if (
      artifacts.transcript === undefined &&
      artifacts.recordingPath === undefined &&
      artifacts.usage === undefined
    ) {
      return (await this.get(id)) !== undefined;
    }
    const result = await this.db
      .updateTable('calls')
      .set({
        ...(artifacts.transcript === undefined ? {} : { transcript: JSON.stringify(artifacts.transcript) }),
        ...(artifacts.recordingPath === undefined ? {} : { recording_path: artifacts.recordingPath }),
        ...(artifacts.usage === undefined ? {} : { usage: JSON.stringify(artifacts.usage) }),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Moves a live call forward, e.g. on a provider's status callback:
   * `ringing` applies only to a ringing call (a late callback never moves a call
   * back), `in_progress` also sets `answeredAt` to now unless already set.
   * Ending a call goes through {@link CallRepository.finish}.
   * @returns `false` (and changes nothing) if the call does not exist, has
   *   already ended, or is already past `status`.
   */
  async updateStatus(id: string, status: LiveCallStatus): Promise<boolean> {
    if (!isUuid(id)) return false;
    const from: readonly LiveCallStatus[] = status === 'ringing' ? ['ringing'] : LIVE_CALL_STATUSES;
    const result = await this.db
      .updateTable('calls')
      .set((eb) => ({
        status,
        ...(status === 'in_progress' ? { answered_at: eb.fn.coalesce('answered_at', sql<Date>`now()`) } : {}),
      }))
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

/** `text` as a literal LIKE pattern: PostgreSQL's default escape character is the backslash. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

type SummaryRow = Pick<Selectable<CallsTable>, (typeof SUMMARY_COLUMNS)[number]>;

function toCallSummary(row: SummaryRow): CallSummary {
  return {
    id: row.id,
    agentId: row.agent_id,
    // provider, direction and status are only ever written from these unions (the latter two are CHECKed).
    provider: row.provider as TelephonyProvider,
    direction: row.direction as CallDirection,
    status: row.status as CallStatus,
    from: row.from_number,
    to: row.to_number,
    providerCallId: row.provider_call_id,
    streamId: row.stream_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    endReason: row.end_reason,
    recordingPath: row.recording_path,
    providerMetadata: row.provider_metadata as Record<string, unknown>,
    context: row.context as Record<string, unknown>,
    // Written only by this repository, from CallUsage.
    usage: (row.usage ?? null) as CallUsage | null,
    analysis: (row.analysis ?? null) as Record<string, unknown> | null,
  };
}

function toCall(row: Selectable<CallsTable>): Call {
  // Written only by this repository, from TranscriptEntry[].
  return { ...toCallSummary(row), transcript: row.transcript as TranscriptEntry[] };
}
