import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAuth } from '../src/auth/install.ts';
import type { Role } from '../src/auth/roles.ts';
import { installErrorHandling } from '../src/routes/errors.ts';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let keys: Record<Role, { authorization: string }>;

beforeAll(async () => {
  server = await startTestServer(() => noServices);
  keys = {
    viewer: await apiKeyHeaders(server.database, 'viewer'),
    editor: await apiKeyHeaders(server.database, 'editor'),
    admin: await apiKeyHeaders(server.database, 'admin'),
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** Every registered `/api/*` route but the public sign-in, with the role its rule requires. */
function guardedRoutes() {
  return server.parley.auth.routes().flatMap(({ method, url, rule }) => {
    if (rule === undefined || !('role' in rule)) return [];
    return [{ method, url, role: rule.role }];
  });
}

/** A request to the route with its `:params` filled in and, for writes, an empty JSON body. */
function requestTo(method: string, url: string, headers: Record<string, string> = {}) {
  const path = url.replace(/:[A-Za-z]+/g, randomUUID());
  const write = !['GET', 'HEAD'].includes(method);
  return server.parley.app.inject({
    method: method as 'GET',
    url: path,
    headers: write ? { ...headers, 'content-type': 'application/json' } : headers,
    ...(write ? { payload: '{}' } : {}),
  });
}

describe('the /api guard', () => {
  it('sees every API route of the server, and each has an access rule', () => {
    const routes = server.parley.auth.routes();
    const keysOf = routes.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'GET /api/calls',
      'HEAD /api/calls/:id/recording',
      'POST /api/calls/outbound',
      'PUT /api/agents/:id',
      'GET /api/agents/:id/flow',
      'PUT /api/agents/:id/flow/draft',
      'POST /api/agents/:id/flow/publish',
      'GET /api/agents/:id/flow/diff',
      'PUT /api/tools/:id',
      'POST /api/tools/:id/test',
      'POST /api/agents/generate',
      'PUT /api/telephony-settings',
      'POST /api/users',
      'DELETE /api/api-keys/:id',
      'GET /api/audit-log',
    ]) {
      expect(keysOf).toContain(expected);
    }
    expect(routes.filter((r) => r.rule === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it('has one public API route: sign-in', () => {
    const open = server.parley.auth
      .routes()
      .filter((r) => r.rule !== undefined && 'public' in r.rule)
      .map((r) => `${r.method} ${r.url}`);
    expect(open).toEqual(['POST /api/auth/login']);
  });

  it('refuses an anonymous request to every other API route with 401', async () => {
    const routes = guardedRoutes();
    expect(routes.length).toBeGreaterThan(20);
    for (const { method, url } of routes) {
      const res = await requestTo(method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      if (method !== 'HEAD')
        expect(res.json(), `${method} ${url}`).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('refuses each role too low for a route with 403', async () => {
    const tooLow: Record<Role, Role[]> = { viewer: [], editor: ['viewer'], admin: ['viewer', 'editor'] };
    let refusals = 0;
    for (const { method, url, role } of guardedRoutes()) {
      for (const low of tooLow[role]) {
        const res = await requestTo(method, url, keys[low]);
        expect(res.statusCode, `${method} ${url} as ${low}`).toBe(403);
        if (method !== 'HEAD') expect(res.json()).toMatchObject({ error: { code: 'forbidden' } });
        refusals++;
      }
    }
    // Editors write agents and place calls; admins own settings, users, keys and the audit log.
    expect(refusals).toBeGreaterThan(15);
  });

  it('lets the role a route requires through to the route', async () => {
    for (const { method, url, role } of guardedRoutes()) {
      const res = await requestTo(method, url, keys[role]);
      expect(res.statusCode, `${method} ${url} as ${role}`).not.toBe(401);
      if (res.statusCode === 403) {
        // The route itself may refuse (an API key has no password to change), not the guard.
        expect(res.json<{ error: { code: string } }>().error.code, `${method} ${url}`).not.toMatch(
          /^(forbidden|csrf_failed)$/,
        );
      }
    }
  });

  it('gives the expected roles to a few routes', () => {
    const roleOf = (key: string) => guardedRoutes().find((r) => `${r.method} ${r.url}` === key)?.role;
    expect(roleOf('GET /api/calls/:id')).toBe('viewer');
    expect(roleOf('GET /api/telephony-settings')).toBe('viewer');
    expect(roleOf('PUT /api/agents/:id')).toBe('editor');
    expect(roleOf('GET /api/agents/:id/flow/versions/:version')).toBe('viewer');
    expect(roleOf('PUT /api/agents/:id/flow/draft')).toBe('editor');
    expect(roleOf('POST /api/agents/:id/flow/publish')).toBe('editor');
    expect(roleOf('GET /api/tools')).toBe('viewer');
    expect(roleOf('DELETE /api/tools/:id')).toBe('editor');
    expect(roleOf('POST /api/tools/:id/test')).toBe('editor');
    expect(roleOf('POST /api/calls/outbound')).toBe('editor');
    expect(roleOf('POST /api/agents/generate')).toBe('editor');
    expect(roleOf('PUT /api/telephony-settings')).toBe('admin');
    expect(roleOf('GET /api/audit-log')).toBe('admin');
  });

  it('refuses an unknown API key, and an Authorization header that is not a bearer token', async () => {
    for (const authorization of ['Bearer parley_not-a-real-key', 'Bearer', 'Basic YWRtaW46YWRtaW4=']) {
      const res = await requestTo('GET', '/api/calls', { authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    }
  });

  it('leaves health, the dashboard page and provider webhooks to their own authentication', async () => {
    const { app } = server.parley;
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
    // Without TWILIO_AUTH_TOKEN the Twilio webhook checks no signature, as before.
    const webhook = await app.inject({
      method: 'POST',
      url: '/telephony/twilio/inbound/demo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `CallSid=CA${randomUUID().replaceAll('-', '')}`,
    });
    expect(webhook.statusCode).toBe(200);
    expect(webhook.body).toContain('<Stream');
  });

  it('answers unknown API paths 404, whoever asks', async () => {
    const res = await server.parley.app.inject({ url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
  });
});

describe('an API route without an access rule', () => {
  it('is refused to everyone, admins included', async () => {
    const app = Fastify({ logger: false });
    try {
      installErrorHandling(app);
      const guard = await installAuth(app, { db: server.database.db, config: server.config });
      app.get('/api/forgotten', async () => ({ secret: 'exposed' }));
      await app.ready();
      expect(guard.routes()).toContainEqual({ method: 'GET', url: '/api/forgotten', rule: undefined });

      const anonymous = await app.inject({ url: '/api/forgotten' });
      expect(anonymous.statusCode).toBe(401);
      const admin = await app.inject({ url: '/api/forgotten', headers: keys.admin });
      expect(admin.statusCode).toBe(403);
      expect(admin.json()).toMatchObject({ error: { code: 'forbidden' } });
      expect(admin.body).not.toContain('exposed');
    } finally {
      await app.close();
    }
  });
});
