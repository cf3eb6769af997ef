import type { ProviderName } from '@parley/telephony';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call } from '../src/db/call-types.ts';
import { exotelStatusToken } from '../src/telephony/webhook-auth.ts';
import type { CallSimulator } from '../src/tools/call-simulator.ts';
import { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';
import {
  allProviderSettings,
  closeFakeProviderApis,
  exotelSettings,
  exotelStreamSimulator,
  type FakeProviderApis,
  OUTBOUND_FROM,
  OUTBOUND_TO,
  placeCall,
  placedCall,
  startFakeProviderApis,
  twilioSettings,
  twilioStreamSimulator,
  vobizSettings,
} from './helpers/outbound.ts';
import {
  callWithStatus,
  GREETING_AGENT,
  putAgent,
  putSettings,
  readTwiml,
  readVobizXml,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

const TO = OUTBOUND_TO;
const FROM = OUTBOUND_FROM;
const AGENT = 'caller';
const GREETING = 'Hello Ada, this is Parley.';

describe('outbound calls', () => {
  let server: TelephonyTestServer;
  let apis: FakeProviderApis;

  beforeAll(async () => {
    [server, apis] = await Promise.all([startTelephonyTestServer(), startFakeProviderApis()]);
    await putAgent(server, AGENT, GREETING_AGENT);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), closeFakeProviderApis(apis)]);
  });

  const place = (body: Record<string, unknown>) =>
    placeCall(server, { agent: AGENT, context: { name: 'Ada' }, ...body });

  /** Places a call through `provider`; returns our call id and the provider's. */
  const placed = (provider: ProviderName) =>
    placedCall(server, provider, { agent: AGENT, context: { name: 'Ada' } });

  /** The newest call row. */
  async function newestCall(): Promise<Call> {
    const { calls } = await server.parley.calls.list({ limit: 1 });
    return (await server.parley.calls.get(calls[0]!.id))!;
  }

  /**
   * Plays the answered call: the greeting must be heard with the context filled in; then the
   * callee hangs up and the call ends `completed`, without a REST hang-up.
   */
  async function converse(id: string, sim: CallSimulator, restRequests: () => number): Promise<Call> {
    await sim.connect();
    sim.start();
    await callWithStatus(server, id, 'in_progress');
    await sim.withSilence(() =>
      expect
        .poll(
          async () => (await server.parley.events.list(id)).find((e) => e.type === 'agent_spoke')?.data.text,
          {
            timeout: 10_000,
          },
        )
        .toBe(GREETING),
    );
    expect(server.spoken()).toContain(GREETING);
    expect(sim.heardAudio().length).toBeGreaterThan(0);
    const requestsBefore = restRequests();
    sim.hangUp();
    await sim.closed();
    const call = await callWithStatus(server, id, 'completed');
    expect(call.transcript[0]).toMatchObject({ role: 'assistant', text: GREETING });
    expect(restRequests()).toBe(requestsBefore);
    return call;
  }

  /** A final status after the session stored the call changes nothing and raises no error. */
  async function lateCompletedChangesNothing(before: Call, send: () => Promise<{ status: number }>) {
    expect((await send()).status).toBe(204);
    const after = (await server.parley.calls.get(before.id))!;
    expect(after).toMatchObject({
      status: 'completed',
      endReason: before.endReason,
      durationMs: before.durationMs,
      transcript: before.transcript,
    });
    const events = await server.parley.events.list(before.id);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
  }

  it('places a Twilio call that reaches the agent with its context when answered', async () => {
    await putSettings(server, { twilio: twilioSettings(apis.twilio) });
    const res = await place({ provider: 'twilio' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      provider: 'twilio',
      direction: 'outbound',
      status: 'ringing',
      agentId: AGENT,
      to: TO,
      from: FROM,
      context: { name: 'Ada' },
    });
    const id = String(res.body.id);
    const sid = String(res.body.providerCallId);
    expect(sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(apis.twilio.requests).toHaveLength(1);
    const request = apis.twilio.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${apis.twilio.accountSid}/Calls.json`);
    expect(request.body).toMatchObject({
      To: TO,
      From: FROM,
      Url: `${server.url}/telephony/twilio/inbound/${AGENT}?callId=${id}`,
      Method: 'POST',
      StatusCallback: `${server.url}/telephony/twilio/status?callId=${id}`,
      StatusCallbackMethod: 'POST',
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });

    expect((await apis.twilio.sendStatus(sid, 'initiated')).status).toBe(204);
    expect((await apis.twilio.sendStatus(sid, 'ringing')).status).toBe(204);
    expect((await server.parley.calls.get(id))?.status).toBe('ringing');

    const { url, parameters } = readTwiml(await apis.twilio.answer(sid));
    expect(url).toBe(`${server.wsUrl.replace('ws:', 'wss:')}/ws/twilio/${AGENT}`);
    expect(parameters).toMatchObject({
      callId: id,
      agentId: AGENT,
      token: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect((await apis.twilio.sendStatus(sid, 'in-progress')).status).toBe(204);
    const sim = twilioStreamSimulator(server, { url, parameters }, sid, apis.twilio.authToken);
    const call = await converse(id, sim, () => apis.twilio.requests.length);
    expect(call).toMatchObject({ providerCallId: sid, endReason: 'caller_hung_up', direction: 'outbound' });
    await lateCompletedChangesNothing(call, () =>
      apis.twilio.sendStatus(sid, 'completed', { durationSecs: 2 }),
    );
  });

  it('places a Vobiz call that reaches the agent with its context when answered', async () => {
    await putSettings(server, { vobiz: vobizSettings(apis.vobiz) });
    const before = apis.vobiz.requests.length;
    const res = await place({ provider: 'vobiz' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ provider: 'vobiz', direction: 'outbound', status: 'ringing' });
    const id = String(res.body.id);
    const uuid = String(res.body.providerCallId);
    expect(apis.vobiz.requests).toHaveLength(before + 1);
    const request = apis.vobiz.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/api/v1/Account/${apis.vobiz.authId}/Call/`);
    expect(request.headers['x-auth-id']).toBe(apis.vobiz.authId);
    expect(request.body).toEqual({
      from: FROM,
      to: TO,
      answer_url: `${server.url}/telephony/vobiz/inbound/${AGENT}?callId=${id}`,
      answer_method: 'POST',
      hangup_url: `${server.url}/telephony/vobiz/status?callId=${id}`,
      hangup_method: 'POST',
    });

    const url = readVobizXml(await apis.vobiz.answer(uuid));
    expect(url).toMatch(new RegExp(`^${server.wsUrl}/ws/vobiz/${AGENT}/${id}/[0-9a-f]{32}$`));
    const sim = new VobizCallSimulator({ url, callId: uuid });
    const call = await converse(id, sim, () => apis.vobiz.requests.length);
    expect(call.providerCallId).toBe(uuid);
    await lateCompletedChangesNothing(call, () =>
      apis.vobiz.sendStatus(uuid, 'completed', { durationSecs: 2 }),
    );
  });

  it('places an Exotel call that streams to the agent with its context when answered', async () => {
    await putSettings(server, { exotel: exotelSettings(apis.exotel) });
    const res = await place({ provider: 'exotel' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ provider: 'exotel', direction: 'outbound', status: 'ringing' });
    const id = String(res.body.id);
    const sid = String(res.body.providerCallId);
    expect(apis.exotel.requests).toHaveLength(1);
    const request = apis.exotel.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/v1/Accounts/${apis.exotel.accountSid}/Calls/connect.json`);
    expect(request.body).toMatchObject({
      From: TO, // Exotel dials From and shows CallerId
      CallerId: FROM,
      StreamType: 'bidirectional',
      StatusCallback: `${server.url}/telephony/exotel/status?callId=${id}&sig=${exotelStatusToken(apis.exotel.apiToken, id)}`,
      'StatusCallbackEvents[0]': 'answered',
      'StatusCallbackEvents[1]': 'terminal',
    });
    const streamUrl = new URL(apis.exotel.streamUrl(sid));
    expect(`${streamUrl.protocol}//${streamUrl.host}${streamUrl.pathname}`).toBe(
      `${server.wsUrl}/ws/exotel/${AGENT}`,
    );
    // The stream authenticates with the Basic credentials it carries, as the Voicebot applet's does.
    expect([streamUrl.username, streamUrl.password]).toEqual([apis.exotel.apiKey, apis.exotel.apiToken]);
    expect(streamUrl.searchParams.get('callId')).toBe(id);
    expect(streamUrl.searchParams.get('token')).toMatch(/^[0-9a-f]{32}$/);

    expect((await apis.exotel.sendStatus(sid, 'in-progress')).status).toBe(204);
    expect((await server.parley.calls.get(id))?.status).toBe('in_progress');
    const sim = exotelStreamSimulator(streamUrl, sid);
    const call = await converse(id, sim, () => apis.exotel.requests.length);
    expect(call).toMatchObject({ providerCallId: sid, endReason: 'caller_hung_up' });
    await lateCompletedChangesNothing(call, () =>
      apis.exotel.sendStatus(sid, 'completed', { durationSecs: 2 }),
    );
  });

  it('ends a Twilio call that was busy', async () => {
    await putSettings(server, { twilio: twilioSettings(apis.twilio) });
    const { id, providerCallId } = await placed('twilio');
    expect((await apis.twilio.sendStatus(providerCallId, 'ringing')).status).toBe(204);
    expect((await apis.twilio.sendStatus(providerCallId, 'busy')).status).toBe(204);
    const call = await callWithStatus(server, id, 'busy');
    expect(call).toMatchObject({ endReason: 'provider_busy', durationMs: null, answeredAt: null });
  });

  it('ends a Vobiz call nobody answered', async () => {
    await putSettings(server, { vobiz: vobizSettings(apis.vobiz) });
    const { id, providerCallId } = await placed('vobiz');
    expect((await apis.vobiz.sendStatus(providerCallId, 'no-answer')).status).toBe(204);
    const call = await callWithStatus(server, id, 'no_answer');
    expect(call.endReason).toBe('provider_no_answer');
  });

  it('ends an Exotel call nobody answered', async () => {
    await putSettings(server, { exotel: exotelSettings(apis.exotel) });
    const { id, providerCallId } = await placed('exotel');
    expect((await apis.exotel.sendStatus(providerCallId, 'no-answer')).status).toBe(204);
    const call = await callWithStatus(server, id, 'no_answer');
    expect(call.endReason).toBe('provider_no_answer');
  });

  it.each(['twilio', 'vobiz', 'exotel'] as const)(
    'answers 502 provider_error and stores the call failed when %s refuses it',
    async (provider) => {
      await putSettings(server, allProviderSettings(apis));
      const fake = { twilio: apis.twilio, vobiz: apis.vobiz, exotel: apis.exotel }[provider];
      fake.reply({ status: 500, message: 'scripted outage' });
      const res = await place({ provider });
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: 'provider_error' });
      const call = await newestCall();
      expect(call).toMatchObject({
        provider,
        status: 'failed',
        endReason: 'provider_error',
        providerCallId: null,
      });
    },
  );

  it('refuses a call when no provider can place it', async () => {
    await putSettings(server, {});
    const none = await place({});
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: 'no_provider' });
    const unconfigured = await place({ provider: 'vobiz' });
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body.error).toMatchObject({ code: 'provider_not_configured' });
    // Credentials without the account id cannot place calls either.
    await putSettings(server, { twilio: { authToken: 'token-only' } });
    expect((await place({ provider: 'twilio' })).body.error).toMatchObject({
      code: 'provider_not_configured',
    });
    // Two configured providers and no default: which one is ambiguous.
    await putSettings(server, { twilio: twilioSettings(apis.twilio), vobiz: vobizSettings(apis.vobiz) });
    expect((await place({})).body.error).toMatchObject({ code: 'no_provider' });
  });

  it('uses the default provider, else the only configured one, when the request names none', async () => {
    await putSettings(server, {
      defaultProvider: 'vobiz',
      twilio: twilioSettings(apis.twilio),
      vobiz: vobizSettings(apis.vobiz),
    });
    const byDefault = await place({});
    expect(byDefault.status).toBe(201);
    expect(byDefault.body.provider).toBe('vobiz');
    await apis.vobiz.sendStatus(String(byDefault.body.providerCallId), 'cancel');
    await putSettings(server, { twilio: twilioSettings(apis.twilio) });
    const only = await place({});
    expect(only.status).toBe(201);
    expect(only.body.provider).toBe('twilio');
    await apis.twilio.sendStatus(String(only.body.providerCallId), 'canceled');
  });

  it('answers 404 for an unknown agent, and stores nothing', async () => {
    await putSettings(server, { twilio: twilioSettings(apis.twilio) });
    const { total } = await server.parley.calls.list();
    const requests = apis.twilio.requests.length;
    const res = await place({ agent: 'nobody', provider: 'twilio' });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'agent_not_found' });
    expect((await server.parley.calls.list()).total).toBe(total);
    expect(apis.twilio.requests).toHaveLength(requests);
  });

  it.each([
    ['no number to call', { to: undefined }, 'to'],
    ['a number that is not one', { to: 'call me maybe' }, 'to'],
    ['an unknown provider', { provider: 'plivo' }, 'provider'],
    ['an unknown key', { priority: 'high' }, '"priority"'],
    ['a nested context value', { context: { name: { first: 'Ada' } } }, 'context.name'],
    ['no agent', { agent: '' }, 'agent'],
  ])('answers 400 invalid_body for %s', async (_, body, path) => {
    const res = await place({ provider: 'twilio', ...body });
    expect(res.status).toBe(400);
    const error = res.body.error as { code: string; issues: string[] };
    expect(error.code).toBe('invalid_body');
    expect(
      error.issues.some((issue) => issue.includes(path)),
      error.issues.join('; '),
    ).toBe(true);
  });

  it('answers 429 over the concurrency limit, stores that call busy, and frees the place when a call ends', async () => {
    await putSettings(server, { maxConcurrentCalls: 1, twilio: twilioSettings(apis.twilio) });
    const first = await placed('twilio');
    const requests = apis.twilio.requests.length;
    const over = await place({ provider: 'twilio' });
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ code: 'concurrency_limit' });
    expect(apis.twilio.requests).toHaveLength(requests);
    expect(await newestCall()).toMatchObject({
      status: 'busy',
      endReason: 'concurrency_limit',
      direction: 'outbound',
      context: { name: 'Ada' },
    });
    // The pending call ends unanswered: its place is free again.
    await apis.twilio.sendStatus(first.providerCallId, 'no-answer');
    await callWithStatus(server, first.id, 'no_answer');
    const next = await placed('twilio');
    await apis.twilio.sendStatus(next.providerCallId, 'canceled');
    await callWithStatus(server, next.id, 'canceled');
    // A call the provider refused holds no place either.
    apis.twilio.reply({ status: 503 });
    expect((await place({ provider: 'twilio' })).status).toBe(502);
    const last = await placed('twilio');
    await apis.twilio.sendStatus(last.providerCallId, 'canceled');
  });
});
