import { describe, expect, it } from 'vitest';
import { ProviderApiError } from '../src/errors.ts';
import type { FakeTwilioApi } from '../src/testing/index.ts';
import type { TwilioCallControl } from '../src/twilio/call-control.ts';
import { validateTwilioSignature } from '../src/twilio/signature.ts';
import { parseTwilioStatusCallback } from '../src/twilio/status-callback.ts';
import { useCallControlFixture } from './helpers/call-control-harness.ts';
import { twilioCalls } from './helpers/call-control-providers.ts';
import type { CallbackReceiver } from './helpers/callback-receiver.ts';

const CALL_SID = /^CA[0-9a-f]{32}$/;

let fake: FakeTwilioApi;
let webhooks: CallbackReceiver;
let control: TwilioCallControl;
useCallControlFixture(twilioCalls, (fixture) => {
  ({ fake, webhooks, control } = fixture);
});

const request = (timeLimitSecs?: number) => twilioCalls.request(webhooks, timeLimitSecs);

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('TwilioCallControl.placeCall', () => {
  it('creates the call through twilio-node with the voice webhook and status callback', async () => {
    const placed = await control.placeCall(request(600));

    expect(placed.providerCallId).toMatch(CALL_SID);
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Calls.json`);
    expect(sent.headers.authorization).toBe(basic(fake.accountSid, fake.authToken));
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent.body).toEqual({
      To: '+15557654321',
      From: '+15551230000',
      Url: webhooks.url('/twilio/voice/support-bot'),
      Method: 'POST',
      StatusCallback: webhooks.url('/twilio/status'),
      StatusCallbackMethod: 'POST',
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      TimeLimit: '600',
    });
    expect(fake.call(placed.providerCallId)?.status).toBe('queued');
  });

  it('reports an invalid number as a ProviderApiError that is not retryable, with Twilio’s code', async () => {
    fake.reply({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    const error = await control.placeCall(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderApiError);
    expect(error).toMatchObject({
      provider: 'twilio',
      operation: 'place_call',
      status: 400,
      providerCode: 21211,
      retryable: false,
    });
    expect((error as Error).message).toContain('not a valid phone number');
  });
});

describe('TwilioCallControl.hangUp', () => {
  it('updates the call with Status=completed', async () => {
    const { providerCallId } = await control.placeCall(request());
    await fake.answer(providerCallId);

    await expect(control.hangUp(providerCallId)).resolves.toBe('ended');
    const sent = fake.requests[1]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Calls/${providerCallId}.json`);
    expect(sent.headers.authorization).toBe(basic(fake.accountSid, fake.authToken));
    expect(sent.body).toEqual({ Status: 'completed' });
    expect(fake.call(providerCallId)?.status).toBe('completed');
  });

  it('answers already_ended for a call Twilio does not know (404, code 20404)', async () => {
    await expect(control.hangUp('CA00000000000000000000000000000009')).resolves.toBe('already_ended');
  });

  it('answers already_ended for a call that ended (404 after its completed callback)', async () => {
    const { providerCallId } = await control.placeCall(request());
    await fake.sendStatus(providerCallId, 'completed', { durationSecs: 12 });
    await expect(control.hangUp(providerCallId)).resolves.toBe('already_ended');
  });

  it('answers already_ended when Twilio refuses the update with code 21220', async () => {
    fake.reply({ status: 400, code: 21220, message: 'Call is not in-progress. Cannot redirect.' });
    await expect(control.hangUp('CA00000000000000000000000000000009')).resolves.toBe('already_ended');
  });
});

describe('FakeTwilioApi callbacks', () => {
  it('POSTs the signed voice webhook to the call’s Url and returns the TwiML', async () => {
    const twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Connect/></Response>';
    webhooks.reply = { status: 200, contentType: 'text/xml', body: twiml };
    const { providerCallId } = await control.placeCall(request());

    await expect(fake.answer(providerCallId)).resolves.toBe(twiml);
    const hook = webhooks.received[0]!;
    expect(hook.url).toBe(webhooks.url('/twilio/voice/support-bot'));
    expect(hook.form).toMatchObject({
      CallSid: providerCallId,
      AccountSid: fake.accountSid,
      From: '+15551230000',
      To: '+15557654321',
      Direction: 'outbound-api',
      CallStatus: 'in-progress',
    });
    const check = { authToken: fake.authToken, url: hook.url, params: hook.form };
    expect(validateTwilioSignature({ ...check, signature: hook.headers['x-twilio-signature'] })).toBe(true);
    expect(
      validateTwilioSignature({
        ...check,
        authToken: 'other_token',
        signature: hook.headers['x-twilio-signature'],
      }),
    ).toBe(false);
  });

  it('POSTs signed status callbacks that parse to the call’s status, in order', async () => {
    const { providerCallId } = await control.placeCall(request());
    await fake.sendStatus(providerCallId, 'initiated');
    await fake.sendStatus(providerCallId, 'ringing');
    await fake.sendStatus(providerCallId, 'in-progress');
    await fake.sendStatus(providerCallId, 'completed', { durationSecs: 42 });

    const updates = webhooks.received.map((hook) => {
      expect(hook.url).toBe(webhooks.url('/twilio/status'));
      const signature = hook.headers['x-twilio-signature'];
      expect(
        validateTwilioSignature({ authToken: fake.authToken, url: hook.url, params: hook.form, signature }),
      ).toBe(true);
      return parseTwilioStatusCallback(hook.form);
    });
    expect(updates.map((u) => u?.status)).toEqual(['ringing', 'ringing', 'in_progress', 'completed']);
    expect(updates[3]).toMatchObject({ providerCallId, durationSecs: 42 });
    expect(webhooks.received.map((hook) => hook.form.SequenceNumber)).toEqual(['0', '1', '2', '3']);
  });

  it('refuses to send an event the call did not subscribe to, as Twilio would not', async () => {
    // A call created on the wire without StatusCallbackEvent: Twilio then reports only `completed`.
    const created = await fetch(`${fake.url}/2010-04-01/Accounts/${fake.accountSid}/Calls.json`, {
      method: 'POST',
      headers: { authorization: basic(fake.accountSid, fake.authToken) },
      body: new URLSearchParams({
        To: '+15557654321',
        From: '+15551230000',
        Url: webhooks.url('/twilio/voice/support-bot'),
        StatusCallback: webhooks.url('/twilio/status'),
      }),
    });
    expect(created.status).toBe(201);
    const { sid } = (await created.json()) as { sid: string };
    await expect(fake.sendStatus(sid, 'ringing')).rejects.toThrow(/did not subscribe/);
    await expect(fake.sendStatus(sid, 'no-answer')).resolves.toMatchObject({ status: 200 });
    expect(parseTwilioStatusCallback(webhooks.received[0]?.form)?.status).toBe('no_answer');
  });
});
