import { describe, expect, it } from 'vitest';
import { type EventsEntry, GroupCommit } from '../src/durability/group-commit.ts';
import type { JournalEntry } from '../src/durability/write-journal.ts';

const events = (callId: string, ...types: string[]): EventsEntry => ({
  kind: 'events',
  callId,
  events: types.map((type) => ({ key: `${callId}:${type}`, type, at: new Date().toISOString(), data: {} })),
});
const finish = (callId: string): JournalEntry => ({ kind: 'finish', callId, end: { status: 'completed' } });

const unreachable = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const callGone = (callId: string) =>
  Object.assign(new Error(`Call ${callId} does not exist`), { name: 'CallNotFoundError' });

/** A database double: records each apply as `one:<kind>:<call>` or `many:<calls>`, in order. */
function fakeDatabase() {
  const db = {
    log: [] as string[],
    /** Calls whose writes fail: for now (`transient`) or for good (`gone`). */
    transient: new Set<string>(),
    gone: new Set<string>(),
    /** When set, each batch waits for it before answering. */
    gate: undefined as Promise<void> | undefined,
    check(callId: string) {
      if (db.gone.has(callId)) throw callGone(callId);
      if (db.transient.has(callId)) throw unreachable();
    },
    applyOne: async (entry: JournalEntry) => {
      db.log.push(`one:${entry.kind}:${entry.callId}`);
      db.check(entry.callId);
    },
    applyEvents: async (entries: readonly EventsEntry[]) => {
      db.log.push(`many:${entries.map((e) => e.callId).join(',')}`);
      await db.gate;
      for (const entry of entries) db.check(entry.callId);
    },
  };
  return db;
}

/** Each promise's outcome, once all have settled: 'ok', or the error's name or code. */
async function outcomes(writes: Promise<void>[]): Promise<string[]> {
  return (await Promise.allSettled(writes)).map((r) =>
    r.status === 'fulfilled'
      ? 'ok'
      : String((r.reason as { code?: string }).code ?? (r.reason as Error).name),
  );
}

describe('GroupCommit', () => {
  it('applies the events of every call written in the same turn together', async () => {
    const db = fakeDatabase();
    const group = new GroupCommit(db.applyOne, db.applyEvents);
    const writes = ['a', 'b', 'c', 'd'].map((id) => group.apply(events(id, 'user_spoke')));
    expect(await outcomes(writes)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(db.log).toEqual(['many:a,b,c,d']);
  });

  it('gathers what arrives while a batch is in flight into the next one', async () => {
    const db = fakeDatabase();
    let open = () => {};
    db.gate = new Promise((resolve) => {
      open = resolve;
    });
    const group = new GroupCommit(db.applyOne, db.applyEvents);
    const first = group.apply(events('a', 'x'));
    await new Promise((resolve) => setImmediate(resolve)); // the first batch has started
    expect(db.log).toEqual(['many:a']);
    const later = ['b', 'c', 'a'].map((id) => group.apply(events(id, 'y')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(db.log).toEqual(['many:a']); // one batch in flight at a time
    open();
    expect(await outcomes([first, ...later])).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(db.log).toEqual(['many:a', 'many:b,c,a']);
  });

  it('applies a finish after its call’s earlier events, and that call’s later events after it', async () => {
    const db = fakeDatabase();
    const group = new GroupCommit(db.applyOne, db.applyEvents);
    const writes = [
      group.apply(events('a', 'call_ended')),
      group.apply(finish('a')),
      group.apply(events('b', 'user_spoke')),
      group.apply(events('a', 'post_call')),
      group.apply(finish('b')),
    ];
    expect(await outcomes(writes)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(db.log).toEqual(['many:a,b', 'one:finish:a', 'one:events:a', 'one:finish:b']);
  });

  it('applies a refused batch one entry at a time, so only the bad call’s events are lost', async () => {
    const db = fakeDatabase();
    db.gone.add('b');
    const group = new GroupCommit(db.applyOne, db.applyEvents);
    const writes = ['a', 'b', 'c'].map((id) => group.apply(events(id, 'x')));
    expect(await outcomes(writes)).toEqual(['ok', 'CallNotFoundError', 'ok']);
    expect(db.log).toEqual(['many:a,b,c', 'one:events:a', 'one:events:b', 'one:events:c']);
  });

  it('fails every entry of a batch the database could not take, and does not try that call’s later entries', async () => {
    const db = fakeDatabase();
    db.transient.add('a');
    const group = new GroupCommit(db.applyOne, db.applyEvents);
    const writes = [
      group.apply(events('a', 'x')),
      group.apply(events('b', 'x')),
      group.apply(finish('a')),
      group.apply(finish('c')),
    ];
    expect(await outcomes(writes)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ok']);
    // a's finish is not tried before a's events are stored; c's finish does not depend on them.
    expect(db.log).toEqual(['many:a,b', 'one:finish:c']);
  });

  it('caps the events of one batch, leaving the rest to the next', async () => {
    const db = fakeDatabase();
    const group = new GroupCommit(db.applyOne, db.applyEvents, { maxEventsPerBatch: 3 });
    const writes = [
      group.apply(events('a', 'x', 'y')),
      group.apply(events('b', 'x')),
      group.apply(events('c', 'x', 'y')),
      group.apply(events('d', 'w', 'x', 'y', 'z')), // more than the cap: alone
    ];
    expect(await outcomes(writes)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(db.log).toEqual(['many:a,b', 'many:c', 'many:d']);
  });
});
