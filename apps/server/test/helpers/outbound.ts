/**
 * What the outbound-call tests share: the three fake provider REST APIs, the telephony settings
 * that point the server at them, placing a call through the API, and the stream simulator the
 * answered call opens.
 */
import type { ProviderName } from '@parley/telephony';
import { FakeExotelApi, FakeTwilioApi, FakeVobizApi } from '@parley/telephony/testing';
import { expect } from 'vitest';
import { ExotelCallSimulator } from '../../src/tools/exotel-call-simulator.ts';
import { TwilioCallSimulator } from '../../src/tools/twilio-call-simulator.ts';
import type { TestServer } from './server.ts';
import { api, type JsonResponse, onServer, twilioStreamHeaders } from './telephony.ts';

/** The number outbound test calls dial, E.164. */
export const OUTBOUND_TO = '+15557654321';
/** The caller id of outbound test calls, E.164. */
export const OUTBOUND_FROM = '+15551230000';

/** A fake REST API per provider. */
export interface FakeProviderApis {
  readonly twilio: FakeTwilioApi;
  readonly vobiz: FakeVobizApi;
  readonly exotel: FakeExotelApi;
}

/** Starts the three fakes, each on its own port of 127.0.0.1. */
export async function startFakeProviderApis(): Promise<FakeProviderApis> {
  const [twilio, vobiz, exotel] = await Promise.all([
    FakeTwilioApi.start(),
    FakeVobizApi.start(),
    FakeExotelApi.start(),
  ]);
  return { twilio, vobiz, exotel };
}

/** Closes the fakes (those started, when a `beforeAll` failed half-way). */
export async function closeFakeProviderApis(apis: Partial<FakeProviderApis> | undefined): Promise<void> {
  await Promise.all([apis?.twilio?.close(), apis?.vobiz?.close(), apis?.exotel?.close()]);
}

/** Twilio settings (`PUT /api/telephony-settings`) that point at `api`. */
export const twilioSettings = (api: FakeTwilioApi) => ({
  accountSid: api.accountSid,
  authToken: api.authToken,
  apiBaseUrl: api.url,
});

/** Vobiz settings that point at `api`. */
export const vobizSettings = (api: FakeVobizApi) => ({
  authId: api.authId,
  authToken: api.authToken,
  apiBaseUrl: api.url,
});

/** Exotel settings that point at `api`. */
export const exotelSettings = (api: FakeExotelApi) => ({
  accountSid: api.accountSid,
  apiKey: api.apiKey,
  apiToken: api.apiToken,
  apiBaseUrl: api.url,
});

/** Settings for all three providers, each pointing at its fake. */
export const allProviderSettings = (apis: FakeProviderApis) => ({
  twilio: twilioSettings(apis.twilio),
  vobiz: vobizSettings(apis.vobiz),
  exotel: exotelSettings(apis.exotel),
});

/** `POST /api/calls/outbound` from {@link OUTBOUND_FROM} to {@link OUTBOUND_TO}, `body` added. */
export function placeCall(server: TestServer, body: Record<string, unknown>): Promise<JsonResponse> {
  return api(server, 'POST', '/api/calls/outbound', { to: OUTBOUND_TO, from: OUTBOUND_FROM, ...body });
}

/** Places a call through `provider`; fails the test unless it is accepted (201). */
export async function placedCall(
  server: TestServer,
  provider: ProviderName,
  body: Record<string, unknown>,
): Promise<{ id: string; providerCallId: string }> {
  const res = await placeCall(server, { provider, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: String(res.body.id), providerCallId: String(res.body.providerCallId) };
}

/** The simulator Twilio would open for the `<Stream>` of the TwiML it fetched, signed with `authToken`. */
export function twilioStreamSimulator(
  server: TestServer,
  stream: { url: string; parameters: Record<string, string> },
  callSid: string,
  authToken: string,
): TwilioCallSimulator {
  return new TwilioCallSimulator({
    url: onServer(server, stream.url),
    customParameters: stream.parameters,
    callSid,
    headers: twilioStreamHeaders(authToken, stream.url),
  });
}

/** The simulator Exotel would open on the `StreamUrl` of a connect request: its query pairs are the custom parameters. */
export function exotelStreamSimulator(streamUrl: URL, callSid: string): ExotelCallSimulator {
  return new ExotelCallSimulator({
    url: streamUrl.toString(),
    customParameters: Object.fromEntries(streamUrl.searchParams),
    callSid,
  });
}
