import { describe, expect, it } from 'vitest';
import { ProviderApiError } from '../src/errors.ts';
import type { ExotelCallControl } from '../src/exotel/call-control.ts';
import type { FakeExotelApi, FakeTwilioApi, FakeVobizApi } from '../src/testing/index.ts';
import type { TwilioCallControl } from '../src/twilio/call-control.ts';
import { dialTwiml } from '../src/twilio/twiml.ts';
import type { VobizCallControl } from '../src/vobiz/call-control.ts';
import { validateVobizSignature } from '../src/vobiz/signature.ts';
import { vobizDialXml } from '../src/vobiz/xml.ts';
import { useCallControlFixture } from './helpers/call-control-harness.ts';
import { exotelCalls, twilioCalls, vobizCalls } from './helpers/call-control-providers.ts';
import type { CallbackReceiver } from './helpers/callback-receiver.ts';

const SALES = '+15550001111';
const OUR_NUMBER = '+15551230000';

describe('dialTwiml', () => {
  it('dials the number with the caller ID, escaped by twilio-node', () => {
    expect(dialTwiml({ to: SALES, callerId: OUR_NUMBER })).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="${OUR_NUMBER}"><Number>${SALES}</Number></Dial></Response>`,
    );
    expect(dialTwiml({ to: SALES })).toContain(`<Dial><Number>${SALES}</Number></Dial>`);
  });

  it('refuses what is not an E.164 number (no markup can get in)', () => {
    expect(() => dialTwiml({ to: '5550001111' })).toThrow(TypeError);
    expect(() => dialTwiml({ to: '+1555</Number><Number>+1666' })).toThrow(TypeError);
    expect(() => dialTwiml({ to: SALES, callerId: 'sales' })).toThrow(/callerId/);
  });
});

describe('vobizDialXml', () => {
  it('dials the number with the caller ID', () => {
    expect(vobizDialXml({ to: SALES, callerId: OUR_NUMBER })).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="${OUR_NUMBER}"><Number>${SALES}</Number></Dial></Response>`,
    );
    expect(vobizDialXml({ to: SALES })).toContain('<Dial><Number>');
  });

  it('refuses what is not an E.164 number', () => {
    expect(() => vobizDialXml({ to: '+0123456' })).toThrow(TypeError);
    expect(() => vobizDialXml({ to: `${SALES}"` })).toThrow(TypeError);
    expect(() => vobizDialXml({ to: SALES, callerId: '+1 555 123' })).toThrow(/callerId/);
  });
});

describe('TwilioCallControl.transfer', () => {
  let fake: FakeTwilioApi;
  let webhooks: CallbackReceiver;
  let control: TwilioCallControl;
  useCallControlFixture(twilioCalls, (fixture) => {
    ({ fake, webhooks, control } = fixture);
  });

  async function answeredCall(): Promise<string> {
    const { providerCallId } = await control.placeCall(twilioCalls.request(webhooks));
    await fake.answer(providerCallId);
    return providerCallId;
  }

  it('updates the live call with <Dial> TwiML through twilio-node', async () => {
    const sid = await answeredCall();
    const sent = fake.requests.length;

    await expect(control.transfer(sid, { to: SALES, callerId: OUR_NUMBER })).resolves.toBe('transferred');
    expect(fake.requests).toHaveLength(sent + 1);
    const update = fake.requests.at(-1)!;
    expect(update.method).toBe('POST');
    expect(update.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Calls/${sid}.json`);
    expect(update.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`,
    );
    expect(update.body).toEqual({ Twiml: dialTwiml({ to: SALES, callerId: OUR_NUMBER }) });
    expect(fake.call(sid)).toMatchObject({ status: 'in-progress', twiml: update.body?.Twiml });
  });

  it('answers already_ended for a call that is not in progress (code 21220) or unknown (20404)', async () => {
    const { providerCallId } = await control.placeCall(twilioCalls.request(webhooks));
    await expect(control.transfer(providerCallId, { to: SALES })).resolves.toBe('already_ended');
    await expect(control.transfer(twilioCalls.unknownCallId, { to: SALES })).resolves.toBe('already_ended');
  });

  it('reports another refusal as a ProviderApiError of operation transfer', async () => {
    const sid = await answeredCall();
    fake.reply({ status: 400, code: 13214, message: 'Dial: Invalid callerId value' });
    const error = await control.transfer(sid, { to: SALES, callerId: OUR_NUMBER }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderApiError);
    expect(error).toMatchObject({
      provider: 'twilio',
      operation: 'transfer',
      status: 400,
      providerCode: 13214,
    });
    expect((error as Error).message).toMatch(/^twilio transfer failed: HTTP 400/);
  });

  it('sends nothing for a number that is not E.164', async () => {
    const sid = await answeredCall();
    const sent = fake.requests.length;
    await expect(control.transfer(sid, { to: 'sales' })).rejects.toThrow(TypeError);
    expect(fake.requests).toHaveLength(sent);
  });
});

