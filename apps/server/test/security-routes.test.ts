/**
 * An attacker's view of the API routes added with the live monitor, browser calls, agent
 * deletion, vendors and the telephony test: each has its owner, cookie writes need the CSRF
 * token, and bad input is a clear 4xx that changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.ts';
import { apiKeyHeaders, createUser, type SignedIn, signIn } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let admin: SignedIn;
let otherAdmin: SignedIn;
let keys: Record<Role, { authorization: string }>;

beforeAll(async () => {
  // Refusals are logged (info/warn): keep the output quiet.
  server = await startTestServer(() => noServices, { LOG_LEVEL: 'error' });
  await createUser(server.database, 'sec-admin', 'admin', 'sec-admin-password');
  await createUser(server.database, 'sec-admin-2', 'admin', 'sec-admin-2-password');
  admin = await signIn(server.parley.app, 'sec-admin', 'sec-admin-password');
  otherAdmin = await signIn(server.parley.app, 'sec-admin-2', 'sec-admin-2-password');
  keys = {
    viewer: await apiKeyHeaders(server.database, 'viewer'),
    editor: await apiKeyHeaders(server.database, 'editor'),
    admin: await apiKeyHeaders(server.database, 'admin'),
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** The routes added today and the least role each needs. */
const NEW_ROUTES: Record<string, Role> = {
  'GET /api/vendors': 'viewer',
  'DELETE /api/agents/:id': 'editor',
  'POST /api/telephony-settings/test': 'admin',
  'GET /api/live': 'viewer',
  'POST /api/calls/:id/end': 'editor',
  'POST /api/agents/:id/browser-call': 'editor',
};

function inject(method: string, url: string, headers: Record<string, string>, payload?: string) {
  return server.parley.app.inject({
    method: method as 'POST',
    url,
    headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload }),
  });
}

async function putTempAgent(id: string): Promise<void> {
  await server.parley.agents.upsert({
    id,
    name: id,
    config: {
      prompt: 'A throwaway agent.',
      stt: { provider: 'fake' },
      tts: { provider: 'fake' },
      llm: { provider: 'openai' },
    },
  });
}

