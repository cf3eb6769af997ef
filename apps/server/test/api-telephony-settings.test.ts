import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASKED_SECRET } from '../src/routes/api-agents.ts';
import {
  api,
  postForm,
  putSettings,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';

const FULL = {
  defaultProvider: 'vobiz',
  maxConcurrentCalls: 5,
  twilio: { accountSid: TWILIO_SID, authToken: 'twilio-secret', apiBaseUrl: 'http://127.0.0.1:9/twilio' },
  exotel: {
    accountSid: 'acme1',
    apiKey: 'exo-key',
    apiToken: 'exotel-secret',
    apiBaseUrl: 'https://api.in.exotel.com',
    allowedIps: ['10.0.0.1', '2001:db8::1'],
  },
  vobiz: { authId: 'MA_TEST', authToken: 'vobiz-secret', apiBaseUrl: 'https://api.vobiz.ai/api/v1' },
};

/** A Twilio voice webhook for the demo agent, signed with `authToken` when given. */
async function twilioWebhook(server: TelephonyTestServer, authToken?: string) {
  const path = '/telephony/twilio/inbound/demo';
  const form = { CallSid: `CA${crypto.randomUUID().replaceAll('-', '')}`, From: '+15550001111' };
  const headers: Record<string, string> = authToken
    ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, `${server.url}${path}`, form) }
    : {};
  return postForm(server, path, form, headers);
}

