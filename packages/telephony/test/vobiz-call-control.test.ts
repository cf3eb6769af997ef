import { describe, expect, it } from 'vitest';
import { ProviderApiError } from '../src/errors.ts';
import type { FakeVobizApi } from '../src/testing/index.ts';
import type { VobizCallControl } from '../src/vobiz/call-control.ts';
import { validateVobizSignature } from '../src/vobiz/signature.ts';
import { parseVobizStatusCallback } from '../src/vobiz/status-callback.ts';
import { useCallControlFixture } from './helpers/call-control-harness.ts';
import { vobizCalls } from './helpers/call-control-providers.ts';
import type { CallbackReceiver } from './helpers/callback-receiver.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let fake: FakeVobizApi;
let webhooks: CallbackReceiver;
let control: VobizCallControl;
useCallControlFixture(vobizCalls, (fixture) => {
  ({ fake, webhooks, control } = fixture);
});

const request = (timeLimitSecs?: number) => vobizCalls.request(webhooks, timeLimitSecs);

describe('VobizCallControl.placeCall', () => {
  it('POSTs the make-call JSON with X-Auth-ID / X-Auth-Token and returns request_uuid', async () => {
    const placed = await control.placeCall(request(300));

    expect(placed.providerCallId).toMatch(UUID);
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/api/v1/Account/${fake.authId}/Call/`);
    expect(sent.headers['x-auth-id']).toBe(fake.authId);
    expect(sent.headers['x-auth-token']).toBe(fake.authToken);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body).toEqual({
      from: '+919876543210',
      to: '+918047491899',
      answer_url: webhooks.url('/vobiz/answer/support-bot'),
      answer_method: 'POST',
      hangup_url: webhooks.url('/vobiz/hangup'),
      hangup_method: 'POST',
      time_limit: 300,
    });
    expect(fake.call(placed.providerCallId)?.status).toBe('queued');
  });

  it('reports a refused request as a ProviderApiError that is not retryable, with Vobiz’s error text', async () => {
    fake.reply({ status: 400, message: 'invalid from number' });
    const error = await control.placeCall(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderApiError);
    expect(error).toMatchObject({
      provider: 'vobiz',
      status: 400,
      providerCode: undefined,
      retryable: false,
    });
    expect((error as Error).message).toContain('invalid from number');
  });

  it('reports a 2xx answer without request_uuid as a ProviderApiError that is not retryable', async () => {
    const broken = vobizCalls.control(fake, { origin: webhooks.origin });
    webhooks.reply = { status: 201, contentType: 'application/json', body: '{"message":"Call fired"}' };
    await expect(broken.placeCall(request())).rejects.toMatchObject({ status: 201, retryable: false });
  });
});

describe('VobizCallControl.hangUp', () => {
  it('DELETEs the call (204) and answers ended', async () => {
    const { providerCallId } = await control.placeCall(request());
    await fake.answer(providerCallId);

    await expect(control.hangUp(providerCallId)).resolves.toBe('ended');
    const sent = fake.requests[1]!;
    expect(sent.method).toBe('DELETE');
    expect(sent.path).toBe(`/api/v1/Account/${fake.authId}/Call/${providerCallId}/`);
    expect(sent.headers['x-auth-id']).toBe(fake.authId);
    expect(sent.headers['x-auth-token']).toBe(fake.authToken);
    expect(sent.body).toBeUndefined();
    expect(fake.call(providerCallId)?.status).toBe('completed');
  });

  it('answers already_ended on 404: an unknown call, or one hung up before', async () => {
    await expect(control.hangUp('5a9fd4a0-3d4c-11ef-bef9-0242ac110005')).resolves.toBe('already_ended');
    const { providerCallId } = await control.placeCall(request());
    await expect(control.hangUp(providerCallId)).resolves.toBe('ended');
    await expect(control.hangUp(providerCallId)).resolves.toBe('already_ended');
  });
});

describe('FakeVobizApi callbacks', () => {
  it('POSTs the answer_url signed (V3 and V2) and returns the XML', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Response><Stream>wss://x/ws</Stream></Response>';
    webhooks.reply = { status: 200, contentType: 'application/xml', body: xml };
    const { providerCallId } = await control.placeCall(request());

    await expect(fake.answer(providerCallId)).resolves.toBe(xml);
    const hook = webhooks.received[0]!;
    expect(hook.url).toBe(webhooks.url('/vobiz/answer/support-bot'));
    expect(hook.form).toMatchObject({
      CallUUID: providerCallId,
      From: '+919876543210',
      To: '+918047491899',
      Direction: 'outbound',
      CallStatus: 'in-progress',
      Event: 'StartApp',
    });
    expect(hook.headers['x-vobiz-signature-v3-nonce']).toMatch(/^\d{20}$/);
    expect(validateVobizSignature({ authToken: fake.authToken, url: hook.url, headers: hook.headers })).toBe(
      true,
    );
    const v3Only = { ...hook.headers, 'x-vobiz-signature-v2': undefined };
    expect(validateVobizSignature({ authToken: fake.authToken, url: hook.url, headers: v3Only })).toBe(true);
    expect(validateVobizSignature({ authToken: 'other', url: hook.url, headers: hook.headers })).toBe(false);
  });

  it('POSTs the signed Hangup callback to hangup_url, which parses to the final status', async () => {
    const { providerCallId } = await control.placeCall(request());
    await fake.answer(providerCallId);
    await fake.sendStatus(providerCallId, 'completed', { durationSecs: 37 });

    const hook = webhooks.received[1]!;
    expect(hook.url).toBe(webhooks.url('/vobiz/hangup'));
    expect(hook.form).toMatchObject({
      Event: 'Hangup',
      CallStatus: 'completed',
      HangupCause: 'NORMAL_CLEARING',
    });
    expect(validateVobizSignature({ authToken: fake.authToken, url: hook.url, headers: hook.headers })).toBe(
      true,
    );
    expect(parseVobizStatusCallback(hook.form)).toMatchObject({
      providerCallId,
      status: 'completed',
      durationSecs: 37,
    });
    await expect(control.hangUp(providerCallId)).resolves.toBe('already_ended');
  });

  it('has no ring_url to send ringing to when the call was placed without one', async () => {
    const { providerCallId } = await control.placeCall(request());
    await expect(fake.sendStatus(providerCallId, 'ringing')).rejects.toThrow(/ring_url/);
  });
});