describe('the new routes, attacked', () => {
  it('are each under the guard with the role they need (so the auth-access sweep covers them)', () => {
    const routes = server.parley.auth.routes();
    for (const [key, role] of Object.entries(NEW_ROUTES)) {
      const route = routes.find((r) => `${r.method} ${r.url}` === key);
      expect(route, key).toBeDefined();
      expect(route?.rule, key).toEqual(expect.objectContaining({ role }));
    }
    // The browser stream is not under /api: its one-time token is its owner.
    expect(routes.some((r) => r.url.startsWith('/ws/'))).toBe(false);
  });

  it('refuse every cookie-authenticated write without the session’s CSRF token, changing nothing', async () => {
    const writes = server.parley.auth
      .routes()
      .filter((r) => r.rule !== undefined && 'role' in r.rule && !['GET', 'HEAD'].includes(r.method));
    expect(writes.length).toBeGreaterThan(20);
    for (const { method, url } of writes) {
      const path = url.replace(/:[A-Za-z]+/g, 'demo');
      for (const csrf of [undefined, '', 'forged-token', otherAdmin.csrfToken]) {
        const headers: Record<string, string> = { cookie: admin.cookie };
        if (csrf !== undefined) headers['x-csrf-token'] = csrf;
        const res = await inject(method, path, headers, '{}');
        expect(res.statusCode, `${method} ${url} csrf=${csrf}`).toBe(403);
        expect(res.json(), `${method} ${url}`).toMatchObject({ error: { code: 'csrf_failed' } });
      }
    }
    // The demo agent was not deleted by the forged DELETE.
    expect((await inject('GET', '/api/agents/demo', keys.viewer)).statusCode).toBe(200);
  });

  it('lets an API key write without a CSRF token (no cookie to ride on), and a session with its own', async () => {
    await putTempAgent('sec-temp-1');
    const byKey = await inject('DELETE', '/api/agents/sec-temp-1', keys.editor);
    expect(byKey.statusCode, byKey.body).toBeLessThan(300);
    await putTempAgent('sec-temp-2');
    const bySession = await inject('DELETE', '/api/agents/sec-temp-2', {
      cookie: admin.cookie,
      'x-csrf-token': admin.csrfToken,
    });
    expect(bySession.statusCode, bySession.body).toBeLessThan(300);
  });

  it('ignore the cookie when a bearer key is sent: a viewer key does not borrow an admin session', async () => {
    const res = await inject(
      'POST',
      '/api/telephony-settings/test',
      {
        ...keys.viewer,
        cookie: admin.cookie,
        'x-csrf-token': admin.csrfToken,
      },
      JSON.stringify({ provider: 'twilio' }),
    );
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('answer bad ids and bodies with a clear 4xx', async () => {
    const cases: Array<[string, string, string | undefined, number]> = [
      ['POST', `/api/calls/${randomUUID()}/end`, undefined, 404],
      ['POST', '/api/calls/not-a-uuid/end', undefined, 404],
      // Over Fastify's parameter length: 414, before any handler.
      ['POST', `/api/calls/${'x'.repeat(2000)}/end`, undefined, 414],
      ['DELETE', `/api/agents/${'a'.repeat(2000)}`, undefined, 414],
      ['DELETE', '/api/agents/no-such-agent', undefined, 404],
      ['POST', '/api/agents/no-such-agent/browser-call', undefined, 404],
      ['POST', '/api/telephony-settings/test', '{"provider":', 400],
      ['POST', '/api/telephony-settings/test', '{"provider":"sip"}', 400],
      ['POST', '/api/telephony-settings/test', '{"provider":"twilio","apiBaseUrl":"http://10.0.0.1"}', 400],
      ['POST', '/api/telephony-settings/test', '[]', 400],
    ];
    for (const [method, url, payload, status] of cases) {
      const res = await inject(method, url, keys.admin, payload);
      expect(res.statusCode, `${method} ${url.slice(0, 60)} ${payload}`).toBe(status);
      // Fastify's own 414 has its default body ({ error, message }); the routes answer { error: { code } }.
      expect(res.json(), url.slice(0, 60)).toHaveProperty(status === 414 ? 'error' : 'error.code');
    }
  });

  it('refuse injection and wildcard abuse in the calls filters with 400', async () => {
    for (const query of [
      `number=${encodeURIComponent("' OR 1=1 --")}`,
      `number=${encodeURIComponent('%')}`,
      `number=${encodeURIComponent('%*')}`,
      `number=${encodeURIComponent('+1\\*')}`,
      'number=*',
      `number=${'1'.repeat(65)}`,
      `direction=${encodeURIComponent("inbound' --")}`,
      'from=yesterday',
      'to=2026-01-01T00:00:00',
      'limit=100000',
      'offset=-1',
    ]) {
      const res = await inject('GET', `/api/calls?${query}`, keys.viewer);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toHaveProperty('error.code');
    }
  });

  it('refuse an oversized body before reading it', async () => {
    const huge = JSON.stringify({ provider: 'twilio', padding: 'x'.repeat(5 * 1024 * 1024) });
    const res = await inject('POST', '/api/telephony-settings/test', keys.admin, huge);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toHaveProperty('error.code');
  });

  it('refuse the live stream without credentials, and to a request that is not an event stream', async () => {
    expect((await inject('GET', '/api/live', { accept: 'text/event-stream' })).statusCode).toBe(401);
    const wrongAccept = await inject('GET', '/api/live', { ...keys.viewer, accept: 'application/json' });
    expect(wrongAccept.statusCode).toBe(406);
  });

  it('give other sites no way in: no CORS grant, and a SameSite=Strict session cookie', async () => {
    const res = await inject('GET', '/api/vendors', { cookie: admin.cookie, origin: 'https://evil.example' });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const login = await inject(
      'POST',
      '/api/auth/login',
      {},
      JSON.stringify({ username: 'sec-admin', password: 'sec-admin-password' }),
    );
    expect(String(login.headers['set-cookie'])).toMatch(/SameSite=Strict/i);
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly/i);
  });

  it('never return a secret from the vendor list', async () => {
    const res = await inject('GET', '/api/vendors', keys.viewer);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(/sk-[A-Za-z0-9]{10,}|"apiKey"\s*:\s*"[^"]+"|"secret"\s*:/);
  });
});
