import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRepository } from '../src/db/agents.ts';
import { CallEventRepository } from '../src/db/call-events.ts';
import type { CallStatus, TranscriptEntry } from '../src/db/call-types.ts';
import { CallRepository } from '../src/db/calls.ts';
import type { Database } from '../src/db/database.ts';
import { RecordingStore } from '../src/recordings/store.ts';
import { apiCallsRoutes } from '../src/routes/api-calls.ts';
import { installErrorHandling } from '../src/routes/errors.ts';
import { openTestDatabase } from './helpers/db.ts';

const agentConfig = {
  prompt: 'You are helpful.',
  stt: { provider: 'fake' },
  tts: { provider: 'fake' },
  llm: { provider: 'openai' },
} as const;

/** A mono 16-bit PCM WAV file of `samples` samples at 8 kHz (a ramp, so byte ranges differ). */
function wav(samples: number): Buffer {
  const dataBytes = samples * 2;
  const buffer = Buffer.alloc(44 + dataBytes);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + dataBytes, 4);
  buffer.write('WAVEfmt ', 8, 'ascii');
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(8000, 24);
  buffer.writeUInt32LE(16000, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples; i++) buffer.writeInt16LE((i * 37) % 32768, 44 + i * 2);
  return buffer;
}

interface CallListBody {
  calls: { id: string; agentId: string | null; status: CallStatus; transcript?: unknown }[];
  total: number;
  limit: number;
  offset: number;
}

let database: Database;
let calls: CallRepository;
let events: CallEventRepository;
let recordings: RecordingStore;
let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  database = await openTestDatabase();
  calls = new CallRepository(database.db);
  events = new CallEventRepository(database.db);
  dir = await mkdtemp(path.join(tmpdir(), 'parley-api-calls-'));
  recordings = new RecordingStore(path.join(dir, 'recordings'));
  const agents = new AgentRepository(database.db);
  for (const id of ['alpha', 'beta']) await agents.upsert({ id, name: id, config: agentConfig });

  app = Fastify({ logger: false });
  installErrorHandling(app);
  await app.register(apiCallsRoutes({ calls, events, recordings }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('GET /api/calls', () => {
  let alphaIds: string[];

  beforeAll(async () => {
    alphaIds = [];
    const statuses: CallStatus[] = ['ringing', 'in_progress', 'completed', 'completed', 'failed'];
    for (const status of statuses) {
      const call = await calls.create({ agentId: 'alpha', provider: 'twilio', direction: 'inbound', status });
      alphaIds.push(call.id);
    }
    await calls.create({ agentId: 'beta', provider: 'twilio', direction: 'outbound', status: 'completed' });
  });

  it('pages through calls newest first with total, limit and offset', async () => {
    const all = (await app.inject({ url: '/api/calls?agentId=alpha&limit=500' })).json<CallListBody>();
    expect(all.total).toBe(5);
    expect(all.calls.map((c) => c.id).sort()).toEqual([...alphaIds].sort());

    const first = await app.inject({ url: '/api/calls?agentId=alpha&limit=2' });
    expect(first.statusCode).toBe(200);
    const firstPage = first.json<CallListBody>();
    expect(firstPage).toMatchObject({ total: 5, limit: 2, offset: 0 });
    const second = (
      await app.inject({ url: '/api/calls?agentId=alpha&limit=2&offset=2' })
    ).json<CallListBody>();
    expect(second).toMatchObject({ total: 5, limit: 2, offset: 2 });
    expect([...firstPage.calls, ...second.calls].map((c) => c.id)).toEqual(
      all.calls.slice(0, 4).map((c) => c.id),
    );
    // Listings leave transcripts out.
    expect(firstPage.calls[0]).not.toHaveProperty('transcript');
  });

  it('defaults to 50 calls from offset 0', async () => {
    const body = (await app.inject({ url: '/api/calls' })).json<CallListBody>();
    expect(body).toMatchObject({ limit: 50, offset: 0 });
    expect(body.total).toBeGreaterThanOrEqual(6);
  });

  it('filters by agent and by status', async () => {
    const beta = (await app.inject({ url: '/api/calls?agentId=beta' })).json<CallListBody>();
    expect(beta.total).toBe(1);
    expect(beta.calls.every((c) => c.agentId === 'beta')).toBe(true);

    const completed = (
      await app.inject({ url: '/api/calls?agentId=alpha&status=completed' })
    ).json<CallListBody>();
    expect(completed.total).toBe(2);
    expect(completed.calls.every((c) => c.status === 'completed')).toBe(true);
  });

  it('answers 400 with the issues for an invalid or unknown query parameter', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=1.5', 'offset'],
      ['status=lost', 'status'],
      ['agent_id=alpha', '(root)'],
    ] as const) {
      const response = await app.inject({ url: `/api/calls?${query}` });
      expect(response.statusCode, query).toBe(400);
      const body = response.json<{ error: { code: string; message: string; issues: string[] } }>();
      expect(body.error.code).toBe('invalid_query');
      expect(body.error.message).toBeTypeOf('string');
      expect(
        body.error.issues.some((issue) => issue.startsWith(`${field}:`)),
        query,
      ).toBe(true);
    }
  });
});

