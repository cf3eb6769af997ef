import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../src/auth/csrf.ts';
import { SESSION_COOKIE, sessionCookieOptions } from '../src/auth/sessions.ts';
import { createUser, postLogin, type SignedIn, signIn } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const ALICE_PASSWORD = 'alice-correct-horse';
const BOB_PASSWORD = 'bob-battery-staple';
const MINUTE = 60_000;

/** The server's auth clock, moved by the tests. */
let nowMs = Date.parse('2030-01-01T09:00:00Z');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(
    () => noServices,
    { SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '2' },
    { authClock: () => new Date(nowMs) },
  );
  await createUser(server.database, 'alice', 'editor', ALICE_PASSWORD);
  await createUser(server.database, 'bob', 'viewer', BOB_PASSWORD);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const agentBody = {
  name: 'Session agent',
  config: {
    prompt: 'Hi.',
    stt: { provider: 'fake' },
    tts: { provider: 'fake' },
    llm: { provider: 'openai' },
  },
};

function me(session: SignedIn) {
  return server.parley.app.inject({ url: '/api/auth/me', headers: { cookie: session.cookie } });
}

function putAgent(id: string, headers: Record<string, string>) {
  return server.parley.app.inject({
    method: 'PUT',
    url: `/api/agents/${id}`,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify(agentBody),
  });
}

