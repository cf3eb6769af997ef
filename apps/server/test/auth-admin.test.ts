import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../src/auth/csrf.ts';
import type { Role } from '../src/auth/roles.ts';
import { apiKeyHeaders, createUser, postLogin, signIn } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let editorKey: { authorization: string };

beforeAll(async () => {
  server = await startTestServer(() => noServices);
  editorKey = await apiKeyHeaders(server.database, 'editor', 'deploy script');
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** A JSON request through `inject`, as the test server's admin API key unless `headers` say otherwise. */
async function call(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers?: Record<string, string>,
) {
  const res = await server.parley.app.inject({
    method,
    url,
    headers: {
      ...(headers ?? server.adminHeaders),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return {
    status: res.statusCode,
    body: res.body === '' ? {} : res.json<Record<string, unknown>>(),
    raw: res.body,
    headers: res.headers,
  };
}

interface KeyBody {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  key?: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

describe('API keys', () => {
  it('shows a new key once: the list never returns it, and it works as a bearer token with its role', async () => {
    const created = await call('POST', '/api/api-keys', { name: 'reporting', role: 'viewer' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const key = created.body as unknown as KeyBody;
    expect(key.key).toMatch(/^parley_[\w-]{43}$/);
    expect(key).toMatchObject({ name: 'reporting', role: 'viewer', lastUsedAt: null, revokedAt: null });
    expect(key.key!.startsWith(key.prefix)).toBe(true);

    const listed = await call('GET', '/api/api-keys');
    expect(listed.raw).not.toContain(key.key!);
    const entry = (listed.body.apiKeys as KeyBody[]).find((k) => k.id === key.id);
    expect(entry).toBeDefined();
    expect(Object.keys(entry!)).not.toContain('key');
    expect(Object.keys(entry!)).not.toContain('keyHash');
    // Stored as a hash only.
    const rows = await server.database.db.selectFrom('api_keys').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(key.key!);

    const bearer = { authorization: `Bearer ${key.key}` };
    expect((await call('GET', '/api/calls', undefined, bearer)).status).toBe(200);
    expect((await call('PUT', '/api/agents/viewer-try', {}, bearer)).status).toBe(403);
    const used = (await call('GET', '/api/api-keys')).body.apiKeys as KeyBody[];
    expect(used.find((k) => k.id === key.id)?.lastUsedAt).not.toBeNull();
  });

  it('refuses a revoked key at once', async () => {
    const key = (await call('POST', '/api/api-keys', { name: 'short-lived', role: 'editor' }))
      .body as unknown as KeyBody;
    const bearer = { authorization: `Bearer ${key.key}` };
    expect((await call('GET', '/api/agents', undefined, bearer)).status).toBe(200);

    expect((await call('DELETE', `/api/api-keys/${key.id}`)).status).toBe(204);
    const refused = await call('GET', '/api/agents', undefined, bearer);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_api_key' } });
    const listed = (await call('GET', '/api/api-keys')).body.apiKeys as KeyBody[];
    expect(listed.find((k) => k.id === key.id)?.revokedAt).not.toBeNull();

    expect((await call('DELETE', `/api/api-keys/${key.id}`)).status).toBe(204);
    expect((await call('DELETE', '/api/api-keys/6d7f3a52-0e0b-4c6b-9d5e-0f1d2c3b4a59')).status).toBe(404);
  });

  it('refuses a key without a name or with an unknown role', async () => {
    expect((await call('POST', '/api/api-keys', { name: '', role: 'viewer' })).status).toBe(400);
    expect((await call('POST', '/api/api-keys', { name: 'root', role: 'superuser' })).status).toBe(400);
  });
});

describe('users', () => {
  it('creates, lists, changes and deletes users, never showing a password or its hash', async () => {
    const created = await call('POST', '/api/users', {
      username: 'Erin',
      password: 'erin-first-password',
      role: 'editor',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'erin', role: 'editor' });
    const id = created.body.id as string;
    expect(created.raw).not.toMatch(/password|argon2/i);

    expect(
      (await call('POST', '/api/users', { username: 'erin', password: 'another-password', role: 'viewer' }))
        .body,
    ).toMatchObject({
      error: { code: 'username_taken' },
    });
    expect(
      (await call('POST', '/api/users', { username: 'frank', password: 'short', role: 'viewer' })).status,
    ).toBe(400);
    expect(
      (
        await call('POST', '/api/users', {
          username: 'no spaces',
          password: 'long-enough-pw',
          role: 'viewer',
        })
      ).status,
    ).toBe(400);

    const listed = await call('GET', '/api/users');
    expect((listed.body.users as { username: string }[]).map((u) => u.username)).toContain('erin');
    expect(listed.raw).not.toMatch(/argon2/);

    // Demoted: the change applies to her live session at once.
    const session = await signIn(server.parley.app, 'erin', 'erin-first-password');
    const agent = {
      name: 'x',
      config: {
        prompt: 'x',
        stt: { provider: 'fake' },
        tts: { provider: 'fake' },
        llm: { provider: 'openai' },
      },
    };
    const asErin = { cookie: session.cookie, [CSRF_HEADER]: session.csrfToken };
    expect((await call('PUT', '/api/agents/erin-agent', agent, asErin)).status).toBe(201);
    expect((await call('PATCH', `/api/users/${id}`, { role: 'viewer' })).body).toMatchObject({
      role: 'viewer',
    });
    expect((await call('PUT', '/api/agents/erin-agent', agent, asErin)).status).toBe(403);

    // A new password set by an admin ends her sessions.
    expect((await call('PATCH', `/api/users/${id}`, { password: 'erin-second-password' })).status).toBe(200);
    expect((await call('GET', '/api/auth/me', undefined, asErin)).status).toBe(401);
    expect((await postLogin(server.parley.app, 'erin', 'erin-first-password')).statusCode).toBe(401);
    await signIn(server.parley.app, 'erin', 'erin-second-password');

    expect((await call('PATCH', `/api/users/${id}`, {})).status).toBe(400);
    expect((await call('DELETE', `/api/users/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/api/users/${id}`)).status).toBe(404);
    expect((await postLogin(server.parley.app, 'erin', 'erin-second-password')).statusCode).toBe(401);
  });

  it('keeps the last admin: it can be neither demoted nor deleted', async () => {
    const admin = await createUser(server.database, 'root-admin', 'admin', 'root-admin-password');
    const demote = await call('PATCH', `/api/users/${admin.id}`, { role: 'editor' });
    expect(demote.status).toBe(409);
    expect(demote.body).toMatchObject({ error: { code: 'last_admin' } });
    expect((await call('DELETE', `/api/users/${admin.id}`)).status).toBe(409);

    // With a second admin, the first may go.
    const second = await call('POST', '/api/users', {
      username: 'second-admin',
      password: 'second-admin-pw',
      role: 'admin',
    });
    expect((await call('PATCH', `/api/users/${admin.id}`, { role: 'editor' })).status).toBe(200);
    expect((await call('DELETE', `/api/users/${second.body.id as string}`)).status).toBe(409);
  });

  it('lets a user change their own password, which ends their other sessions', async () => {
    await createUser(server.database, 'gina', 'viewer', 'gina-old-password');
    const here = await signIn(server.parley.app, 'gina', 'gina-old-password');
    const elsewhere = await signIn(server.parley.app, 'gina', 'gina-old-password');
    const headers = { cookie: here.cookie, [CSRF_HEADER]: here.csrfToken };

    const wrong = await call(
      'PUT',
      '/api/auth/password',
      { currentPassword: 'not-it-at-all', newPassword: 'gina-new-password' },
      headers,
    );
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ error: { code: 'wrong_password' } });
    const tooShort = await call(
      'PUT',
      '/api/auth/password',
      { currentPassword: 'gina-old-password', newPassword: 'short' },
      headers,
    );
    expect(tooShort.status).toBe(400);

    const changed = await call(
      'PUT',
      '/api/auth/password',
      { currentPassword: 'gina-old-password', newPassword: 'gina-new-password' },
      headers,
    );
    expect(changed.status).toBe(204);
    expect((await call('GET', '/api/auth/me', undefined, { cookie: here.cookie })).status).toBe(200);
    expect((await call('GET', '/api/auth/me', undefined, { cookie: elsewhere.cookie })).status).toBe(401);
    expect((await postLogin(server.parley.app, 'gina', 'gina-old-password')).statusCode).toBe(401);
    expect((await postLogin(server.parley.app, 'gina', 'gina-new-password')).statusCode).toBe(200);
  });

  it('gives an API key no password to change', async () => {
    const res = await call(
      'PUT',
      '/api/auth/password',
      { currentPassword: 'x', newPassword: 'long-enough-pw' },
      editorKey,
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'not_a_user' } });
  });
});

interface AuditBody {
  entries: {
    at: string;
    actor: { type: string; id: string | null; name: string | null };
    action: string;
    target: { type: string; id: string | null };
    details: Record<string, unknown>;
  }[];
  total: number;
}

describe('the audit log', () => {
  it('records who changed which agent, setting, user or key, and when, without secrets', async () => {
    const start = Date.now();
    const agentConfig = (apiKey: string) => ({
      prompt: 'Audited.',
      stt: { provider: 'fake' },
      tts: { provider: 'fake' },
      llm: { provider: 'openai', apiKey },
    });
    expect(
      (
        await call(
          'PUT',
          '/api/agents/audited',
          { name: 'A', config: agentConfig('sk-agent-secret-1') },
          editorKey,
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await call(
          'PUT',
          '/api/agents/audited',
          { name: 'B', config: agentConfig('sk-agent-secret-2') },
          editorKey,
        )
      ).status,
    ).toBe(200);
    // A refused change is not a change.
    expect((await call('PUT', '/api/agents/audited', { name: 'C' }, editorKey)).status).toBe(400);
    expect(
      (
        await call('PUT', '/api/telephony-settings', {
          twilio: { accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'twilio-secret-token' },
        })
      ).status,
    ).toBe(200);
    const user = await call('POST', '/api/users', {
      username: 'henry',
      password: 'henry-secret-pw',
      role: 'viewer',
    });
    const key = await call('POST', '/api/api-keys', { name: 'audited key', role: 'viewer' });
    expect((await call('DELETE', `/api/api-keys/${key.body.id as string}`)).status).toBe(204);

    const log = await call('GET', '/api/audit-log?limit=500');
    expect(log.status).toBe(200);
    const { entries, total } = log.body as unknown as AuditBody;
    expect(total).toBeGreaterThanOrEqual(6);
    const recent = entries.filter((e) => Date.parse(e.at) >= start - 1000);
    const summary = recent.map(
      (e) => `${e.actor.type}:${e.actor.name} ${e.action} ${e.target.type}:${e.target.id ?? ''}`,
    );
    expect(summary).toEqual(
      expect.arrayContaining([
        'api_key:deploy script agent.create agent:audited',
        'api_key:deploy script agent.update agent:audited',
        'api_key:test admin telephony_settings.update telephony_settings:',
        `api_key:test admin user.create user:${user.body.id as string}`,
        `api_key:test admin api_key.create api_key:${key.body.id as string}`,
        `api_key:test admin api_key.revoke api_key:${key.body.id as string}`,
      ]),
    );
    expect(summary.filter((s) => s.includes('agent:audited'))).toHaveLength(2);
    // Newest first.
    expect(recent[0]?.action).toBe('api_key.revoke');
    for (const secret of [
      'sk-agent-secret',
      'twilio-secret-token',
      'henry-secret-pw',
      key.body.key as string,
    ]) {
      expect(log.raw).not.toContain(secret);
    }
  });

  it('pages the log and refuses bad parameters', async () => {
    const page = await call('GET', '/api/audit-log?limit=2&offset=1');
    expect(page.body).toMatchObject({ limit: 2, offset: 1 });
    expect((page.body as unknown as AuditBody).entries).toHaveLength(2);
    expect((await call('GET', '/api/audit-log?limit=0')).status).toBe(400);
    expect((await call('GET', '/api/audit-log?since=yesterday')).status).toBe(400);
  });
});
