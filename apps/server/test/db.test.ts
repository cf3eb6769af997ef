import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConfigError, DEMO_AGENT, parseAgentConfig } from '../src/config/agent-config.ts';
import { AgentRepository } from '../src/db/agents.ts';
import { CallEventRepository } from '../src/db/call-events.ts';
import type { TranscriptEntry } from '../src/db/call-types.ts';
import { CallRepository } from '../src/db/calls.ts';
import { type Database, type DatabaseLogger, openDatabase } from '../src/db/database.ts';
import { CallNotFoundError, DatabaseConfigError, DuplicateCallError } from '../src/db/errors.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { openTestDatabase } from './helpers/db.ts';
import { countQueries } from './helpers/query-counter.ts';

const validConfig = {
  prompt: 'You are helpful.',
  stt: { provider: 'fake' },
  tts: { provider: 'fake' },
  llm: { provider: 'openai' },
} as const;

/** Records the migrations a database reports applying. */
function migrationLog(): { logger: DatabaseLogger; applied: string[] } {
  const applied: string[] = [];
  return {
    applied,
    logger: {
      info(obj, msg) {
        if (msg === 'migration applied' && 'migration' in obj) applied.push(String(obj.migration));
      },
      error() {},
    },
  };
}

let database: Database;
let agents: AgentRepository;
let calls: CallRepository;
let events: CallEventRepository;

beforeAll(async () => {
  database = await openTestDatabase();
  agents = new AgentRepository(database.db);
  calls = new CallRepository(database.db);
  events = new CallEventRepository(database.db);
});

afterAll(async () => {
  await database?.close();
});

describe('openDatabase', () => {
  it('keeps rows and applies no migration again when a PGlite data dir is reopened, and closes twice', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'parley-db-'));
    try {
      const dataDir = path.join(dir, 'nested', 'pg');
      const first = migrationLog();
      const opened = await openDatabase({ dataDir, logger: first.logger });
      expect(opened.dialect).toBe('pglite');
      expect(first.applied).toEqual(Object.keys(migrations).sort());
      await new AgentRepository(opened.db).upsert({ id: 'kept', name: 'Kept', config: validConfig });
      await opened.close();
      await expect(opened.close()).resolves.toBeUndefined();

      const second = migrationLog();
      const reopened = await openDatabase({ dataDir, logger: second.logger });
      try {
        expect(second.applied).toEqual([]);
        expect((await new AgentRepository(reopened.db).get('kept'))?.name).toBe('Kept');
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000); // two PGlite starts with every migration: slow on a loaded 2-core machine

  it.runIf(process.env.DATABASE_URL)(
    'applies no migration again when the same PostgreSQL schema is reopened',
    async () => {
      const url = process.env.DATABASE_URL;
      const schema = `t_reopen_${process.pid}`;
      const first = migrationLog();
      const opened = await openDatabase({ url, schema, logger: first.logger });
      try {
        expect(opened.dialect).toBe('postgres');
        expect(first.applied).toEqual(Object.keys(migrations).sort());
        const second = migrationLog();
        const reopened = await openDatabase({ url, schema, logger: second.logger });
        await reopened.close();
        expect(second.applied).toEqual([]);
      } finally {
        await opened.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await opened.close();
      }
    },
  );

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(openDatabase({ dataDir: 'memory', schema: 'x; drop table y' })).rejects.toThrow(
      DatabaseConfigError,
    );
  });

  it('parses int8 counts as numbers', async () => {
    const row = await database.db
      .selectFrom('agents')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(typeof row.n).toBe('number');
  });
});

