/**
 * The mask round-trip attack on the telephony settings: pointing a provider's `apiBaseUrl` at
 * another host while writing back what GET showed (the old mask, or the credential's name)
 * must not send the stored secret there. Checked on the fake provider REST APIs.
 */
import type { ProviderName } from '@parley/telephony';
import { FakeTwilioApi } from '@parley/telephony/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASKED_SECRET } from '../src/routes/api-agents.ts';
import { PROVIDER_SECRET_FIELDS } from '../src/telephony/settings.ts';
import {
  closeFakeProviderApis,
  exotelSettings,
  type FakeProviderApis,
  placedCall,
  startFakeProviderApis,
  twilioSettings,
  vobizSettings,
} from './helpers/outbound.ts';
import {
  api,
  GREETING_AGENT,
  putAgent,
  putSettings,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

const AGENT = 'caller';

describe('a provider secret goes only to the API origin it is bound to', () => {
  let server: TelephonyTestServer;
  let apis: FakeProviderApis;
  /** The hosts an attacker points the settings at. */
  let attacker: FakeProviderApis;

  beforeAll(async () => {
    [server, apis, attacker] = await Promise.all([
      startTelephonyTestServer(),
      startFakeProviderApis(),
      startFakeProviderApis(),
    ]);
    await putAgent(server, AGENT, GREETING_AGENT);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.close(), closeFakeProviderApis(apis), closeFakeProviderApis(attacker)]);
  });

  const settingsFor = {
    twilio: (a: FakeProviderApis) => twilioSettings(a.twilio),
    vobiz: (a: FakeProviderApis) => vobizSettings(a.vobiz),
    exotel: (a: FakeProviderApis) => exotelSettings(a.exotel),
  } satisfies Record<ProviderName, (a: FakeProviderApis) => object>;

  /** The settings as GET shows them, ready to be sent back. */
  async function currentSettings(): Promise<Record<string, Record<string, unknown>>> {
    const { updatedAt: _, ...settings } = (await api(server, 'GET', '/api/telephony-settings')).body;
    return settings as Record<string, Record<string, unknown>>;
  }

  it.each(['twilio', 'vobiz', 'exotel'] as const)(
    '%s: a new apiBaseUrl with the mask or the credential name is refused, and the next call goes to the bound API',
    async (provider) => {
      await putSettings(server, { [provider]: settingsFor[provider](apis) });
      const current = await currentSettings();
      const section = current[provider]!;
      expect(section.credential).toBe(provider);
      const elsewhere = attacker[provider].url;
      for (const hijacked of [
        { ...section, [PROVIDER_SECRET_FIELDS[provider]]: MASKED_SECRET, apiBaseUrl: elsewhere },
        { ...section, apiBaseUrl: elsewhere },
      ]) {
        const res = await api(server, 'PUT', '/api/telephony-settings', { ...current, [provider]: hijacked });
        expect(res.status).toBe(400);
        const error = res.body.error as { code: string; message: string };
        expect(error.code).toBe('secret_required');
        expect(error.message).toContain(new URL(elsewhere).origin);
        expect(error.message).toContain('give the secret again');
      }
      expect((await currentSettings())[provider]!.apiBaseUrl).toBe(apis[provider].url);

      const before = apis[provider].requests.length;
      await placedCall(server, provider, { agent: AGENT, context: { name: 'Ada' } });
      expect(apis[provider].requests.length).toBe(before + 1);
      expect(attacker[provider].requests).toHaveLength(0);
    },
  );

  it('moves a secret to a new API origin only when it is given again, and then only the new one', async () => {
    const elsewhere = await FakeTwilioApi.start({ authToken: 'entered-again' });
    try {
      await putSettings(server, { twilio: twilioSettings(apis.twilio) });
      await putSettings(server, {
        twilio: { accountSid: apis.twilio.accountSid, authToken: 'entered-again', apiBaseUrl: elsewhere.url },
      });
      await placedCall(server, 'twilio', { agent: AGENT, context: { name: 'Ada' } });
      expect(elsewhere.requests).toHaveLength(1);
      const basic = (token: string) =>
        `Basic ${Buffer.from(`${apis.twilio.accountSid}:${token}`).toString('base64')}`;
      expect(elsewhere.requests[0]!.headers.authorization).toBe(basic('entered-again'));
      expect(elsewhere.requests.map((r) => r.headers.authorization)).not.toContain(
        basic(apis.twilio.authToken),
      );
    } finally {
      await elsewhere.close();
    }
  });
});
