/**
 * The journal of post-call work (analysis and end-of-call webhook), so that neither a graceful
 * stop nor a crash between a call's end and that work loses it. One JSON line per note, synced:
 * `due` before the call's end is stored, `done` when the work ended (well or not: its failures
 * are stored as call events, not retried). At start-up, work that was due and not done is run
 * again, once: it is noted `due` with `retry: true` first, so a crash during the retry does not
 * make it run at every start.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { JournalLogger } from './write-journal.ts';

/** One line of the post-call journal. */
export type PostCallNote =
  | { readonly kind: 'post_call_due'; readonly callId: string; readonly retry?: true }
  | { readonly kind: 'post_call_done'; readonly callId: string };

/** Post-call work noted in a file, tracked while it runs (one journal per `DATA_DIR`). */
export class PostCallJournal {
  private readonly running = new Map<string, Promise<void>>();
  /** Calls whose work is due and not done (the file is emptied when there is none). */
  private readonly pending = new Set<string>();
  private fileOps: Promise<void> = Promise.resolve();

  /** @param file The journal file (created with its folder when needed). */
  constructor(
    readonly file: string,
    private readonly log: JournalLogger,
  ) {}

  /** Calls whose post-call work is running. */
  get inFlight(): number {
    return this.running.size;
  }

  /**
   * Reads what an earlier process left and keeps only the work it did not finish, noted as a
   * retry; work that was already retried once is dropped (and logged).
   * @returns the ids of the calls whose post-call work is to run again.
   */
  async open(): Promise<string[]> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const due = new Map<string, boolean>(); // call id → already retried
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let note: PostCallNote;
      try {
        note = JSON.parse(line) as PostCallNote;
      } catch {
        this.log.warn({ file: this.file }, 'skipped a post-call journal line cut short by a crash');
        continue;
      }
      if (note.kind === 'post_call_due') due.set(note.callId, note.retry === true);
      else due.delete(note.callId);
    }
    const again: string[] = [];
    for (const [callId, retried] of due) {
      if (retried) this.log.warn({ callId }, 'post-call work was retried once already and is dropped');
      else again.push(callId);
    }
    for (const callId of again) this.pending.add(callId);
    const lines = again.map((callId) => line({ kind: 'post_call_due', callId, retry: true })).join('');
    await this.queue(async () => {
      const handle = await open(this.file, 'w', 0o600);
      try {
        await handle.writeFile(lines);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
    if (again.length > 0) this.log.info({ calls: again.length }, 'post-call work of an earlier run is due');
    return again;
  }

  /** Notes that the post-call work of `callId` is due (on disk when this resolves). Never rejects. */
  async due(callId: string): Promise<void> {
    this.pending.add(callId);
    await this.append({ kind: 'post_call_due', callId });
  }

  /**
   * Runs the post-call work of `callId` (noted with {@link due}, or returned by {@link open}),
   * tracked for {@link settled}; notes it done when `work` settles. Never rejects (a rejection
   * is logged).
   */
  run(callId: string, work: () => Promise<void>): Promise<void> {
    const running = (async () => {
      try {
        await work();
      } catch (err) {
        this.log.error({ err, callId }, 'post-call work failed');
      }
      await this.append({ kind: 'post_call_done', callId });
    })().finally(() => {
      this.running.delete(callId);
      this.pending.delete(callId);
      if (this.pending.size === 0) void this.truncateIfIdle();
    });
    this.running.set(callId, running);
    return running;
  }

  /**
   * Resolves when the work running now has ended, or after `timeoutMs` (what is still running
   * then stays due in the file, and runs again at the next start).
   */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.running.values()]), timeout]);
    clearTimeout(timer);
    await this.fileOps;
  }

  private append(note: PostCallNote): Promise<void> {
    return this.queue(async () => {
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.appendFile(line(note));
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }).catch((err: unknown) =>
      this.log.error({ err, callId: note.callId }, 'could not write the post-call journal'),
    );
  }

  /** Empties the file when no work is running or due (nothing in it is needed any more). */
  private truncateIfIdle(): Promise<void> {
    return this.queue(async () => {
      if (this.pending.size > 0) return;
      const handle = await open(this.file, 'w', 0o600);
      await handle.close();
    }).catch((err: unknown) => this.log.error({ err }, 'could not empty the post-call journal'));
  }

  /** Serialises file operations; the returned promise rejects when `op` does. */
  private queue(op: () => Promise<void>): Promise<void> {
    const next = this.fileOps.then(op);
    this.fileOps = next.catch(() => undefined);
    return next;
  }
}

function line(note: PostCallNote): string {
  return `${JSON.stringify(note)}\n`;
}