describe('GET /api/calls/:id', () => {
  it('returns the call with its transcript and its events in order', async () => {
    const call = await calls.create({ agentId: 'alpha', provider: 'twilio', direction: 'inbound' });
    const t0 = new Date('2025-03-01T10:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await events.append(call.id, [
      { type: 'call_started', at: at(0), data: { streamId: 'MZ1' } },
      { type: 'agent_spoke', at: at(500), data: { text: 'Hello!' } },
    ]);
    await events.append(call.id, [
      { type: 'user_spoke', at: at(2000), data: { text: 'Hi there' } },
      { type: 'call_ended', at: at(4000) },
    ]);
    const transcript: TranscriptEntry[] = [
      { role: 'assistant', text: 'Hello!', atMs: 500 },
      { role: 'user', text: 'Hi there', atMs: 2000 },
    ];
    await calls.finish(call.id, {
      status: 'completed',
      endedAt: at(4000),
      transcript,
      endReason: 'caller_hung_up',
    });

    const response = await app.inject({ url: `/api/calls/${call.id}` });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      id: string;
      status: string;
      endReason: string;
      endedAt: string;
      transcript: TranscriptEntry[];
      events: { seq: number; type: string; at: string; data: Record<string, unknown> }[];
    }>();
    expect(body).toMatchObject({ id: call.id, status: 'completed', endReason: 'caller_hung_up' });
    expect(body.endedAt).toBe(at(4000).toISOString());
    expect(body.transcript).toEqual(transcript);
    expect(body.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'call_started'],
      [2, 'agent_spoke'],
      [3, 'user_spoke'],
      [4, 'call_ended'],
    ]);
    expect(body.events[2]).toMatchObject({ at: at(2000).toISOString(), data: { text: 'Hi there' } });
  });

  it('answers 404 JSON for an unknown id and for an id that is not a UUID', async () => {
    for (const id of ['6d7f3a52-0e0b-4c6b-9d5e-0f1d2c3b4a59', 'not-a-uuid', '..%2F..%2Fetc']) {
      const response = await app.inject({ url: `/api/calls/${id}` });
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'call_not_found' } });
    }
  });
});

