/**
 * The live monitor stops once the credential that opened it stops being valid: a stream of call
 * transcripts must not outlive a logout, a revoked key, a deleted user or an expired session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECHECK_MS } from '../src/auth/credential-watch.ts';
import { CSRF_HEADER } from '../src/auth/csrf.ts';
import { createUser, type SignedIn, signIn } from './helpers/auth.ts';
import { type LiveStreamReader, openLiveStream } from './helpers/live-stream.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
const MINUTE = 60_000;
/** Ended at once on this server: generous for a loaded machine, far below the 10-minute stream. */
const PROMPT_MS = 4000;
/** Ended by the periodic re-check: its interval plus a wide margin. */
const RECHECK_BOUND_MS = RECHECK_MS + 10_000;

/** The server's auth clock, moved by the expiry test. */
let nowMs = Date.parse('2030-01-01T09:00:00Z');
let server: TestServer;
const opened: LiveStreamReader[] = [];
let nextId = 1;

beforeAll(async () => {
  server = await startTestServer(
    () => noServices,
    { LOG_LEVEL: 'error', SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '2' },
    { authClock: () => new Date(nowMs) },
  );
}, 60_000);

afterAll(async () => {
  for (const stream of opened) stream.close();
  await server?.close();
});

async function open(headers: Record<string, string>): Promise<LiveStreamReader> {
  const stream = await openLiveStream(server.url, headers);
  opened.push(stream);
  expect(stream.status).toBe(200);
  await stream.waitFor((m) => m.kind === 'snapshot');
  return stream;
}

/** A new viewer, signed in. */
async function user(): Promise<{ id: string; username: string } & SignedIn> {
  const username = `watcher-${nextId++}`;
  const created = await createUser(server.database, username, 'viewer', PASSWORD);
  return { id: created.id, username, ...(await signIn(server.parley.app, username, PASSWORD)) };
}

async function expectEnded(stream: LiveStreamReader, timeoutMs: number): Promise<void> {
  await expect.poll(() => stream.ended, { timeout: timeoutMs, interval: 50 }).toBe(true);
}

/** Publishes a call start and checks that `stream` still delivers it. */
async function expectStillLive(stream: LiveStreamReader): Promise<void> {
  const id = `still-live-${nextId++}`;
  server.parley.live.callStarted({
    id,
    agentId: 'demo',
    agentName: 'Demo agent',
    provider: 'twilio',
    direction: 'inbound',
    from: '+15551230000',
    to: '+15557654321',
    startedAt: new Date().toISOString(),
  });
  await stream.waitFor((m) => m.kind === 'call_started' && m.call.id === id, 10_000);
  server.parley.live.callEnded(id);
  expect(stream.ended).toBe(false);
}

describe('the live monitor, once its credential ends', () => {
  it('ends a session stream at logout, and the cookie opens no new one; other streams go on', async () => {
    const alice = await user();
    const bob = await user();
    const aliceStream = await open({ cookie: alice.cookie });
    const bobStream = await open({ cookie: bob.cookie });
    const keyStream = await open(server.adminHeaders);

    const logout = await server.parley.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie: alice.cookie, [CSRF_HEADER]: alice.csrfToken },
    });
    expect(logout.statusCode).toBe(204);
    await expectEnded(aliceStream, PROMPT_MS);

    const again = await openLiveStream(server.url, { cookie: alice.cookie });
    expect(again.status).toBe(401);
    await expectStillLive(bobStream);
    await expectStillLive(keyStream);
  }, 60_000);

  it('ends an API key stream when the key is revoked; another key goes on', async () => {
    const created = await server.parley.app.inject({
      method: 'POST',
      url: '/api/api-keys',
      headers: { ...server.adminHeaders, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'monitor script', role: 'viewer' }),
    });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json<{ id: string; key: string }>();
    const stream = await open({ authorization: `Bearer ${key}` });
    const other = await open(server.adminHeaders);

    const revoked = await server.parley.app.inject({
      method: 'DELETE',
      url: `/api/api-keys/${id}`,
      headers: server.adminHeaders,
    });
    expect(revoked.statusCode).toBe(204);
    await expectEnded(stream, PROMPT_MS);
    await expectStillLive(other);
  }, 60_000);

  it("ends a deleted user's streams, and those of sessions a password change ended", async () => {
    const carol = await user();
    const carolStream = await open({ cookie: carol.cookie });
    const deleted = await server.parley.app.inject({
      method: 'DELETE',
      url: `/api/users/${carol.id}`,
      headers: server.adminHeaders,
    });
    expect(deleted.statusCode).toBe(204);
    await expectEnded(carolStream, PROMPT_MS);

    const dave = await user();
    const laptop = await signIn(server.parley.app, dave.username, PASSWORD);
    const phoneStream = await open({ cookie: dave.cookie });
    const laptopStream = await open({ cookie: laptop.cookie });
    const changed = await server.parley.app.inject({
      method: 'PUT',
      url: '/api/auth/password',
      headers: { cookie: laptop.cookie, [CSRF_HEADER]: laptop.csrfToken, 'content-type': 'application/json' },
      payload: JSON.stringify({ currentPassword: PASSWORD, newPassword: 'another-long-password' }),
    });
    expect(changed.statusCode).toBe(204);
    await expectEnded(phoneStream, PROMPT_MS);
    await expectStillLive(laptopStream); // the session that changed the password is kept
  }, 60_000);

  it('ends a stream whose session another server process ended (found by the re-check)', async () => {
    const erin = await user();
    const stream = await open({ cookie: erin.cookie });
    const bystander = await open(server.adminHeaders);
    // What a logout on another process sharing the database leaves: the row is gone, no signal here.
    await server.database.db.deleteFrom('login_sessions').where('user_id', '=', erin.id).execute();
    await expectEnded(stream, RECHECK_BOUND_MS);
    await expectStillLive(bystander);
  }, 60_000);

  // Last: moving the clock past the idle timeout expires every session of this file.
  it('ends a session stream once the session expires without activity', async () => {
    const frank = await user();
    const stream = await open({ cookie: frank.cookie });
    const bystander = await open(server.adminHeaders);
    nowMs += 29 * MINUTE;
    // Still within the idle timeout: a re-check must leave it open.
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS + 1000));
    expect(stream.ended).toBe(false);
    nowMs += 2 * MINUTE;
    await expectEnded(stream, RECHECK_BOUND_MS);
    await expectStillLive(bystander);
  }, 60_000);
});
