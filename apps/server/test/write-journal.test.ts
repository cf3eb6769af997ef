import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallEventRepository } from '../src/db/call-events.ts';
import { CallRepository } from '../src/db/calls.ts';
import type { Database } from '../src/db/database.ts';
import { applyBatchedWithRepositories, applyWithRepositories } from '../src/durability/apply-entry.ts';
import { GroupCommit } from '../src/durability/group-commit.ts';
import { type JournalEntry, WriteJournal } from '../src/durability/write-journal.ts';
import { openTestDatabase } from './helpers/db.ts';
import { countQueries } from './helpers/query-counter.ts';

const quiet = { warn() {}, error() {}, info() {} };
const fast = { quickRetriesMs: [5], replayBackoffMs: [10, 40] as [number, number] };

const events = (callId: string, ...types: string[]): JournalEntry => ({
  kind: 'events',
  callId,
  events: types.map((type) => ({ key: `${callId}:${type}`, type, at: new Date().toISOString(), data: {} })),
});

/** An `apply` that fails (like an unreachable database) while `down` is true, and records what it applied. */
function flakyDatabase() {
  const db = {
    down: false,
    applied: [] as string[],
    apply: async (entry: JournalEntry) => {
      if (db.down)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      if (entry.kind === 'events') db.applied.push(...entry.events.map((e) => e.type));
      else db.applied.push(`finish:${entry.end.endReason}`);
    },
  };
  return db;
}

describe('WriteJournal', () => {
  let dir: string;
  let journal: WriteJournal | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-journal-'));
  });
  afterEach(async () => {
    await journal?.close();
    journal = undefined;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes straight to the database when it answers, journaling nothing', async () => {
    const db = flakyDatabase();
    const file = path.join(dir, 'direct.jsonl');
    journal = new WriteJournal(file, db.apply, quiet, fast);
    await journal.open();
    await journal.write(events('c1', 'call_started', 'user_spoke'));
    expect(db.applied).toEqual(['call_started', 'user_spoke']);
    expect(journal.backlog).toBe(0);
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('journals writes while the database is down and replays them in order once it is back', async () => {
    const db = flakyDatabase();
    const file = path.join(dir, 'outage.jsonl');
    journal = new WriteJournal(file, db.apply, quiet, fast);
    await journal.open();
    db.down = true;
    await journal.write(events('c2', 'user_spoke'));
    await journal.write({
      kind: 'finish',
      callId: 'c2',
      end: { status: 'completed', endReason: 'caller_hung_up' },
    });
    expect(journal.backlog).toBe(2);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as JournalEntry).kind)).toEqual(['events', 'finish']);
    db.down = false;
    // A write while the backlog drains queues behind it, keeping the order.
    await journal.write(events('c3', 'call_started'));
    await journal.drained();
    expect(db.applied).toEqual(['user_spoke', 'finish:caller_hung_up', 'call_started']);
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('drops a write the database refuses for good, without blocking the ones after it', async () => {
    const file = path.join(dir, 'refused.jsonl');
    const applied: string[] = [];
    journal = new WriteJournal(
      file,
      async (entry) => {
        if (entry.callId === 'gone')
          throw Object.assign(new Error('no such call'), { name: 'CallNotFoundError' });
        applied.push(entry.callId);
      },
      quiet,
      fast,
    );
    await journal.open();
    await journal.write(events('gone', 'x'));
    await journal.write(events('c4', 'y'));
    expect(applied).toEqual(['c4']);
    expect(journal.backlog).toBe(0);
  });

  it('journals each entry of a batch the database could not take, and replays them in order', async () => {
    const db = flakyDatabase();
    const batches: string[][] = [];
    const applyEvents = async (entries: readonly JournalEntry[]) => {
      if (db.down)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      batches.push(entries.map((e) => e.callId));
      for (const entry of entries) await db.apply(entry);
    };
    const file = path.join(dir, 'batched-outage.jsonl');
    journal = new WriteJournal(file, new GroupCommit(db.apply, applyEvents).apply, quiet, fast);
    await journal.open();
    await journal.write(events('b1', 'call_started'));
    db.down = true;
    await Promise.all([
      journal.write(events('b2', 'user_spoke')),
      journal.write(events('b3', 'user_spoke')),
      journal.write(events('b4', 'user_spoke')),
    ]);
    expect(journal.backlog).toBe(3);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as JournalEntry).callId).sort()).toEqual(['b2', 'b3', 'b4']);
    db.down = false;
    await journal.drained();
    expect(db.applied).toEqual(['call_started', 'user_spoke', 'user_spoke', 'user_spoke']);
    expect(batches[0]).toEqual(['b1']);
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('replays at start-up what a crashed process left, skipping a line cut short', async () => {
    const file = path.join(dir, 'crash.jsonl');
    const left = [events('c5', 'user_spoke'), events('c5', 'agent_spoke')].map((e) => JSON.stringify(e));
    await writeFile(file, `${left.join('\n')}\n{"kind":"eve`);
    const db = flakyDatabase();
    journal = new WriteJournal(file, db.apply, quiet, fast);
    await journal.open();
    await journal.drained();
    expect(db.applied).toEqual(['user_spoke', 'agent_spoke']);
    expect(await readFile(file, 'utf8')).toBe('');
  });
});

