/**
 * Durable database writes for what a call leaves behind (its events and its end): a write is
 * tried at once with a few quick retries; while the database is unreachable it goes to an
 * append-only journal file (one JSON line per write), replayed in order with backoff until the
 * database is back, and again at start-up after a crash. Replays are idempotent (event keys,
 * first-finish-wins), so a write whose acknowledgement was lost is not stored twice.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';

/** One journaled write. `at` fields are ISO strings so the line survives JSON. */
export type JournalEntry =
  | {
      readonly kind: 'events';
      readonly callId: string;
      readonly events: ReadonlyArray<{
        readonly key: string;
        readonly type: string;
        readonly at: string;
        readonly data: Record<string, unknown>;
      }>;
    }
  | {
      readonly kind: 'finish';
      readonly callId: string;
      readonly end: {
        readonly status: 'completed' | 'failed' | 'busy' | 'no_answer' | 'canceled';
        readonly endedAt?: string;
        readonly durationMs?: number;
        readonly endReason?: string;
        readonly transcript?: ReadonlyArray<Record<string, unknown>>;
        readonly recordingPath?: string;
        /** `CallUsage`, as JSON. */
        readonly usage?: Record<string, unknown>;
      };
    };

/** Applies one entry to the database; rejects when it could not. */
export type JournalApply = (entry: JournalEntry) => Promise<void>;

/** How the journal reports. */
export interface JournalLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Options of {@link WriteJournal}. */
export interface WriteJournalOptions {
  /** Waits between the quick retries of a direct write, ms. Default [100, 400]. */
  readonly quickRetriesMs?: readonly number[];
  /** First and longest wait between replay attempts, ms. Default 500 and 5000. */
  readonly replayBackoffMs?: readonly [first: number, max: number];
}

/**
 * True for failures that retrying can never fix (the call is gone, the data is invalid), as
 * opposed to the database being unreachable. PostgreSQL classes 22 (data), 23 (integrity) and
 * 42 (syntax/access) are permanent (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
export function isPermanentWriteError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'CallNotFoundError') return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|42)/.test(code);
}

/**
 * The journal of one server process (one per `DATA_DIR`). Writes through {@link write} keep
 * their order: once anything is journaled, later writes queue behind it in the file.
 */
export class WriteJournal {
  private pending: JournalEntry[] = [];
  /** Serialises file operations (appends and the truncation after a full replay). */
  private fileOps: Promise<void> = Promise.resolve();
  private replaying: Promise<void> | undefined;
  private closed = false;
  private wakeReplay: (() => void) | undefined;
  private readonly quickRetriesMs: readonly number[];
  private readonly backoff: readonly [number, number];

  /**
   * @param file The journal file (created with its folder when needed).
   * @param apply Writes one entry to the database.
   */
  constructor(
    readonly file: string,
    private readonly apply: JournalApply,
    private readonly log: JournalLogger,
    options: WriteJournalOptions = {},
  ) {
    this.quickRetriesMs = options.quickRetriesMs ?? [100, 400];
    this.backoff = options.replayBackoffMs ?? [500, 5000];
  }

  /** Entries not yet in the database. */
  get backlog(): number {
    return this.pending.length;
  }

  /**
   * Loads what a previous process left in the journal and starts replaying it (in the
   * background: {@link drained} tells when it is stored). Lines cut short by a crash are skipped.
   */
  async open(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        this.pending.push(JSON.parse(line) as JournalEntry);
      } catch {
        this.log.warn({ file: this.file }, 'skipped a journal line cut short by a crash');
      }
    }
    if (this.pending.length > 0) {
      this.log.info({ entries: this.pending.length }, 'replaying the write journal of an earlier run');
      this.startReplay();
    }
  }

  /**
   * Stores `entry`: in the database if it can be reached (after quick retries), else in the
   * journal for replay. Resolves once it is in one or the other; never rejects (a write the
   * database refuses for good is logged and dropped).
   */
  async write(entry: JournalEntry): Promise<void> {
    if (this.pending.length === 0 && !this.replaying) {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.apply(entry);
          return;
        } catch (err) {
          if (isPermanentWriteError(err)) {
            this.log.error({ err, callId: entry.callId, kind: entry.kind }, 'a call write was refused');
            return;
          }
          const waitMs = this.quickRetriesMs[attempt];
          if (waitMs === undefined || this.pending.length > 0) {
            this.log.warn({ err: String(err), callId: entry.callId }, 'database unreachable: journaling');
            break;
          }
          await sleep(waitMs);
        }
      }
    }
    await this.append(entry);
    this.startReplay();
  }

  /** Resolves when everything journaled so far is in the database (or the journal closed). */
  async drained(): Promise<void> {
    while (this.replaying) await this.replaying;
  }

  /** Stops replaying; what is left stays in the file for the next start. Waits for file writes. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeReplay?.();
    await this.replaying;
    await this.fileOps;
  }

  private append(entry: JournalEntry): Promise<void> {
    this.pending.push(entry);
    const line = `${JSON.stringify(entry)}\n`;
    this.fileOps = this.fileOps.then(async () => {
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.appendFile(line);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
    return this.fileOps.catch((err: unknown) =>
      this.log.error({ err, callId: entry.callId }, 'could not write the journal: kept in memory only'),
    );
  }

  private startReplay(): void {
    if (this.replaying || this.closed) return;
    this.replaying = this.replay().finally(() => {
      this.replaying = undefined;
      // An entry journaled while the last one was being applied.
      if (this.pending.length > 0 && !this.closed) this.startReplay();
    });
  }

  private async replay(): Promise<void> {
    let waitMs = this.backoff[0];
    while (this.pending.length > 0 && !this.closed) {
      const entry = this.pending[0]!;
      try {
        await this.apply(entry);
      } catch (err) {
        if (!isPermanentWriteError(err)) {
          await this.pause(waitMs);
          waitMs = Math.min(waitMs * 2, this.backoff[1]);
          continue;
        }
        this.log.error({ err, callId: entry.callId, kind: entry.kind }, 'a journaled write was refused');
      }
      this.pending.shift();
      waitMs = this.backoff[0];
      if (this.pending.length === 0) await this.truncate();
    }
  }

  /** Empties the file once everything in it is stored (unless more came meanwhile). */
  private truncate(): Promise<void> {
    this.fileOps = this.fileOps.then(async () => {
      if (this.pending.length > 0) return;
      const handle = await open(this.file, 'w', 0o600);
      await handle.close();
      this.log.info({}, 'write journal replayed');
    });
    return this.fileOps.catch((err: unknown) => this.log.error({ err }, 'could not empty the journal'));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeReplay = done;
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
