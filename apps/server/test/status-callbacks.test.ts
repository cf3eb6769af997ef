import { randomUUID } from 'node:crypto';
import type { ProviderName } from '@parley/telephony';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exotelStatusToken } from '../src/telephony/webhook-auth.ts';
import {
  allProviderSettings,
  closeFakeProviderApis,
  type FakeProviderApis,
  placedCall,
  startFakeProviderApis,
} from './helpers/outbound.ts';
import {
  callWithStatus,
  GREETING_AGENT,
  postForm,
  putAgent,
  putSettings,
  startTelephonyTestServer,
  type TelephonyTestServer,
  vobizSignatureHeaders,
} from './helpers/telephony.ts';

const AGENT = 'caller';

describe('provider status callbacks', () => {
  let server: TelephonyTestServer;
  let apis: FakeProviderApis;

  beforeAll(async () => {
    [server, apis] = await Promise.all([startTelephonyTestServer(), startFakeProviderApis()]);
    await putAgent(server, AGENT, GREETING_AGENT);
    await putSettings(server, allProviderSettings(apis));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), closeFakeProviderApis(apis)]);
  });

  const placed = (provider: ProviderName) => placedCall(server, provider, { agent: AGENT });

  /** A Twilio status callback, signed with the fake's token unless `sign` is false. */
  function twilioStatus(form: Record<string, string>, query = '', sign = true) {
    const path = `/telephony/twilio/status${query}`;
    const headers: Record<string, string> = sign
      ? {
          'x-twilio-signature': twilio.getExpectedTwilioSignature(
            apis.twilio.authToken,
            `${server.url}${path}`,
            form,
          ),
        }
      : {};
    return postForm(server, path, form, headers);
  }

  /** A Vobiz hangup_url callback, signed with the fake's token unless `sign` is false. */
  function vobizStatus(form: Record<string, string>, query = '', sign = true) {
    const path = `/telephony/vobiz/status${query}`;
    return postForm(
      server,
      path,
      form,
      sign ? vobizSignatureHeaders(apis.vobiz.authToken, `${server.url}${path}`) : {},
    );
  }

  it('refuses unsigned or wrongly signed Twilio callbacks when a Twilio token is set', async () => {
    const { id, providerCallId } = await placed('twilio');
    const form = { CallSid: providerCallId, CallStatus: 'busy' };
    const unsigned = await twilioStatus(form, `?callId=${id}`, false);
    expect(unsigned.status).toBe(403);
    expect(JSON.parse(unsigned.body)).toMatchObject({ error: { code: 'invalid_signature' } });
    const forged = await postForm(server, `/telephony/twilio/status?callId=${id}`, form, {
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        'not-the-token',
        `${server.url}/telephony/twilio/status?callId=${id}`,
        form,
      ),
    });
    expect(forged.status).toBe(403);
    expect((await server.parley.calls.get(id))?.status).toBe('ringing');
    expect((await twilioStatus(form, `?callId=${id}`)).status).toBe(204);
    await callWithStatus(server, id, 'busy');
  });

  it('refuses Vobiz callbacks without a valid X-Vobiz-Signature-V3 when a Vobiz token is set', async () => {
    const { id, providerCallId } = await placed('vobiz');
    const form = {
      CallUUID: providerCallId,
      Event: 'Hangup',
      CallStatus: 'no-answer',
      HangupCause: 'NO_ANSWER',
    };
    expect((await vobizStatus(form, `?callId=${id}`, false)).status).toBe(403);
    const path = `/telephony/vobiz/status?callId=${id}`;
    const forged = vobizSignatureHeaders('not-the-token', `${server.url}${path}`);
    expect((await postForm(server, path, form, forged)).status).toBe(403);
    // A signature of another URL does not do either.
    const elsewhere = vobizSignatureHeaders(
      apis.vobiz.authToken,
      `${server.url}/telephony/vobiz/inbound/${AGENT}`,
    );
    expect((await postForm(server, path, form, elsewhere)).status).toBe(403);
    expect((await server.parley.calls.get(id))?.status).toBe('ringing');
    expect((await vobizStatus(form, `?callId=${id}`)).status).toBe(204);
    await callWithStatus(server, id, 'no_answer');
  });

  it('refuses Exotel callbacks without the call token or Basic credentials when an API token is set', async () => {
    const { id, providerCallId } = await placed('exotel');
    const form = { CallSid: providerCallId, Status: 'busy', EventType: 'terminal' };
    expect((await postForm(server, `/telephony/exotel/status?callId=${id}`, form)).status).toBe(403);
    const otherCall = randomUUID();
    const stolen = `?callId=${id}&sig=${exotelStatusToken(apis.exotel.apiToken, otherCall)}`;
    expect((await postForm(server, `/telephony/exotel/status${stolen}`, form)).status).toBe(403);
    const forged = `?callId=${id}&sig=${exotelStatusToken('not-the-token', id)}`;
    expect((await postForm(server, `/telephony/exotel/status${forged}`, form)).status).toBe(403);
    expect((await server.parley.calls.get(id))?.status).toBe('ringing');
    // Basic credentials still do, and so does the URL Exotel was given.
    const basic = `Basic ${Buffer.from(`${apis.exotel.apiKey}:${apis.exotel.apiToken}`).toString('base64')}`;
    const ringing = { CallSid: providerCallId, Status: 'ringing', EventType: 'ringing' };
    expect(
      (await postForm(server, '/telephony/exotel/status', ringing, { authorization: basic })).status,
    ).toBe(204);
    expect((await apis.exotel.sendStatus(providerCallId, 'busy')).status).toBe(204);
    await callWithStatus(server, id, 'busy');
  });

  it('ignores callbacks of unknown calls with 204', async () => {
    const { total } = await server.parley.calls.list();
    expect((await twilioStatus({ CallSid: `CA${'0'.repeat(32)}`, CallStatus: 'completed' })).status).toBe(
      204,
    );
    expect(
      (await twilioStatus({ CallSid: 'CA1', CallStatus: 'ringing' }, `?callId=${randomUUID()}`)).status,
    ).toBe(204);
    expect(
      (await vobizStatus({ CallUUID: randomUUID(), Event: 'Hangup', CallStatus: 'completed' })).status,
    ).toBe(204);
    const basic = `Basic ${Buffer.from(`${apis.exotel.apiKey}:${apis.exotel.apiToken}`).toString('base64')}`;
    const exotel = await postForm(
      server,
      '/telephony/exotel/status',
      { CallSid: 'nope', Status: 'completed' },
      { authorization: basic },
    );
    expect(exotel.status).toBe(204);
    expect((await server.parley.calls.list()).total).toBe(total);
  });

  it('ignores the callback of a call of another provider', async () => {
    const { id, providerCallId } = await placed('vobiz');
    const res = await twilioStatus({ CallSid: providerCallId, CallStatus: 'busy' }, `?callId=${id}`);
    expect(res.status).toBe(204);
    expect((await server.parley.calls.get(id))?.status).toBe('ringing');
    await apis.vobiz.sendStatus(providerCallId, 'cancel');
    await callWithStatus(server, id, 'canceled');
  });

  it('never moves a call back to ringing after it was answered', async () => {
    const { id, providerCallId } = await placed('twilio');
    expect((await apis.twilio.sendStatus(providerCallId, 'ringing')).status).toBe(204);
    expect((await apis.twilio.sendStatus(providerCallId, 'in-progress')).status).toBe(204);
    const answered = await callWithStatus(server, id, 'in_progress');
    expect(answered.answeredAt).not.toBeNull();
    expect((await apis.twilio.sendStatus(providerCallId, 'ringing')).status).toBe(204);
    expect((await server.parley.calls.get(id))?.status).toBe('in_progress');
    // The stream never came: the provider's end is the call's end.
    expect((await apis.twilio.sendStatus(providerCallId, 'completed', { durationSecs: 7 })).status).toBe(204);
    const ended = await callWithStatus(server, id, 'completed');
    expect(ended).toMatchObject({ endReason: 'provider_completed', durationMs: 7000 });
    // Nor forward again once it ended.
    expect(
      (await twilioStatus({ CallSid: providerCallId, CallStatus: 'in-progress' }, `?callId=${id}`)).status,
    ).toBe(204);
    expect((await server.parley.calls.get(id))?.status).toBe('completed');
  });

  it.each([
    ['Twilio, without CallSid', () => twilioStatus({ CallStatus: 'completed' })],
    [
      'Twilio, with a CallDuration that is not seconds',
      () => twilioStatus({ CallSid: 'CA1', CallStatus: 'completed', CallDuration: '1.5' }),
    ],
    ['Vobiz, without CallUUID', () => vobizStatus({ Event: 'Hangup', CallStatus: 'completed' })],
    [
      'Exotel, without CallSid',
      () =>
        postForm(
          server,
          '/telephony/exotel/status',
          { Status: 'completed' },
          {
            authorization: `Basic ${Buffer.from(`${apis.exotel.apiKey}:${apis.exotel.apiToken}`).toString('base64')}`,
          },
        ),
    ],
  ])('answers 400 invalid_webhook to a malformed callback: %s', async (_, send) => {
    const res = await send();
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid_webhook' } });
  });

  it('answers 204 to a callback with a status it does not know, and changes nothing', async () => {
    const { id, providerCallId } = await placed('twilio');
    expect(
      (await twilioStatus({ CallSid: providerCallId, CallStatus: 'teleported' }, `?callId=${id}`)).status,
    ).toBe(204);
    expect((await server.parley.calls.get(id))?.status).toBe('ringing');
    await apis.twilio.sendStatus(providerCallId, 'canceled');
    await callWithStatus(server, id, 'canceled');
  });
});