describe('journal entries applied to the database', () => {
  let database: Database;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-journal-db-'));
    database = await openTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the events of many calls written at the same time in one transaction', async () => {
    const counted = countQueries(database.db);
    const calls = new CallRepository(database.db, 'server-a');
    const file = path.join(dir, 'grouped.jsonl');
    const journal = new WriteJournal(
      file,
      applyBatchedWithRepositories(calls, new CallEventRepository(counted.db)),
      quiet,
      fast,
    );
    try {
      const ids = await createCalls(calls, 20);
      await Promise.all(ids.map((id) => journal.write(events(id, 'call_started', 'user_spoke'))));
      expect(counted.transactions).toBe(1);
      expect(counted.statements).toEqual(['SelectQueryNode', 'RawNode', 'InsertQueryNode']);
      const repo = new CallEventRepository(database.db);
      for (const id of ids) {
        expect((await repo.list(id)).map((e) => [e.seq, e.type])).toEqual([
          [1, 'call_started'],
          [2, 'user_spoke'],
        ]);
      }
      // The next flush of every call, again together, numbered on.
      await Promise.all(ids.map((id) => journal.write(events(id, 'agent_spoke'))));
      expect(counted.transactions).toBe(2);
      for (const id of ids) expect((await repo.list(id)).map((e) => e.seq)).toEqual([1, 2, 3]);
    } finally {
      await journal.close();
    }
  });

  it('stores the other calls’ events of a batch holding a deleted call, and its finish after them', async () => {
    const calls = new CallRepository(database.db, 'server-a');
    const repo = new CallEventRepository(database.db);
    const errors: string[] = [];
    const log = { ...quiet, error: (obj: object) => errors.push((obj as { callId: string }).callId) };
    const journal = new WriteJournal(
      path.join(dir, 'grouped-gone.jsonl'),
      applyBatchedWithRepositories(calls, repo),
      log,
      fast,
    );
    try {
      const ids = await createCalls(calls, 4);
      const [gone, ...kept] = ids as [string, ...string[]];
      await database.db.deleteFrom('calls').where('id', '=', gone).execute();
      await Promise.all([
        ...ids.map((id) => journal.write(events(id, 'call_ended'))),
        journal.write({
          kind: 'finish',
          callId: kept[0]!,
          end: { status: 'completed', endReason: 'caller_hung_up' },
        }),
      ]);
      expect(errors).toEqual([gone]);
      expect(journal.backlog).toBe(0);
      for (const id of kept) expect((await repo.list(id)).map((e) => e.type)).toEqual(['call_ended']);
      expect(await calls.get(kept[0]!)).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    } finally {
      await journal.close();
    }
  });

  it('stores a replayed batch of events once, and a repeated finish only once', async () => {
    const calls = new CallRepository(database.db, 'server-a');
    const repo = new CallEventRepository(database.db);
    const apply = applyWithRepositories(calls, repo);
    const call = await calls.create({ provider: 'twilio', direction: 'inbound' });
    const batch = events(call.id, 'call_started', 'user_spoke');
    await apply(batch);
    await apply(batch); // the acknowledgement was lost: replayed
    await apply(events(call.id, 'call_ended'));
    const stored = await repo.list(call.id);
    expect(stored.map((e) => e.type)).toEqual(['call_started', 'user_spoke', 'call_ended']);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3]);

    const finish: JournalEntry = {
      kind: 'finish',
      callId: call.id,
      end: {
        status: 'completed',
        endReason: 'caller_hung_up',
        transcript: [{ role: 'user', text: 'hi', atMs: 5 }],
      },
    };
    await apply(finish);
    await apply({ ...finish, end: { ...finish.end, endReason: 'replayed' } });
    const ended = await calls.get(call.id);
    expect(ended).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    expect(ended?.transcript).toEqual([{ role: 'user', text: 'hi', atMs: 5 }]);
  });
});

/** Ids of `n` new inbound Twilio calls. */
async function createCalls(calls: CallRepository, n: number): Promise<string[]> {
  return await Promise.all(
    Array.from(
      { length: n },
      async () => (await calls.create({ provider: 'twilio', direction: 'inbound' })).id,
    ),
  );
}
