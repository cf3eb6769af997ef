/**
 * Group commit of call writes: the `events` entries of many calls, written at about the same
 * time, go to the database in one transaction instead of one each (with 300 live calls each
 * flushing every 250 ms, one transaction per flush costs the server a noticeable share of its
 * main thread in query building and protocol work).
 */
import { isPermanentWriteError, type JournalApply, type JournalEntry } from './write-journal.ts';

/** A journal entry of kind `events`. */
export type EventsEntry = Extract<JournalEntry, { kind: 'events' }>;

/** Applies many `events` entries in one transaction (all or none); rejects when it could not. */
export type JournalApplyEvents = (entries: readonly EventsEntry[]) => Promise<void>;

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** Most events in one transaction (an entry with more still goes, alone). Default 1000. */
  readonly maxEventsPerBatch?: number;
}

interface Waiting {
  readonly entry: JournalEntry;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Gathers the entries given to {@link apply} and applies them in batches: those given in the
 * same event-loop turn, then, while a batch is in flight, all that arrive meanwhile. One batch
 * is in flight at a time, and entries keep the order they were given in for each call:
 *
 * - the `events` entries of a batch are applied together through `applyEvents`, except those of
 *   a call that has a `finish` earlier in the batch, which are applied after that finish;
 * - `finish` entries (and those later events) are applied one by one through `applyOne`, in order;
 * - when the database refuses a batch for good (e.g. one call was deleted), its entries are
 *   applied one by one, so one bad call costs only its own events;
 * - when it fails otherwise (unreachable), every entry of the batch is rejected, and a later
 *   entry of the same call is rejected without being tried, so it cannot overtake the earlier.
 *
 * Each entry's promise settles with its own outcome, which lets the {@link WriteJournal} above it
 * retry or journal each entry as it does without batching.
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  private scheduled = false;
  private running = false;
  private readonly maxEvents: number;

  /**
   * @param applyOne Applies one entry of any kind.
   * @param applyEvents Applies many `events` entries in one transaction.
   */
  constructor(
    private readonly applyOne: JournalApply,
    private readonly applyEvents: JournalApplyEvents,
    options: GroupCommitOptions = {},
  ) {
    this.maxEvents = options.maxEventsPerBatch ?? 1000;
  }

  /** Applies `entry` with the others of its batch; rejects as `applyOne` would have. */
  readonly apply: JournalApply = (entry) =>
    new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (this.running || this.scheduled) return;
      this.scheduled = true;
      // The next turn: entries written in this one (timers due together) share the batch.
      setImmediate(() => {
        this.scheduled = false;
        void this.run();
      });
    });

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) await this.applyBatch(this.take());
    } finally {
      this.running = false;
    }
  }

  /** The next batch: the oldest entries, up to the event limit (at least one entry). */
  private take(): Waiting[] {
    let events = 0;
    let count = 0;
    for (const { entry } of this.queue) {
      const size = entry.kind === 'events' ? entry.events.length : 0;
      if (count > 0 && events + size > this.maxEvents) break;
      events += size;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async applyBatch(batch: readonly Waiting[]): Promise<void> {
    const together: Waiting[] = [];
    const after: Waiting[] = [];
    const finished = new Set<string>();
    for (const waiting of batch) {
      const { entry } = waiting;
      if (entry.kind === 'events' && !finished.has(entry.callId)) {
        together.push(waiting);
      } else {
        after.push(waiting);
        if (entry.kind === 'finish') finished.add(entry.callId);
      }
    }
    /** Calls with an entry that failed for now, with its error. */
    const held = new Map<string, unknown>();
    if (together.length > 0) {
      try {
        await this.applyEvents(together.map((w) => w.entry as EventsEntry));
        for (const waiting of together) waiting.resolve();
      } catch (err) {
        if (isPermanentWriteError(err) && together.length > 1) {
          after.unshift(...together); // one by one: the bad call fails alone
        } else {
          for (const waiting of together) {
            if (!isPermanentWriteError(err)) held.set(waiting.entry.callId, err);
            waiting.reject(err);
          }
        }
      }
    }
    for (const waiting of after) {
      const { callId } = waiting.entry;
      if (held.has(callId)) {
        waiting.reject(held.get(callId));
        continue;
      }
      try {
        await this.applyOne(waiting.entry);
        waiting.resolve();
      } catch (err) {
        if (!isPermanentWriteError(err)) held.set(callId, err);
        waiting.reject(err);
      }
    }
  }
}
