import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OpenAILLMService } from '@parley/services';
import { FakeSTTService, FakeTTSService } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { createSessionStore } from '../src/sessions/index.ts';
import { dialTwilio } from './helpers/answer.ts';
import {
  api,
  GREETING_AGENT,
  putAgent,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

/** A loopback webhook receiver that answers 200 after `holdMs`, noting when each request came and was answered. */
async function slowReceiver() {
  const state = { holdMs: 0, requests: [] as Array<{ body: string; answeredAt?: number }> };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: { body: string; answeredAt?: number } = { body: Buffer.concat(chunks).toString() };
      state.requests.push(request);
      setTimeout(() => {
        request.answeredAt = Date.now();
        res.writeHead(200).end();
      }, state.holdMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks/call-ended`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('post-call work across a stop or a crash', () => {
  let server: TelephonyTestServer;
  let receiver: Awaited<ReturnType<typeof slowReceiver>>;

  beforeAll(async () => {
    receiver = await slowReceiver();
    server = await startTelephonyTestServer({
      EGRESS_ALLOW: `127.0.0.1:${receiver.port}`,
      LOG_LEVEL: 'silent',
    });
    const cred = await api(server, 'POST', '/api/credentials', {
      name: 'hook-secret',
      kind: 'generic',
      value: { secret: 'whsec-durable' },
      destination: receiver.url,
    });
    expect(cred.status, JSON.stringify(cred.body)).toBe(201);
    await putAgent(server, 'hooked', {
      ...GREETING_AGENT,
      greeting: 'Hello, this is Parley.',
      postCall: { webhook: { url: receiver.url, secretCredential: 'hook-secret' } },
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), receiver?.close()]);
  });

  /** Plays an inbound call on `hooked` until its greeting was spoken, then hangs up; returns its id. */
  async function playCall(): Promise<string> {
    const sim = await dialTwilio(server, 'hooked');
    await sim.connect();
    sim.start();
    let callId = '';
    await expect
      .poll(
        async () => {
          const { calls } = await server.parley.calls.list({ limit: 1 });
          callId = calls[0]?.id ?? '';
          const events = callId ? await server.parley.events.list(callId) : [];
          return events.some((e) => e.type === 'agent_spoke');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    sim.hangUp();
    await sim.closed();
    return callId;
  }

  const eventsOf = async (callId: string, type: string) =>
    (await server.parley.events.list(callId)).filter((e) => e.type === type);

  it('runs the post-call work a crash left due, once, when the server starts again', async () => {
    const callId = await playCall();
    await expect
      .poll(async () => (await eventsOf(callId, 'webhook_delivered')).length, { timeout: 15_000 })
      .toBe(1);
    const delivered = receiver.state.requests.length;

    // Another process on the same database, whose journal says this call's work was due and never done.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-restart-'));
    await mkdir(path.join(dataDir, 'journal'), { recursive: true });
    await writeFile(
      path.join(dataDir, 'journal', 'post-call.jsonl'),
      `${JSON.stringify({ kind: 'post_call_due', callId })}\n`,
    );
    const sessions = createSessionStore();
    const restarted = await buildApp({
      config: { ...server.config, dataDir },
      database: server.database,
      sessions,
      credentials: server.parley.credentials,
      services: () => ({
        stt: new FakeSTTService(),
        llm: new OpenAILLMService({ apiKey: 'test', baseUrl: server.llm.url }),
        tts: new FakeTTSService(),
        problems: [],
      }),
    });
    try {
      await expect
        .poll(async () => (await eventsOf(callId, 'webhook_delivered')).length, { timeout: 15_000 })
        .toBe(2);
      const again = (await eventsOf(callId, 'webhook_delivered'))[1]!;
      expect(again.data).toMatchObject({ delivered: true, rerun: true });
      expect(receiver.state.requests).toHaveLength(delivered + 1);
      expect(JSON.parse(receiver.state.requests.at(-1)!.body)).toMatchObject({
        call: { id: callId, agentId: 'hooked', status: 'completed' },
      });
    } finally {
      await restarted.shutdown();
      await sessions.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  // Last: it stops the server.
  it('waits at a graceful stop for the end-of-call webhook under way', async () => {
    receiver.state.holdMs = 2000;
    const before = receiver.state.requests.length;
    const callId = await playCall();
    await expect.poll(() => receiver.state.requests.length, { timeout: 15_000 }).toBe(before + 1);
    await server.parley.shutdown();
    const request = receiver.state.requests.at(-1)!;
    expect(request.answeredAt).toBeTypeOf('number');
    // The outcome was stored before the stop finished (the database is still open here).
    const delivered = await eventsOf(callId, 'webhook_delivered');
    expect(delivered.map((e) => e.data.delivered)).toEqual([true]);
  }, 60_000);
});