describe('agent configuration', () => {
  it('applies defaults for language and model', () => {
    const config = parseAgentConfig(validConfig);
    expect(config.language).toBe('en-US');
    expect(config.llm.model).toBe('gpt-4o-mini');
  });

  it('lists every problem with its path in a readable message', () => {
    let error: unknown;
    try {
      parseAgentConfig({
        stt: { provider: 'whisper' },
        tts: { provider: 'fake' },
        llm: { provider: 'openai', temperature: 5 },
        gretting: 'hi',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AgentConfigError);
    const { issues, message } = error as AgentConfigError;
    expect(issues).toHaveLength(4);
    expect(message).toMatch(/^Invalid agent configuration: /);
    expect(message).toContain('prompt: ');
    expect(message).toMatch(/stt\.provider: .*"local"/);
    expect(message).toMatch(/llm\.temperature: .*2/);
    expect(message).toContain('gretting');
  });

  it('names the root when the input is not an object', () => {
    expect(() => parseAgentConfig('nope')).toThrow(/\(root\): /);
  });

  it('ships a valid demo agent', () => {
    expect(parseAgentConfig(DEMO_AGENT.config)).toEqual(DEMO_AGENT.config);
    expect(DEMO_AGENT.config.greeting).toMatch(/Parley demo agent/);
  });
});

describe('AgentRepository', () => {
  it('seeds the demo agent once and never overwrites an edit', async () => {
    expect(await agents.seedDemo()).toBe(true);
    expect((await agents.get('demo'))?.config).toEqual(DEMO_AGENT.config);

    const edited = await agents.upsert({
      id: 'demo',
      name: 'My demo',
      config: { ...DEMO_AGENT.config, greeting: 'Hi there!' },
    });
    expect(edited.updatedAt.getTime()).toBeGreaterThanOrEqual(edited.createdAt.getTime());

    expect(await agents.seedDemo()).toBe(false);
    const demo = await agents.get('demo');
    expect(demo?.name).toBe('My demo');
    expect(demo?.config.greeting).toBe('Hi there!');
  });

  it('returns undefined for an unknown id and lists agents by id', async () => {
    await agents.upsert({ id: 'zeta', name: 'Zeta', config: validConfig });
    await agents.upsert({ id: 'alpha', name: 'Alpha', config: validConfig });
    expect(await agents.get('missing')).toBeUndefined();
    const ids = (await agents.list()).map((agent) => agent.id);
    expect(ids.indexOf('alpha')).toBeLessThan(ids.indexOf('zeta'));
  });

  it('rejects an invalid configuration or id without writing', async () => {
    await expect(
      agents.upsert({ id: 'broken', name: 'Broken', config: { ...validConfig, prompt: '' } }),
    ).rejects.toThrow(AgentConfigError);
    await expect(agents.upsert({ id: 'Not A Slug', name: 'x', config: validConfig })).rejects.toThrow(
      /id: must be/,
    );
    expect(await agents.get('broken')).toBeUndefined();
  });
});

describe('CallRepository', () => {
  it('moves a call from ringing to in progress to completed, and ignores a second finish', async () => {
    const call = await calls.create({
      agentId: null,
      provider: 'twilio',
      direction: 'inbound',
      from: '+15550001111',
      to: '+15550002222',
      providerCallId: 'CA-lifecycle',
      providerMetadata: { AccountSid: 'AC123' },
      context: { customer: 'Ada' },
    });
    expect(call).toMatchObject({
      status: 'ringing',
      from: '+15550001111',
      providerMetadata: { AccountSid: 'AC123' },
      context: { customer: 'Ada' },
      transcript: [],
      startedAt: null,
    });

    const startedAt = new Date('2025-01-01T10:00:00.000Z');
    expect(await calls.markInProgress(call.id, { streamId: 'MZ1', startedAt })).toBe(true);
    const live = await calls.get(call.id);
    expect(live).toMatchObject({ status: 'in_progress', streamId: 'MZ1', startedAt, answeredAt: startedAt });

    const transcript: TranscriptEntry[] = [
      { role: 'assistant', text: 'Hello!', atMs: 120 },
      { role: 'user', text: 'Hi', atMs: 2400 },
      { role: 'assistant', text: 'How can I', atMs: 3100, interrupted: true },
    ];
    const endedAt = new Date('2025-01-01T10:01:30.250Z');
    expect(
      await calls.finish(call.id, {
        status: 'completed',
        endedAt,
        endReason: 'caller_hung_up',
        transcript,
        recordingPath: 'recordings/a.wav',
      }),
    ).toBe(true);

    expect(await calls.finish(call.id, { status: 'failed', endReason: 'error', transcript: [] })).toBe(false);
    expect(await calls.markInProgress(call.id, { streamId: 'MZ2', startedAt: new Date() })).toBe(false);
    expect(await calls.updateStatus(call.id, 'in_progress')).toBe(false);

    const ended = await calls.get(call.id);
    expect(ended).toMatchObject({
      status: 'completed',
      endedAt,
      durationMs: 90_250,
      endReason: 'caller_hung_up',
      transcript,
      recordingPath: 'recordings/a.wav',
      streamId: 'MZ1',
    });
  });

  it('leaves the duration empty when a call ends unanswered', async () => {
    const call = await calls.create({ provider: 'exotel', direction: 'outbound' });
    expect(await calls.finish(call.id, { status: 'no_answer' })).toBe(true);
    const ended = await calls.get(call.id);
    expect(ended?.durationMs).toBeNull();
    expect(ended?.endedAt).toBeInstanceOf(Date);
  });

  it('stores a transcript after another path has finished the call', async () => {
    const call = await calls.create({ provider: 'twilio', direction: 'inbound' });
    await calls.finish(call.id, { status: 'completed' });
    const transcript: TranscriptEntry[] = [{ role: 'user', text: 'Bye', atMs: 10 }];
    expect(await calls.saveArtifacts(call.id, { transcript })).toBe(true);
    expect((await calls.get(call.id))?.transcript).toEqual(transcript);
  });

  it('never moves a call back to ringing', async () => {
    const call = await calls.create({ provider: 'vobiz', direction: 'outbound' });
    expect(await calls.updateStatus(call.id, 'in_progress')).toBe(true);
    expect(await calls.updateStatus(call.id, 'ringing')).toBe(false);
    const live = await calls.get(call.id);
    expect(live?.status).toBe('in_progress');
    expect(live?.answeredAt).toBeInstanceOf(Date);
  });

  it('finds a call by provider call id, and refuses a duplicate for the same provider', async () => {
    const call = await calls.create({ provider: 'twilio', direction: 'inbound', providerCallId: 'CA-dup' });
    expect((await calls.findByProviderCallId('twilio', 'CA-dup'))?.id).toBe(call.id);
    expect(await calls.findByProviderCallId('exotel', 'CA-dup')).toBeUndefined();

    await expect(
      calls.create({ provider: 'twilio', direction: 'inbound', providerCallId: 'CA-dup' }),
    ).rejects.toThrow(DuplicateCallError);
    await expect(
      calls.create({ provider: 'exotel', direction: 'inbound', providerCallId: 'CA-dup' }),
    ).resolves.toMatchObject({ provider: 'exotel' });
  });

  it('treats an id that is not a UUID as unknown', async () => {
    expect(await calls.get('not-a-uuid')).toBeUndefined();
    expect(await calls.finish('not-a-uuid', { status: 'failed' })).toBe(false);
  });

  it('keeps a call when its agent is deleted', async () => {
    await agents.upsert({ id: 'doomed', name: 'Doomed', config: validConfig });
    const call = await calls.create({ agentId: 'doomed', provider: 'twilio', direction: 'inbound' });
    await database.db.deleteFrom('agents').where('id', '=', 'doomed').execute();
    expect((await calls.get(call.id))?.agentId).toBeNull();
  });

  it('pages through calls newest first with the total of matching calls', async () => {
    await agents.upsert({ id: 'pager', name: 'Pager', config: validConfig });
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const call = await calls.create({ agentId: 'pager', provider: 'twilio', direction: 'outbound' });
      created.push(call.id);
    }
    await calls.finish(created[0]!, { status: 'busy' });

    const pages = [];
    for (const offset of [0, 2, 4]) pages.push(await calls.list({ agentId: 'pager', limit: 2, offset }));
    expect(pages.map((page) => page.total)).toEqual([5, 5, 5]);
    expect(pages.map((page) => page.calls.length)).toEqual([2, 2, 1]);

    const listed = pages.flatMap((page) => page.calls);
    expect(new Set(listed.map((call) => call.id))).toEqual(new Set(created));
    const times = listed.map((call) => call.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(listed[0]).not.toHaveProperty('transcript');

    const busy = await calls.list({ agentId: 'pager', status: 'busy' });
    expect(busy.total).toBe(1);
    expect(busy.calls[0]?.id).toBe(created[0]);

    expect(await calls.list({ agentId: 'pager', offset: 10 })).toEqual({ calls: [], total: 5 });
  });

  it('rejects a page size out of range', async () => {
    await expect(calls.list({ limit: 0 })).rejects.toThrow(RangeError);
    await expect(calls.list({ limit: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('CallEventRepository', () => {
  it('numbers concurrent appends to one call 1..n without gaps, each append contiguous', async () => {
    const call = await calls.create({ provider: 'twilio', direction: 'inbound' });
    const at = new Date('2025-01-01T10:00:00.123Z');
    const appends = await Promise.all(
      Array.from({ length: 6 }, (_, batch) =>
        events.append(
          call.id,
          Array.from({ length: 3 }, (_, index) => ({ type: 'user_spoke', at, data: { batch, index } })),
        ),
      ),
    );

    for (const appended of appends) {
      const seqs = appended.map((event) => event.seq);
      expect(seqs).toEqual([seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
      expect(appended.map((event) => event.data.index)).toEqual([0, 1, 2]);
    }

    const log = await events.list(call.id);
    expect(log.map((event) => event.seq)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(log[0]).toMatchObject({ callId: call.id, type: 'user_spoke', at });
    expect(typeof log[0]?.id).toBe('number');
  });

  it('continues numbering after earlier events and keeps event types it does not know', async () => {
    const call = await calls.create({ provider: 'twilio', direction: 'inbound' });
    await events.append(call.id, [{ type: 'call_started', at: new Date() }]);
    const [later] = await events.append(call.id, [
      { type: 'dtmf_received', at: new Date(), data: { digit: '5' } },
    ]);
    expect(later).toMatchObject({ seq: 2, type: 'dtmf_received', data: { digit: '5' } });
  });

  it('refuses events for an unknown call', async () => {
    const event = { type: 'error', at: new Date() };
    await expect(events.append('00000000-0000-4000-8000-000000000000', [event])).rejects.toThrow(
      CallNotFoundError,
    );
    await expect(events.append('nope', [event])).rejects.toThrow(CallNotFoundError);
  });

  it('appends many calls’ events in one transaction of three statements, numbering each call on', async () => {
    const counted = countQueries(database.db);
    const repo = new CallEventRepository(counted.db);
    const ids = await Promise.all(
      Array.from(
        { length: 12 },
        async () => (await calls.create({ provider: 'twilio', direction: 'inbound' })).id,
      ),
    );
    await events.append(ids[0]!, [{ type: 'call_started', at: new Date() }]);
    counted.reset();
    const at = new Date('2025-01-01T10:00:00Z');
    await repo.appendMany([
      ...ids.map((callId, call) => ({
        callId,
        events: [0, 1, 2].map((index) => ({ type: 'user_spoke', at, data: { call, index } })),
      })),
      // A second batch of the first call: after its first, in array order.
      { callId: ids[0]!, events: [{ type: 'agent_spoke', at, data: { index: 3 } }] },
    ]);
    expect(counted.transactions).toBe(1);
    expect(counted.statements).toEqual(['RawNode', 'InsertQueryNode']); // no key: no select
    const first = await events.list(ids[0]!);
    expect(first.map((e) => [e.seq, e.type, e.data.index])).toEqual([
      [1, 'call_started', undefined],
      [2, 'user_spoke', 0],
      [3, 'user_spoke', 1],
      [4, 'user_spoke', 2],
      [5, 'agent_spoke', 3],
    ]);
    for (const [call, callId] of ids.entries()) {
      if (call === 0) continue;
      const log = await events.list(callId);
      expect(log.map((e) => [e.seq, e.data.call, e.data.index])).toEqual([
        [1, call, 0],
        [2, call, 1],
        [3, call, 2],
      ]);
    }
  });

  it('skips keys already stored or repeated in the batch, leaving no gap, with one key lookup', async () => {
    const counted = countQueries(database.db);
    const repo = new CallEventRepository(counted.db);
    const a = await calls.create({ provider: 'twilio', direction: 'inbound' });
    const b = await calls.create({ provider: 'twilio', direction: 'inbound' });
    const at = new Date();
    await repo.append(a.id, [{ key: 'a:1', type: 'call_started', at }]);
    counted.reset();
    await repo.appendMany([
      {
        callId: a.id,
        events: [
          { key: 'a:1', type: 'call_started', at },
          { key: 'a:2', type: 'user_spoke', at },
        ],
      },
      { callId: b.id, events: [{ key: 'b:1', type: 'call_started', at }] },
      {
        callId: b.id,
        events: [
          { key: 'b:1', type: 'call_started', at },
          { key: 'b:2', type: 'user_spoke', at },
        ],
      },
    ]);
    expect(counted.statements).toEqual(['SelectQueryNode', 'RawNode', 'InsertQueryNode']);
    expect((await events.list(a.id)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'call_started'],
      [2, 'user_spoke'],
    ]);
    expect((await events.list(b.id)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'call_started'],
      [2, 'user_spoke'],
    ]);
    // All stored already: nothing to number, so not even a missing call is noticed.
    counted.reset();
    await repo.appendMany([{ callId: a.id, events: [{ key: 'a:2', type: 'user_spoke', at }] }]);
    expect(counted.statements).toEqual(['SelectQueryNode']);
  });

  it('stores nothing of a batch with an unknown call, naming that call', async () => {
    const call = await calls.create({ provider: 'twilio', direction: 'inbound' });
    const gone = '00000000-0000-4000-8000-00000000000a';
    const event = { type: 'user_spoke', at: new Date() };
    const refused = events.appendMany([
      { callId: call.id, events: [event] },
      { callId: gone, events: [event] },
    ]);
    await expect(refused).rejects.toThrow(CallNotFoundError);
    await expect(refused).rejects.toMatchObject({ callId: gone });
    await expect(
      events.appendMany([
        { callId: call.id, events: [event] },
        { callId: 'nope', events: [] },
      ]),
    ).rejects.toMatchObject({ name: 'CallNotFoundError', callId: 'nope' });
    expect(await events.list(call.id)).toEqual([]);
    // The call's counter was rolled back with the rest: its first event is still seq 1.
    const [first] = await events.append(call.id, [event]);
    expect(first?.seq).toBe(1);
  });

  it('numbers concurrent batches over the same calls in any order without gaps or deadlock', async () => {
    const ids = await Promise.all(
      Array.from(
        { length: 8 },
        async () => (await calls.create({ provider: 'twilio', direction: 'inbound' })).id,
      ),
    );
    // Enough other calls that PostgreSQL looks each call up by index in the order given (a
    // sequential scan would lock them in table order anyway); removed after.
    await sql`insert into calls (provider, direction, status) select 'filler', 'inbound', 'completed' from generate_series(1, 5000)`.execute(
      database.db,
    );
    await sql`analyze calls`.execute(database.db);
    const at = new Date();
    // Each batch names the calls in a different order; on PostgreSQL they run at the same time.
    await Promise.all(
      Array.from({ length: 10 }, (_, batch) => {
        const order = batch % 2 === 0 ? ids : [...ids].reverse();
        const rotated = [...order.slice(batch % ids.length), ...order.slice(0, batch % ids.length)];
        return events.appendMany(
          rotated.map((callId) => ({
            callId,
            events: [0, 1].map((index) => ({ type: 'x', at, data: { batch, index } })),
          })),
        );
      }),
    );
    for (const callId of ids) {
      const log = await events.list(callId);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      // Each batch's two events are contiguous, in order.
      for (let i = 0; i < log.length; i += 2) {
        expect([log[i]!.data, log[i + 1]!.data]).toEqual([
          { batch: log[i]!.data.batch, index: 0 },
          { batch: log[i]!.data.batch, index: 1 },
        ]);
      }
    }
    await database.db.deleteFrom('calls').where('provider', '=', 'filler').execute();
  });

  it('deletes a call’s events with the call', async () => {
    const call = await calls.create({ provider: 'twilio', direction: 'inbound' });
    await events.append(call.id, [{ type: 'call_started', at: new Date() }]);
    await database.db.deleteFrom('calls').where('id', '=', call.id).execute();
    expect(await events.list(call.id)).toEqual([]);
  });
});
