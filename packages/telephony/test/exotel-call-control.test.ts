import { describe, expect, it } from 'vitest';
import { ProviderApiError } from '../src/errors.ts';
import type { ExotelCallControl } from '../src/exotel/call-control.ts';
import { parseExotelStatusCallback } from '../src/exotel/status-callback.ts';
import type { FakeExotelApi } from '../src/testing/index.ts';
import { useCallControlFixture } from './helpers/call-control-harness.ts';
import { EXOTEL_STREAM_URL, exotelCalls } from './helpers/call-control-providers.ts';
import type { CallbackReceiver } from './helpers/callback-receiver.ts';

let fake: FakeExotelApi;
let webhooks: CallbackReceiver;
let control: ExotelCallControl;
useCallControlFixture(exotelCalls, (fixture) => {
  ({ fake, webhooks, control } = fixture);
});

const request = (timeLimitSecs?: number) => exotelCalls.request(webhooks, timeLimitSecs);

describe('ExotelCallControl.placeCall', () => {
  it('POSTs Connect Voice AI form fields with Basic key:token and returns Call.Sid', async () => {
    const placed = await control.placeCall(request(900));

    expect(placed.providerCallId).toMatch(/^[0-9a-f]{32}$/);
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/v1/Accounts/${fake.accountSid}/Calls/connect.json`);
    expect(sent.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.apiKey}:${fake.apiToken}`).toString('base64')}`,
    );
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent.body).toEqual({
      From: '+919876543210',
      CallerId: '08047491899',
      StreamUrl: EXOTEL_STREAM_URL,
      StreamType: 'bidirectional',
      StatusCallback: webhooks.url('/exotel/status'),
      'StatusCallbackEvents[0]': 'answered',
      'StatusCallbackEvents[1]': 'terminal',
      TimeLimit: '900',
    });
    expect(fake.streamUrl(placed.providerCallId)).toBe(EXOTEL_STREAM_URL);
    expect(fake.call(placed.providerCallId)?.statusCallbackEvents).toEqual(['answered', 'terminal']);
  });

  it('reports a refused request as a ProviderApiError with RestException’s code and message', async () => {
    fake.reply({ status: 403, code: 10403, message: 'Connect Voice AI is not enabled for this account' });
    const error = await control.placeCall(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderApiError);
    expect(error).toMatchObject({ provider: 'exotel', status: 403, providerCode: 10403, retryable: false });
    expect((error as Error).message).toContain('not enabled');
  });

  it('is refused by the fake, as by Exotel, when the StreamUrl is not ws(s)://', async () => {
    const error = await control
      .placeCall({ ...request(), answerUrl: 'https://voice.example.com/exotel' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, retryable: false });
  });
});

describe('ExotelCallControl.hangUp', () => {
  it('answers not_supported without a request: closing the socket ends the call', async () => {
    const { providerCallId } = await control.placeCall(request());
    await expect(control.hangUp(providerCallId)).resolves.toBe('not_supported');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('FakeExotelApi callbacks', () => {
  it('POSTs answered and terminal callbacks that parse to the call’s status', async () => {
    const { providerCallId } = await control.placeCall(request());
    await fake.sendStatus(providerCallId, 'in-progress');
    await fake.sendStatus(providerCallId, 'completed', { durationSecs: 61 });

    const [answered, terminal] = webhooks.received;
    expect(answered?.url).toBe(webhooks.url('/exotel/status'));
    expect(answered?.form).toMatchObject({
      CallSid: providerCallId,
      EventType: 'answered',
      Status: 'in-progress',
    });
    expect(terminal?.form).toMatchObject({
      EventType: 'terminal',
      Status: 'completed',
      ConversationDuration: '61',
    });
    expect(parseExotelStatusCallback(answered?.form)).toMatchObject({
      providerCallId,
      status: 'in_progress',
    });
    expect(parseExotelStatusCallback(terminal?.form)).toMatchObject({
      providerCallId,
      status: 'completed',
      durationSecs: 61,
    });
  });

  it('refuses to send ringing, which the call did not subscribe to', async () => {
    const { providerCallId } = await control.placeCall(request());
    await expect(fake.sendStatus(providerCallId, 'ringing')).rejects.toThrow(/did not subscribe/);
  });
});
