import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHeaders } from './helpers/auth.ts';
import {
  api,
  freePort,
  putSettings,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
const SECRETS = { twilio: 'twilio-secret-1', exotel: 'exotel-secret-1', vobiz: 'vobiz-secret-1' };

/** A provider account API on 127.0.0.1: accepts the right credentials, 401 otherwise, and echoes the secret (as Vobiz's auth/me does). */
async function startFakeAccounts(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const accepts = (req: IncomingMessage): boolean => {
    switch (req.url) {
      case `/twilio/2010-04-01/Accounts/${TWILIO_SID}.json`:
        return req.headers.authorization === basic(TWILIO_SID, SECRETS.twilio);
      case '/exotel/v1/Accounts/acme1/Balance.json':
        return req.headers.authorization === basic('exo-key', SECRETS.exotel);
      case '/vobiz/api/v1/auth/me':
        return req.headers['x-auth-id'] === 'MA_TEST' && req.headers['x-auth-token'] === SECRETS.vobiz;
      default:
        return false;
    }
  };
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const ok = accepts(req);
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(ok ? { auth_secret: SECRETS.vobiz, status: 'active' } : { message: 'Authenticate' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('POST /api/telephony-settings/test', () => {
  let server: TelephonyTestServer;
  let fake: Awaited<ReturnType<typeof startFakeAccounts>>;
  let closedPort: number;

  beforeAll(async () => {
    fake = await startFakeAccounts();
    closedPort = await freePort();
    server = await startTelephonyTestServer({
      EGRESS_ALLOW: `127.0.0.1:${new URL(fake.url).port},127.0.0.1:${closedPort}`,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const settingsWith = (twilioToken: string, twilioBase = `${fake.url}/twilio`) => ({
    twilio: { accountSid: TWILIO_SID, authToken: twilioToken, apiBaseUrl: twilioBase },
    exotel: {
      accountSid: 'acme1',
      apiKey: 'exo-key',
      apiToken: SECRETS.exotel,
      apiBaseUrl: `${fake.url}/exotel`,
    },
    vobiz: { authId: 'MA_TEST', authToken: SECRETS.vobiz, apiBaseUrl: `${fake.url}/vobiz/api/v1` },
  });

  it('says what is missing before anything is configured, and contacts nobody', async () => {
    const res = await api(server, 'POST', '/api/telephony-settings/test', { provider: 'twilio' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, provider: 'twilio', status: null });
    expect(res.body.message).toMatch(/account SID and auth token/);
    expect(fake.seen).toEqual([]);
  });

  it("reports each provider's account API accepting the stored credentials, without echoing them", async () => {
    await putSettings(server, settingsWith(SECRETS.twilio));
    for (const provider of ['twilio', 'exotel', 'vobiz'] as const) {
      const res = await api(server, 'POST', '/api/telephony-settings/test', { provider });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: true, provider, status: 200 });
      for (const secret of Object.values(SECRETS)) expect(JSON.stringify(res.body)).not.toContain(secret);
    }
    expect(fake.seen).toEqual([
      `GET /twilio/2010-04-01/Accounts/${TWILIO_SID}.json`,
      'GET /exotel/v1/Accounts/acme1/Balance.json',
      'GET /vobiz/api/v1/auth/me',
    ]);
  });

  it('reports a refused token with the provider status', async () => {
    await putSettings(server, settingsWith('wrong-token'));
    const res = await api(server, 'POST', '/api/telephony-settings/test', { provider: 'twilio' });
    expect(res.body).toMatchObject({ ok: false, provider: 'twilio', status: 401 });
    expect(res.body.message).toMatch(/refused the credentials/);
    expect(JSON.stringify(res.body)).not.toContain('wrong-token');
  });

  it('reports an unreachable API', async () => {
    await putSettings(server, settingsWith(SECRETS.twilio, `http://127.0.0.1:${closedPort}`));
    const res = await api(server, 'POST', '/api/telephony-settings/test', { provider: 'twilio' });
    expect(res.body).toMatchObject({ ok: false, provider: 'twilio', status: null });
    expect(res.body.message).toMatch(/could not be reached: ECONNREFUSED/);
  });

  it('does not connect to an address the egress rules refuse', async () => {
    await putSettings(server, settingsWith(SECRETS.twilio, `http://10.0.0.1:${closedPort}`));
    const res = await api(server, 'POST', '/api/telephony-settings/test', { provider: 'twilio' });
    expect(res.body).toMatchObject({ ok: false, status: null });
    expect(res.body.message).toMatch(/EGRESS_ALLOW/);
  });

  it('refuses an unknown provider', async () => {
    const res = await api(server, 'POST', '/api/telephony-settings/test', { provider: 'plivo' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_body' } });
  });

  it('is for admins only', async () => {
    for (const role of ['viewer', 'editor'] as const) {
      const res = await fetch(`${server.url}/api/telephony-settings/test`, {
        method: 'POST',
        headers: { ...(await apiKeyHeaders(server.database, role)), 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'twilio' }),
      });
      expect(res.status).toBe(403);
    }
  });
});