describe('GET /api/calls/:id/recording', () => {
  const audio = wav(4000); // 8044 bytes
  let callId: string;

  beforeAll(async () => {
    const call = await calls.create({ agentId: 'alpha', provider: 'twilio', direction: 'inbound' });
    callId = call.id;
    const file = recordings.pathFor(call.id, new Date());
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, audio);
    await calls.saveArtifacts(call.id, { recordingPath: recordings.toStoredPath(file) });
  });

  it('serves the WAV as audio/wav, advertising byte ranges', async () => {
    const response = await app.inject({ url: `/api/calls/${callId}/recording` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('audio/wav');
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers['content-length']).toBe(String(audio.length));
    expect(response.rawPayload.equals(audio)).toBe(true);
  });

  it('answers a Range request with 206 and exactly the requested bytes', async () => {
    const response = await app.inject({
      url: `/api/calls/${callId}/recording`,
      headers: { range: 'bytes=44-1043' },
    });
    expect(response.statusCode).toBe(206);
    expect(response.headers['content-type']).toBe('audio/wav');
    expect(response.headers['content-range']).toBe(`bytes 44-1043/${audio.length}`);
    expect(response.rawPayload.equals(audio.subarray(44, 1044))).toBe(true);

    // An open-ended range, as <audio> sends when seeking.
    const tail = await app.inject({
      url: `/api/calls/${callId}/recording`,
      headers: { range: 'bytes=8000-' },
    });
    expect(tail.statusCode).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes 8000-${audio.length - 1}/${audio.length}`);
    expect(tail.rawPayload.equals(audio.subarray(8000))).toBe(true);
  });

  it('answers 416 JSON with Content-Range for a range past the end', async () => {
    const response = await app.inject({
      url: `/api/calls/${callId}/recording`,
      headers: { range: 'bytes=90000-' },
    });
    expect(response.statusCode).toBe(416);
    expect(response.headers['content-range']).toBe(`bytes */${audio.length}`);
    expect(response.json()).toMatchObject({ error: { code: 'range_not_satisfiable' } });
  });

  it('answers HEAD with the headers only', async () => {
    const response = await app.inject({ method: 'HEAD', url: `/api/calls/${callId}/recording` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe(String(audio.length));
    expect(response.rawPayload.length).toBe(0);
  });

  it('serves a recording whose path was stored relative to the working directory', async () => {
    const call = await calls.create({ agentId: 'alpha', provider: 'twilio', direction: 'inbound' });
    const file = recordings.pathFor(call.id, new Date());
    await writeFile(file, audio);
    await calls.saveArtifacts(call.id, { recordingPath: path.relative(process.cwd(), file) });
    const response = await app.inject({ url: `/api/calls/${call.id}/recording` });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(audio)).toBe(true);
  });

  it('answers 404 when the call has no recording, its file is gone, or the call is unknown', async () => {
    const bare = await calls.create({ agentId: 'alpha', provider: 'twilio', direction: 'inbound' });
    const none = await app.inject({ url: `/api/calls/${bare.id}/recording` });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ error: { code: 'recording_not_found' } });

    const gone = await calls.create({ agentId: 'alpha', provider: 'twilio', direction: 'inbound' });
    await calls.saveArtifacts(gone.id, {
      recordingPath: recordings.toStoredPath(recordings.pathFor(gone.id, new Date())),
    });
    const missing = await app.inject({ url: `/api/calls/${gone.id}/recording` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'recording_not_found' } });

    const unknown = await app.inject({ url: '/api/calls/6d7f3a52-0e0b-4c6b-9d5e-0f1d2c3b4a59/recording' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'call_not_found' } });
  });

  it('refuses a stored recording path that leads outside the recordings root', async () => {
    const secret = path.join(dir, 'secret.wav');
    await writeFile(secret, 'TOP SECRET');
    for (const stored of ['../secret.wav', secret, '2025/../../secret.wav', '/etc/passwd']) {
      const call = await calls.create({ agentId: 'alpha', provider: 'twilio', direction: 'inbound' });
      await calls.saveArtifacts(call.id, { recordingPath: stored });
      const response = await app.inject({ url: `/api/calls/${call.id}/recording` });
      expect(response.statusCode, stored).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).not.toContain('TOP SECRET');
      expect(response.body).not.toContain('root:');
    }
  });
});