describe('signing in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and answers the user and a CSRF token', async () => {
    const res = await postLogin(server.parley.app, 'Alice', ALICE_PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ user: Record<string, unknown>; csrfToken: string; expiresAt: string }>();
    expect(body.user).toMatchObject({ username: 'alice', role: 'editor' });
    expect(Object.keys(body.user).sort()).toEqual(['createdAt', 'id', 'role', 'updatedAt', 'username']);
    expect(body.csrfToken).toMatch(/\S{20,}/);
    expect(Date.parse(body.expiresAt)).toBe(nowMs + 2 * 60 * MINUTE);

    const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.value).toMatch(/^[\w-]{43}$/);
    // Over plain http, with no https PUBLIC_URL, the cookie cannot be Secure or browsers would drop it.
    expect(cookie?.secure).toBeFalsy();
    // The database keeps a hash of the session id, never the id.
    const rows = await server.database.db.selectFrom('login_sessions').select('id_hash').execute();
    expect(rows.map((r) => r.id_hash)).not.toContain(cookie?.value);
  });

  it('knows the signed-in user at GET /api/auth/me', async () => {
    const session = await signIn(server.parley.app, 'alice', ALICE_PASSWORD);
    const res = await me(session);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      principal: { type: 'user', name: 'alice', role: 'editor' },
      csrfToken: expect.any(String),
    });
  });

  it('answers a wrong password and an unknown user alike, with no cookie', async () => {
    const wrong = await postLogin(server.parley.app, 'alice', 'not-her-password');
    const unknown = await postLogin(server.parley.app, 'mallory', 'whatever-password');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: { code: 'invalid_credentials', message: 'Wrong username or password' },
      });
      expect(res.cookies).toEqual([]);
    }
  });

  it('refuses credentials sent as a form, as a cross-site HTML form would send them', async () => {
    const res = await server.parley.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=alice&password=${ALICE_PASSWORD}`,
    });
    expect(res.statusCode).toBe(415);
    expect(res.cookies).toEqual([]);
  });

  it('marks the cookie Secure over https or with an https PUBLIC_URL', () => {
    const request = (protocol: 'http' | 'https') => ({ protocol }) as FastifyRequest;
    expect(sessionCookieOptions(request('https'), undefined).secure).toBe(true);
    expect(sessionCookieOptions(request('http'), 'https://voice.example.com').secure).toBe(true);
    expect(sessionCookieOptions(request('http'), 'http://127.0.0.1:8080').secure).toBe(false);
  });
});

describe('signing out', () => {
  it('ends the session: the cookie is cleared and opens nothing any more', async () => {
    const session = await signIn(server.parley.app, 'alice', ALICE_PASSWORD);
    const res = await server.parley.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie: session.cookie, [CSRF_HEADER]: session.csrfToken },
    });
    expect(res.statusCode).toBe(204);
    const cleared = res.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cleared?.value).toBe('');
    expect(cleared?.expires?.getTime()).toBeLessThan(Date.now());

    const after = await me(session);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: { code: 'session_expired' } });
  });
});

describe('CSRF', () => {
  it('refuses a cookie-authenticated write without the CSRF token, and accepts it with the token', async () => {
    const session = await signIn(server.parley.app, 'alice', ALICE_PASSWORD);
    const other = await signIn(server.parley.app, 'bob', BOB_PASSWORD);

    const missing = await putAgent('csrf-agent', { cookie: session.cookie });
    expect(missing.statusCode).toBe(403);
    expect(missing.json()).toMatchObject({ error: { code: 'csrf_failed' } });
    // Another session's token is no proof either.
    const foreign = await putAgent('csrf-agent', { cookie: session.cookie, [CSRF_HEADER]: other.csrfToken });
    expect(foreign.statusCode).toBe(403);
    const forged = await putAgent('csrf-agent', { cookie: session.cookie, [CSRF_HEADER]: 'forged-token' });
    expect(forged.statusCode).toBe(403);
    expect(await server.parley.agents.get('csrf-agent')).toBeUndefined();

    const accepted = await putAgent('csrf-agent', {
      cookie: session.cookie,
      [CSRF_HEADER]: session.csrfToken,
    });
    expect(accepted.statusCode).toBe(201);
    // The token from /me works too (the dashboard reads it after a reload).
    const fromMe = (await me(session)).json<{ csrfToken: string }>().csrfToken;
    const again = await putAgent('csrf-agent', { cookie: session.cookie, [CSRF_HEADER]: fromMe });
    expect(again.statusCode).toBe(200);
  });

  it('needs no token for reads, nor for requests authenticated by an API key', async () => {
    const session = await signIn(server.parley.app, 'alice', ALICE_PASSWORD);
    const read = await server.parley.app.inject({ url: '/api/agents', headers: { cookie: session.cookie } });
    expect(read.statusCode).toBe(200);
    expect((await putAgent('key-agent', server.adminHeaders)).statusCode).toBe(201);
  });
});

describe('session expiry', () => {
  it('ends a session left idle longer than SESSION_IDLE_MINUTES, and keeps a used one', async () => {
    const session = await signIn(server.parley.app, 'alice', ALICE_PASSWORD);
    nowMs += 29 * MINUTE;
    expect((await me(session)).statusCode).toBe(200);
    nowMs += 29 * MINUTE; // 58 minutes after sign-in, 29 after the last request
    expect((await me(session)).statusCode).toBe(200);
    nowMs += 31 * MINUTE;
    const expired = await me(session);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ error: { code: 'session_expired' } });
    expect(expired.cookies.find((c) => c.name === SESSION_COOKIE)?.value).toBe('');
    // Ended for good: going back in time does not revive it.
    nowMs -= 31 * MINUTE;
    expect((await me(session)).statusCode).toBe(401);
  });

  it('ends a session SESSION_MAX_HOURS after sign-in, however busy', async () => {
    const session = await signIn(server.parley.app, 'alice', ALICE_PASSWORD);
    for (let minutes = 20; minutes < 120; minutes += 20) {
      nowMs += 20 * MINUTE;
      expect((await me(session)).statusCode, `${minutes} minutes in`).toBe(200);
    }
    nowMs += 21 * MINUTE; // 121 minutes
    expect((await me(session)).statusCode).toBe(401);
  });
});

describe('sign-in rate limits', () => {
  it('refuses a source address that tries too often (429), whatever the username', async () => {
    const address = '192.0.2.77';
    // Every attempt counts, even one the server refuses before checking a password.
    for (let i = 0; i < 20; i++) {
      const res = await server.parley.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: address,
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(res.statusCode).toBe(400);
    }
    const right = await postLogin(server.parley.app, 'alice', ALICE_PASSWORD, address);
    expect(right.statusCode).toBe(429);
    expect(right.json()).toMatchObject({ error: { code: 'too_many_requests' } });
    expect(right.cookies).toEqual([]);
    // Another address is not affected.
    expect((await postLogin(server.parley.app, 'alice', ALICE_PASSWORD)).statusCode).toBe(200);
  });

  it('locks a username after 10 failed attempts from anywhere, even with the right password next', async () => {
    await createUser(server.database, 'carol', 'viewer', 'carol-right-password');
    for (let i = 0; i < 10; i++) {
      expect((await postLogin(server.parley.app, 'carol', `wrong-${i}-password`)).statusCode).toBe(401);
    }
    const locked = await postLogin(server.parley.app, 'carol', 'carol-right-password');
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.cookies).toEqual([]);
    // Other users still sign in.
    expect((await postLogin(server.parley.app, 'bob', BOB_PASSWORD)).statusCode).toBe(200);
  });

  it('starts the failure count again after a successful sign-in', async () => {
    await createUser(server.database, 'dave', 'viewer', 'dave-right-password');
    for (let i = 0; i < 9; i++) {
      expect((await postLogin(server.parley.app, 'dave', 'wrong-password')).statusCode).toBe(401);
    }
    expect((await postLogin(server.parley.app, 'dave', 'dave-right-password')).statusCode).toBe(200);
    // A tenth failure in a row would lock dave; after the success it is the first.
    expect((await postLogin(server.parley.app, 'dave', 'wrong-password')).statusCode).toBe(401);
    expect((await postLogin(server.parley.app, 'dave', 'dave-right-password')).statusCode).toBe(200);
  });
});
