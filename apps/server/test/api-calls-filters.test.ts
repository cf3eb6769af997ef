import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRepository } from '../src/db/agents.ts';
import { CallEventRepository } from '../src/db/call-events.ts';
import type { CallDirection } from '../src/db/call-types.ts';
import { CallRepository } from '../src/db/calls.ts';
import type { Database } from '../src/db/database.ts';
import { RecordingStore } from '../src/recordings/store.ts';
import { apiCallsRoutes } from '../src/routes/api-calls.ts';
import { installErrorHandling } from '../src/routes/errors.ts';
import { openTestDatabase } from './helpers/db.ts';

interface CallListBody {
  calls: {
    id: string;
    from: string | null;
    to: string | null;
    direction: CallDirection;
    createdAt: string;
  }[];
  total: number;
}

let database: Database;
let app: FastifyInstance;
let dir: string;
/** Call ids by name, see `beforeAll`. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  database = await openTestDatabase();
  const calls = new CallRepository(database.db);
  dir = await mkdtemp(path.join(tmpdir(), 'parley-api-calls-filters-'));
  await new AgentRepository(database.db).upsert({
    id: 'gamma',
    name: 'gamma',
    config: {
      prompt: 'Hi.',
      stt: { provider: 'fake' },
      tts: { provider: 'fake' },
      llm: { provider: 'openai' },
    },
  });
  const made: [string, CallDirection, string | null, string | null, string][] = [
    ['early', 'inbound', '+15551230001', '+15559990000', '2026-03-01T09:00:00Z'],
    ['middle', 'outbound', '+15559990000', '+442071234567', '2026-03-02T12:00:00Z'],
    ['late', 'inbound', '+4420_7000', '+15559990000', '2026-03-03T23:30:00Z'],
    ['anonymous', 'inbound', null, null, '2026-03-03T08:00:00Z'],
  ];
  for (const [name, direction, from, to, createdAt] of made) {
    const call = await calls.create({ agentId: 'gamma', provider: 'twilio', direction, from, to });
    await database.db
      .updateTable('calls')
      .set({ created_at: new Date(createdAt) })
      .where('id', '=', call.id)
      .execute();
    ids[name] = call.id;
  }
  app = Fastify({ logger: false });
  installErrorHandling(app);
  await app.register(
    apiCallsRoutes({
      calls,
      events: new CallEventRepository(database.db),
      recordings: new RecordingStore(path.join(dir, 'recordings')),
    }),
  );
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The names of the calls `query` lists, newest first, after checking `total` agrees. */
async function names(query: string): Promise<string[]> {
  const response = await app.inject({ url: `/api/calls?agentId=gamma&${query}` });
  expect(response.statusCode, query).toBe(200);
  const body = response.json<CallListBody>();
  expect(body.total, query).toBe(body.calls.length);
  const byId = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
  return body.calls.map((c) => byId[c.id] ?? c.id);
}

describe('GET /api/calls filters', () => {
  it('filters by direction', async () => {
    expect(await names('direction=outbound')).toEqual(['middle']);
    expect(await names('direction=inbound')).toEqual(['late', 'anonymous', 'early']);
  });

  it('filters by creation time: from inclusive, to exclusive, dates or date-times', async () => {
    expect(await names('from=2026-03-02T12:00:00Z')).toEqual(['late', 'anonymous', 'middle']);
    expect(await names('to=2026-03-02T12:00:00Z')).toEqual(['early']);
    expect(await names('from=2026-03-02&to=2026-03-03')).toEqual(['middle']);
    expect(await names(`from=${encodeURIComponent('2026-03-03T09:00:00+01:00')}`)).toEqual([
      'late',
      'anonymous',
    ]);
  });

  it('matches a number as caller or callee, exactly or by prefix', async () => {
    expect(await names(`number=${encodeURIComponent('+15559990000')}`)).toEqual(['late', 'middle', 'early']);
    // Exact means exact: a prefix without * matches nothing.
    expect(await names(`number=${encodeURIComponent('+1555999')}`)).toEqual([]);
    expect(await names(`number=${encodeURIComponent('+44*')}`)).toEqual(['late', 'middle']);
    expect(await names(`number=${encodeURIComponent('+1555123*')}`)).toEqual(['early']);
    // LIKE wildcards in the number are taken literally.
    expect(await names(`number=${encodeURIComponent('+4420_*')}`)).toEqual(['late']);
    expect(await names(`number=${encodeURIComponent('+442_*')}`)).toEqual([]);
  });

  it('combines filters with each other and with paging', async () => {
    expect(await names(`direction=inbound&number=${encodeURIComponent('+1555*')}&from=2026-03-02`)).toEqual([
      'late',
    ]);
    const page = (
      await app.inject({ url: '/api/calls?agentId=gamma&direction=inbound&limit=1&offset=1' })
    ).json<CallListBody>();
    expect(page.total).toBe(3);
    expect(page.calls.map((c) => c.id)).toEqual([ids.anonymous]);
  });

  it('answers 400 naming the parameter for a bad direction, date, range or number', async () => {
    for (const [query, field] of [
      ['direction=sideways', 'direction'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01', 'to'],
      ['from=2026-03-02T10:00:00', 'from'],
      ['from=2026-03-03&to=2026-03-02', 'to'],
      ['from=2026-03-03&to=2026-03-03', 'to'],
      ['number=', 'number'],
      [`number=${encodeURIComponent('+1555%')}`, 'number'],
      [`number=${encodeURIComponent('*')}`, 'number'],
      [`number=${'1'.repeat(65)}`, 'number'],
    ] as const) {
      const response = await app.inject({ url: `/api/calls?${query}` });
      expect(response.statusCode, query).toBe(400);
      const body = response.json<{ error: { code: string; issues: string[] } }>();
      expect(body.error.code, query).toBe('invalid_query');
      expect(
        body.error.issues.some((issue) => issue.startsWith(`${field}: `)),
        `${query}: ${body.error.issues.join('; ')}`,
      ).toBe(true);
    }
  });
});