describe('the telephony settings API', () => {
  let server: TelephonyTestServer;

  beforeAll(async () => {
    server = await startTelephonyTestServer();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('answers empty settings on a fresh server', async () => {
    const res = await api(server, 'GET', '/api/telephony-settings');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      defaultProvider: null,
      maxConcurrentCalls: null,
      twilio: {},
      exotel: {},
      vobiz: {},
      updatedAt: null,
    });
  });

  it('stores inline secrets in credentials and answers the settings naming them, never a secret', async () => {
    const put = await api(server, 'PUT', '/api/telephony-settings', FULL);
    expect(put.status).toBe(200);
    const { authToken: _t, ...twilio } = FULL.twilio;
    const { apiToken: _e, ...exotel } = FULL.exotel;
    const { authToken: _v, ...vobiz } = FULL.vobiz;
    expect(put.body).toEqual({
      ...FULL,
      twilio: { ...twilio, credential: 'twilio' },
      exotel: { ...exotel, credential: 'exotel' },
      vobiz: { ...vobiz, credential: 'vobiz' },
      updatedAt: expect.any(String),
    });
    const get = await api(server, 'GET', '/api/telephony-settings');
    expect(get.body).toEqual(put.body);
    expect(Date.parse(String(get.body.updatedAt))).toBeGreaterThan(Date.now() - 60_000);
    const row = await server.database.db.selectFrom('telephony_settings').selectAll().execute();
    for (const secret of ['twilio-secret', 'exotel-secret', 'vobiz-secret']) {
      expect(JSON.stringify(put.body)).not.toContain(secret);
      expect(JSON.stringify(get.body)).not.toContain(secret);
      expect(JSON.stringify(row)).not.toContain(secret);
    }
    const stored = await server.parley.settings.get();
    expect(stored.twilio.authToken).toBe('twilio-secret');
    expect(stored.exotel.apiToken).toBe('exotel-secret');
    expect(stored.vobiz.authToken).toBe('vobiz-secret');
    // Each bound to its provider's API origin.
    const destinations = Object.fromEntries(
      (await server.parley.credentials.list()).map((c) => [c.name, c.destination]),
    );
    expect(destinations).toMatchObject({
      twilio: 'http://127.0.0.1:9',
      exotel: 'https://api.in.exotel.com',
      vobiz: 'https://api.vobiz.ai',
    });
  });

  it('keeps a credential referred to by name or by the mask of older clients, and clears one left out', async () => {
    await putSettings(server, FULL);
    const res = await api(server, 'PUT', '/api/telephony-settings', {
      ...FULL,
      maxConcurrentCalls: 2,
      twilio: { ...FULL.twilio, authToken: MASKED_SECRET },
      exotel: { ...FULL.exotel, apiToken: undefined },
      vobiz: { authId: 'MA_TEST', credential: 'vobiz' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ maxConcurrentCalls: 2, twilio: { credential: 'twilio' } });
    expect(res.body.exotel).not.toHaveProperty('credential');
    expect(res.body.vobiz).toEqual({ authId: 'MA_TEST', credential: 'vobiz' });
    const stored = await server.parley.settings.get();
    expect(stored.twilio.authToken).toBe('twilio-secret');
    expect(stored.exotel.apiToken).toBeUndefined();
    expect(stored.vobiz).toEqual({ authId: 'MA_TEST', credential: 'vobiz', authToken: 'vobiz-secret' });
  });

  it('never stores the mask itself when no secret was stored', async () => {
    await putSettings(server, {});
    await putSettings(server, { twilio: { accountSid: TWILIO_SID, authToken: MASKED_SECRET } });
    const stored = await server.parley.settings.get();
    expect(stored.twilio).toEqual({ accountSid: TWILIO_SID });
    expect((await api(server, 'GET', '/api/telephony-settings')).body.twilio).toEqual({
      accountSid: TWILIO_SID,
    });
  });

  it('treats PUT as a whole replacement: what is left out is cleared', async () => {
    await putSettings(server, FULL);
    await putSettings(server, { maxConcurrentCalls: 3 });
    const res = await api(server, 'GET', '/api/telephony-settings');
    expect(res.body).toMatchObject({
      defaultProvider: null,
      maxConcurrentCalls: 3,
      twilio: {},
      exotel: {},
      vobiz: {},
    });
  });

  it.each([
    ['an unknown top-level key', { plivo: {} }, '"plivo"'],
    ['an unknown provider key', { twilio: { authTokn: 'x' } }, '"authTokn"'],
    ['an unknown default provider', { defaultProvider: 'plivo' }, 'defaultProvider'],
    ['maxConcurrentCalls 0', { maxConcurrentCalls: 0 }, 'maxConcurrentCalls'],
    ['a fractional maxConcurrentCalls', { maxConcurrentCalls: 1.5 }, 'maxConcurrentCalls'],
    ['an API base that is not a URL', { vobiz: { apiBaseUrl: 'api.vobiz.ai' } }, 'vobiz.apiBaseUrl'],
    ['an IP that is not one', { exotel: { allowedIps: ['300.1.2.3'] } }, 'exotel.allowedIps.0'],
    ['an IP list that is not a list', { exotel: { allowedIps: '10.0.0.1' } }, 'exotel.allowedIps'],
    ['an empty secret', { vobiz: { authToken: '' } }, 'vobiz.authToken'],
    ['a Twilio account SID that is not one', { twilio: { accountSid: 'acme' } }, 'twilio.accountSid'],
    ['a provider section that is not an object', { twilio: 'AC1' }, 'twilio'],
    ['a body that is not an object', [FULL], '(root)'],
  ])('refuses %s with 400 invalid_settings and keeps the stored settings', async (_, body, path) => {
    await putSettings(server, FULL);
    const res = await api(server, 'PUT', '/api/telephony-settings', body);
    expect(res.status).toBe(400);
    const error = res.body.error as { code: string; issues: string[] };
    expect(error.code).toBe('invalid_settings');
    expect(
      error.issues.some((issue) => issue.includes(path)),
      error.issues.join('; '),
    ).toBe(true);
    expect((await server.parley.settings.get()).maxConcurrentCalls).toBe(FULL.maxConcurrentCalls);
  });

  it('replaces stored settings that no longer validate', async () => {
    await putSettings(server, {});
    await server.database.db
      .updateTable('telephony_settings')
      .set({ providers: JSON.stringify({ twilio: { accountSid: 'not-a-sid', authToken: 'old' } }) })
      .execute();
    const read = await api(server, 'GET', '/api/telephony-settings');
    expect(read.status).toBe(500);
    expect(read.body.error).toMatchObject({
      code: 'stored_settings_invalid',
      issues: [
        'twilio.accountSid: a Twilio account SID: AC and 32 hex digits',
        'twilio: Unrecognized key: "authToken"',
      ],
    });
    const res = await api(server, 'PUT', '/api/telephony-settings', {
      twilio: { accountSid: TWILIO_SID, authToken: MASKED_SECRET },
    });
    expect(res.status).toBe(200);
    // The unreadable secret is not kept, nor the mask stored in its place.
    expect((await server.parley.settings.get()).twilio).toEqual({ accountSid: TWILIO_SID });
  });

  it('checks Twilio webhooks with an auth token set through the API', async () => {
    await putSettings(server, {});
    expect((await twilioWebhook(server)).status).toBe(200);
    await putSettings(server, { twilio: { authToken: 'api-token' } });
    const unsigned = await twilioWebhook(server);
    expect(unsigned.status).toBe(403);
    expect(JSON.parse(unsigned.body)).toMatchObject({ error: { code: 'invalid_signature' } });
    expect((await twilioWebhook(server, 'another-token')).status).toBe(403);
    const signed = await twilioWebhook(server, 'api-token');
    expect(signed.status).toBe(200);
    expect(signed.body).toContain('<Stream url=');
  });

  it('checks Vobiz webhooks with an auth token set through the API', async () => {
    const answer = () =>
      postForm(server, '/telephony/vobiz/inbound/demo', { CallUUID: crypto.randomUUID(), From: '9198' });
    await putSettings(server, {});
    expect((await answer()).status).toBe(200);
    await putSettings(server, { vobiz: { authToken: 'vobiz-token' } });
    expect((await answer()).status).toBe(403);
  });

  it('takes an Exotel IP allow-list into account', async () => {
    const dynamicUrl = () =>
      fetch(`${server.url}/telephony/exotel/inbound/demo?CallSid=${crypto.randomUUID()}`);
    await putSettings(server, { exotel: { allowedIps: ['10.9.8.7'] } });
    expect((await dynamicUrl()).status).toBe(403);
    await putSettings(server, { exotel: { allowedIps: ['10.9.8.7', '127.0.0.1'] } });
    expect((await dynamicUrl()).status).toBe(200);
    await putSettings(server, {});
  });
});

describe('a Twilio auth token in the settings', () => {
  let server: TelephonyTestServer;

  beforeAll(async () => {
    server = await startTelephonyTestServer({ TWILIO_AUTH_TOKEN: 'env-token' });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('overrides TWILIO_AUTH_TOKEN, which applies again once the setting is cleared', async () => {
    expect((await twilioWebhook(server)).status).toBe(403);
    expect((await twilioWebhook(server, 'env-token')).status).toBe(200);
    await putSettings(server, { twilio: { authToken: 'settings-token' } });
    expect((await twilioWebhook(server, 'env-token')).status).toBe(403);
    expect((await twilioWebhook(server, 'settings-token')).status).toBe(200);
    await putSettings(server, {});
    expect((await twilioWebhook(server, 'env-token')).status).toBe(200);
  });
});
