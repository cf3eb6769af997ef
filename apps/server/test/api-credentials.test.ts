import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, putAgent, startTelephonyTestServer, type TelephonyTestServer } from './helpers/telephony.ts';

const SECRET = 'sk-live-never-shown-9876';

interface ErrorBody {
  code: string;
  message: string;
  issues?: string[];
}

describe('the credentials API', () => {
  let server: TelephonyTestServer;

  beforeAll(async () => {
    server = await startTelephonyTestServer();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const errorOf = (body: Record<string, unknown>) => body.error as ErrorBody;

  it('creates a credential and never shows its value, in answers or in the database', async () => {
    const created = await api(server, 'POST', '/api/credentials', {
      name: 'openai-main',
      kind: 'openai',
      value: SECRET,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'openai-main',
      kind: 'openai',
      destination: 'https://api.openai.com',
      usedBy: [],
    });
    expect(created.body).not.toHaveProperty('value');
    const listed = await api(server, 'GET', '/api/credentials');
    const one = await api(server, 'GET', '/api/credentials/openai-main');
    expect(one.body).toEqual(created.body);
    expect((listed.body.credentials as { name: string }[]).map((c) => c.name)).toContain('openai-main');
    const rows = await server.database.db.selectFrom('credentials').selectAll().execute();
    for (const text of [
      JSON.stringify(created.body),
      JSON.stringify(listed.body),
      JSON.stringify(one.body),
    ]) {
      expect(text).not.toContain(SECRET);
    }
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(rows.map((r) => Buffer.from(r.ciphertext).toString('latin1')).join()).not.toContain(SECRET);
    expect(
      await server.parley.credentials.reveal('openai-main', 'openai', 'https://api.openai.com', 't'),
    ).toEqual({
      apiKey: SECRET,
    });
  });

  it('binds a credential to its vendor by default, or to the destination given', async () => {
    const twilio = await api(server, 'POST', '/api/credentials', {
      name: 'tw',
      kind: 'twilio',
      value: { authToken: 'tok' },
    });
    expect(twilio.body.destination).toBe('https://api.twilio.com');
    const local = await api(server, 'POST', '/api/credentials', {
      name: 'local-llm',
      kind: 'openai',
      value: 'sk-local',
      destination: 'https://llm.example.com:8443/v1',
    });
    expect(local.body.destination).toBe('https://llm.example.com:8443');
  });

  it.each([
    ['an unknown kind', { name: 'x1', kind: 'stripe', value: 'v' }, 'invalid_body'],
    ['a name that is not a slug', { name: 'Not OK', kind: 'openai', value: 'v' }, 'invalid_body'],
    ['a value of another kind', { name: 'x2', kind: 'twilio', value: { apiKey: 'v' } }, 'invalid_credential'],
    [
      'a generic credential without destination',
      { name: 'x3', kind: 'generic', value: 'v' },
      'invalid_credential',
    ],
    [
      'a destination that is not http(s)',
      { name: 'x4', kind: 'openai', value: 'v', destination: 'ftp://h' },
      'invalid_body',
    ],
  ])('refuses %s with 400', async (_, body, code) => {
    const res = await api(server, 'POST', '/api/credentials', body);
    expect(res.status).toBe(400);
    expect(errorOf(res.body).code).toBe(code);
  });

  it('refuses a name that is taken with 409, keeping the stored value', async () => {
    const res = await api(server, 'POST', '/api/credentials', {
      name: 'openai-main',
      kind: 'openai',
      value: 'other',
    });
    expect(res.status).toBe(409);
    expect(errorOf(res.body).code).toBe('credential_exists');
    expect(
      (await server.parley.credentials.reveal('openai-main', 'openai', 'https://api.openai.com', 't')).apiKey,
    ).toBe(SECRET);
  });

  it('replaces a value, and moves the destination only together with a value', async () => {
    const replaced = await api(server, 'PUT', '/api/credentials/local-llm', { value: 'sk-local-2' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.destination).toBe('https://llm.example.com:8443');
    const moved = await api(server, 'PUT', '/api/credentials/local-llm', {
      value: 'sk-local-3',
      destination: 'https://llm2.example.com/v1',
    });
    expect(moved.body.destination).toBe('https://llm2.example.com');
    expect(JSON.stringify(moved.body)).not.toContain('sk-local-3');
    const destinationOnly = await api(server, 'PUT', '/api/credentials/local-llm', {
      destination: 'https://attacker.example/v1',
    });
    expect(destinationOnly.status).toBe(400);
    expect(errorOf(destinationOnly.body).code).toBe('invalid_body');
    expect((await api(server, 'GET', '/api/credentials/local-llm')).body.destination).toBe(
      'https://llm2.example.com',
    );
  });

  it('answers 404 for a credential that does not exist', async () => {
    expect((await api(server, 'GET', '/api/credentials/nope')).status).toBe(404);
    expect((await api(server, 'PUT', '/api/credentials/nope', { value: 'v' })).status).toBe(404);
    const deleted = await api(server, 'DELETE', '/api/credentials/nope');
    expect(deleted.status).toBe(404);
    expect(errorOf(deleted.body).code).toBe('credential_not_found');
  });

  it('refuses to delete a credential in use, naming its users, and deletes it once unused', async () => {
    const agent = {
      prompt: 'p',
      stt: { provider: 'fake' as const },
      tts: { provider: 'fake' as const },
      llm: { provider: 'openai' as const, credential: 'openai-main' },
    };
    await putAgent(server, 'uses-key', agent);
    expect((await api(server, 'GET', '/api/credentials/openai-main')).body.usedBy).toEqual([
      'agent uses-key (llm)',
    ]);
    const refused = await api(server, 'DELETE', '/api/credentials/openai-main');
    expect(refused.status).toBe(409);
    expect(errorOf(refused.body)).toMatchObject({
      code: 'credential_in_use',
      issues: ['agent uses-key (llm)'],
    });

    await putAgent(server, 'uses-key', { ...agent, llm: { provider: 'openai' } });
    const deleted = await api(server, 'DELETE', '/api/credentials/openai-main');
    expect(deleted.status).toBe(204);
    expect((await api(server, 'GET', '/api/credentials/openai-main')).status).toBe(404);
  });
});
