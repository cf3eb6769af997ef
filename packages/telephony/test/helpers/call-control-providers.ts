import { ExotelCallControl } from '../../src/exotel/call-control.ts';
import { FakeExotelApi, FakeTwilioApi, FakeVobizApi } from '../../src/testing/index.ts';
import { TwilioCallControl } from '../../src/twilio/call-control.ts';
import { VobizCallControl } from '../../src/vobiz/call-control.ts';
import type { CallControlHarness } from './call-control-harness.ts';

// Leaves the key out when there is no limit, as callers do.
const timeLimit = (timeLimitSecs?: number) => (timeLimitSecs === undefined ? {} : { timeLimitSecs });

/** Twilio's call control (twilio-node) against {@link FakeTwilioApi}. */
export const twilioCalls: CallControlHarness<FakeTwilioApi, TwilioCallControl> = {
  name: 'Twilio',
  timeLimitField: 'TimeLimit',
  providerCodes: { status500: 20500, status401: 20003 },
  timeoutMessage: 'no answer (ECONNABORTED)',
  unknownCallId: 'CA00000000000000000000000000000009',
  start: () => FakeTwilioApi.start(),
  control: (fake, overrides = {}) =>
    new TwilioCallControl({
      accountSid: fake.accountSid,
      authToken: overrides.wrongSecret ? 'wrong_token' : fake.authToken,
      apiBaseUrl: overrides.origin ?? fake.url,
      requestTimeoutMs: overrides.requestTimeoutMs,
    }),
  request: (webhooks, timeLimitSecs) => ({
    to: '+15557654321',
    from: '+15551230000',
    answerUrl: webhooks.url('/twilio/voice/support-bot'),
    statusCallbackUrl: webhooks.url('/twilio/status'),
    ...timeLimit(timeLimitSecs),
  }),
};

/** Vobiz's call control against {@link FakeVobizApi}. */
export const vobizCalls: CallControlHarness<FakeVobizApi, VobizCallControl> = {
  name: 'Vobiz',
  timeLimitField: 'time_limit',
  providerCodes: {},
  timeoutMessage: 'no answer within 100 ms',
  unknownCallId: '5a9fd4a0-3d4c-11ef-bef9-0242ac110005',
  start: () => FakeVobizApi.start(),
  control: (fake, overrides = {}) =>
    new VobizCallControl({
      authId: fake.authId,
      authToken: overrides.wrongSecret ? 'wrong' : fake.authToken,
      apiBaseUrl: overrides.origin === undefined ? fake.url : `${overrides.origin}/api/v1`,
      requestTimeoutMs: overrides.requestTimeoutMs,
    }),
  request: (webhooks, timeLimitSecs) => ({
    to: '+918047491899',
    from: '+919876543210',
    answerUrl: webhooks.url('/vobiz/answer/support-bot'),
    statusCallbackUrl: webhooks.url('/vobiz/hangup'),
    ...timeLimit(timeLimitSecs),
  }),
};

/** The `StreamUrl` Exotel's test calls connect to. */
export const EXOTEL_STREAM_URL = 'wss://voice.example.com/ws/exotel/support-bot?sample-rate=8000';

/** Exotel's call control (Connect Voice AI) against {@link FakeExotelApi}. */
export const exotelCalls: CallControlHarness<FakeExotelApi, ExotelCallControl> = {
  name: 'Exotel',
  timeLimitField: 'TimeLimit',
  providerCodes: {},
  timeoutMessage: 'no answer within 100 ms',
  unknownCallId: '0123456789abcdef0123456789abcdef',
  start: () => FakeExotelApi.start(),
  control: (fake, overrides = {}) =>
    new ExotelCallControl({
      accountSid: fake.accountSid,
      apiKey: fake.apiKey,
      apiToken: overrides.wrongSecret ? 'wrong' : fake.apiToken,
      apiBaseUrl: overrides.origin ?? fake.url,
      requestTimeoutMs: overrides.requestTimeoutMs,
    }),
  request: (webhooks, timeLimitSecs) => ({
    to: '+919876543210',
    from: '08047491899',
    answerUrl: EXOTEL_STREAM_URL,
    statusCallbackUrl: webhooks.url('/exotel/status'),
    ...timeLimit(timeLimitSecs),
  }),
};