describe('VobizCallControl.transfer', () => {
  let fake: FakeVobizApi;
  let webhooks: CallbackReceiver;
  let control: VobizCallControl;
  useCallControlFixture(vobizCalls, (fixture) => {
    ({ fake, webhooks, control } = fixture);
  });

  async function answeredCall(): Promise<string> {
    const { providerCallId } = await control.placeCall(vobizCalls.request(webhooks));
    await fake.answer(providerCallId);
    return providerCallId;
  }

  it('POSTs Transfer a Call for the A leg with our XML URL, and Vobiz fetches it signed', async () => {
    const uuid = await answeredCall();
    const sent = fake.requests.length;
    const instructionsUrl = webhooks.url('/vobiz/transfer/call-1/sales');

    await expect(control.transfer(uuid, { to: SALES, instructionsUrl })).resolves.toBe('transferred');
    expect(fake.requests).toHaveLength(sent + 1);
    const transfer = fake.requests.at(-1)!;
    expect(transfer.method).toBe('POST');
    expect(transfer.path).toBe(`/api/v1/Account/${fake.authId}/Call/${uuid}/`);
    expect(transfer.headers['x-auth-id']).toBe(fake.authId);
    expect(transfer.headers['x-auth-token']).toBe(fake.authToken);
    expect(transfer.headers['content-type']).toBe('application/json');
    expect(transfer.body).toEqual({ legs: 'aleg', aleg_url: instructionsUrl, aleg_method: 'POST' });

    webhooks.reply = { status: 200, contentType: 'application/xml', body: vobizDialXml({ to: SALES }) };
    const fetched = await fake.followTransfer(uuid);
    expect(fetched.body).toContain(`<Number>${SALES}</Number>`);
    const hook = webhooks.received.at(-1)!;
    expect(hook.url).toBe(instructionsUrl);
    expect(hook.form).toMatchObject({ CallUUID: uuid, CallStatus: 'in-progress' });
    expect(validateVobizSignature({ authToken: fake.authToken, url: hook.url, headers: hook.headers })).toBe(
      true,
    );
  });

  it('answers already_ended for a call Vobiz does not know or that ended (404)', async () => {
    const instructionsUrl = webhooks.url('/vobiz/transfer');
    await expect(control.transfer(vobizCalls.unknownCallId, { to: SALES, instructionsUrl })).resolves.toBe(
      'already_ended',
    );
    const uuid = await answeredCall();
    await fake.sendStatus(uuid, 'completed');
    await expect(control.transfer(uuid, { to: SALES, instructionsUrl })).resolves.toBe('already_ended');
  });

  it('reports another refusal as a ProviderApiError of operation transfer, with Vobiz’s text', async () => {
    const uuid = await answeredCall();
    fake.reply({ status: 500, message: 'transfer failed upstream' });
    const error = await control
      .transfer(uuid, { to: SALES, instructionsUrl: webhooks.url('/x') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderApiError);
    expect(error).toMatchObject({ provider: 'vobiz', operation: 'transfer', status: 500, retryable: true });
    expect((error as Error).message).toContain('transfer failed upstream');
  });

  it('sends nothing without an absolute http(s) instructionsUrl', async () => {
    const uuid = await answeredCall();
    const sent = fake.requests.length;
    await expect(control.transfer(uuid, { to: SALES })).rejects.toThrow(/instructionsUrl/);
    await expect(control.transfer(uuid, { to: SALES, instructionsUrl: '/relative' })).rejects.toThrow(
      TypeError,
    );
    expect(fake.requests).toHaveLength(sent);
  });
});

describe('ExotelCallControl.transfer', () => {
  let fake: FakeExotelApi;
  let control: ExotelCallControl;
  useCallControlFixture(exotelCalls, (fixture) => {
    ({ fake, control } = fixture);
  });

  it('answers not_supported without a request', async () => {
    await expect(control.transfer('0123456789abcdef0123456789abcdef', { to: SALES })).resolves.toBe(
      'not_supported',
    );
    expect(fake.requests).toEqual([]);
  });

  it('rejects with the reason of a signal that already fired', async () => {
    const reason = new Error('call over');
    await expect(
      control.transfer('0123456789abcdef0123456789abcdef', { to: SALES }, AbortSignal.abort(reason)),
    ).rejects.toBe(reason);
  });
});
