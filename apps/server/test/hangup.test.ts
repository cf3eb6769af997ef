import { setTimeout as sleep } from 'node:timers/promises';
import { FakeExotelApi, FakeTwilioApi, FakeVobizApi } from '@parley/telephony/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call } from '../src/db/call-types.ts';
import type { CallSimulator } from '../src/tools/call-simulator.ts';
import { ExotelCallSimulator } from '../src/tools/exotel-call-simulator.ts';
import { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';
import { answerTwilio } from './helpers/answer.ts';
import {
  api,
  callWithStatus,
  GREETING_AGENT,
  onServer,
  putAgent,
  putSettings,
  readTwiml,
  readVobizXml,
  startTelephonyTestServer,
  type TelephonyTestServer,
  twilioStreamHeaders,
} from './helpers/telephony.ts';

/** Hangs up after a second: the agent ends every call. */
const SHORT = 'short';
/** Talks until the caller hangs up. */
const PATIENT = 'patient';
/**
 * How long to wait to be sure a REST hang-up is not coming: the server sends it right after
 * storing the call, within milliseconds; nothing can be polled for the absence of a request.
 */
const NO_HANGUP_GRACE_MS = 500;

describe('hanging up through the provider', () => {
  let server: TelephonyTestServer;
  let twilioApi: FakeTwilioApi;
  let vobizApi: FakeVobizApi;
  let exotelApi: FakeExotelApi;

  beforeAll(async () => {
    [server, twilioApi, vobizApi, exotelApi] = await Promise.all([
      startTelephonyTestServer(),
      FakeTwilioApi.start(),
      FakeVobizApi.start(),
      FakeExotelApi.start(),
    ]);
    await putAgent(server, SHORT, { ...GREETING_AGENT, maxDurationSecs: 1 });
    await putAgent(server, PATIENT, GREETING_AGENT);
    await putSettings(server, {
      twilio: { accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, apiBaseUrl: twilioApi.url },
      vobiz: { authId: vobizApi.authId, authToken: vobizApi.authToken, apiBaseUrl: vobizApi.url },
      exotel: {
        accountSid: exotelApi.accountSid,
        apiKey: exotelApi.apiKey,
        apiToken: exotelApi.apiToken,
        apiBaseUrl: exotelApi.url,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), twilioApi?.close(), vobizApi?.close(), exotelApi?.close()]);
  });

  async function placed(
    provider: 'twilio' | 'vobiz' | 'exotel',
    agent: string,
  ): Promise<{ id: string; providerCallId: string }> {
    const res = await api(server, 'POST', '/api/calls/outbound', {
      agent,
      to: '+15557654321',
      from: '+15551230000',
      provider,
      context: { name: 'Ada' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: String(res.body.id), providerCallId: String(res.body.providerCallId) };
  }

  /** The callee answers a Twilio call we placed: the signed webhook, then the signed stream. */
  async function answeredTwilio(
    agent: string,
  ): Promise<{ id: string; sid: string; sim: TwilioCallSimulator }> {
    const { id, providerCallId: sid } = await placed('twilio', agent);
    const { url, parameters } = readTwiml(await twilioApi.answer(sid));
    const sim = new TwilioCallSimulator({
      url: onServer(server, url),
      customParameters: parameters,
      callSid: sid,
      headers: twilioStreamHeaders(twilioApi.authToken, url),
    });
    await started(id, sim);
    return { id, sid, sim };
  }

  async function answeredVobiz(
    agent: string,
  ): Promise<{ id: string; uuid: string; sim: VobizCallSimulator }> {
    const { id, providerCallId: uuid } = await placed('vobiz', agent);
    const sim = new VobizCallSimulator({ url: readVobizXml(await vobizApi.answer(uuid)), callId: uuid });
    await started(id, sim);
    return { id, uuid, sim };
  }

  async function started(id: string, sim: CallSimulator): Promise<void> {
    await sim.connect();
    sim.start();
    await callWithStatus(server, id, 'in_progress');
  }

  /** Waits, the line carrying silence, until the server closes the socket; returns the stored call. */
  async function endedByServer(id: string, sim: CallSimulator): Promise<{ code: number; call: Call }> {
    const { code } = await sim.withSilence(() => sim.closed());
    return { code, call: await callWithStatus(server, id, 'completed') };
  }

  const errorEvents = async (id: string) =>
    (await server.parley.events.list(id)).filter((e) => e.type === 'error');

  it('Twilio: the agent ending the call closes the stream and completes the call over REST', async () => {
    const { id, sid, sim } = await answeredTwilio(SHORT);
    const requests = twilioApi.requests.length;
    const { code, call } = await endedByServer(id, sim);
    expect(code).toBe(1000);
    expect(call.endReason).toBe('max_duration');
    await expect.poll(() => twilioApi.requests.length).toBe(requests + 1);
    const hangUp = twilioApi.requests.at(-1)!;
    expect(hangUp.method).toBe('POST');
    expect(hangUp.path).toBe(`/2010-04-01/Accounts/${twilioApi.accountSid}/Calls/${sid}.json`);
    expect(hangUp.body).toEqual({ Status: 'completed' });
    expect(twilioApi.call(sid)?.status).toBe('completed');
    // Twilio's stream has no stop message of ours: the socket just closes.
    expect(sim.received.map((m) => m.event)).not.toContain('stop');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Vobiz: the agent ending the call sends stop on the stream, then DELETEs the call', async () => {
    const { id, uuid, sim } = await answeredVobiz(SHORT);
    const requests = vobizApi.requests.length;
    const { code, call } = await endedByServer(id, sim);
    expect(code).toBe(1000);
    expect(call.endReason).toBe('max_duration');
    expect(sim.messages('stop').map((m) => m.raw)).toEqual([{ event: 'stop', streamId: sim.streamId }]);
    // The goodbye was not cut: every 20 ms chunk sent was played before the stop.
    expect(sim.heardAudio().length).toBe(sim.messages('playAudio').length * 160);
    await expect.poll(() => vobizApi.requests.length).toBe(requests + 1);
    const hangUp = vobizApi.requests.at(-1)!;
    expect(hangUp.method).toBe('DELETE');
    expect(hangUp.path).toBe(`/api/v1/Account/${vobizApi.authId}/Call/${uuid}/`);
    expect(hangUp.headers['x-auth-id']).toBe(vobizApi.authId);
    expect(vobizApi.call(uuid)?.status).toBe('completed');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Exotel: the agent ending the call closes the stream, and no REST request is made', async () => {
    const { id, providerCallId: sid } = await placed('exotel', SHORT);
    const streamUrl = new URL(exotelApi.streamUrl(sid));
    const sim = new ExotelCallSimulator({
      url: streamUrl.toString(),
      customParameters: Object.fromEntries(streamUrl.searchParams),
      callSid: sid,
    });
    await started(id, sim);
    const requests = exotelApi.requests.length;
    const { code, call } = await endedByServer(id, sim);
    expect(code).toBe(1000);
    expect(call.endReason).toBe('max_duration');
    await sleep(NO_HANGUP_GRACE_MS);
    expect(exotelApi.requests).toHaveLength(requests);
    // Exotel ends the call when its socket closes, then reports it.
    expect((await exotelApi.sendStatus(sid, 'completed', { durationSecs: 1 })).status).toBe(204);
    expect((await server.parley.calls.get(id))?.endReason).toBe('max_duration');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Twilio: a hang-up answered 404 (the call already ended) is not an error', async () => {
    // An inbound call the fake never placed: it answers the hang-up 404, code 20404.
    const answered = await answerTwilio(server, SHORT, {
      signWith: { authToken: twilioApi.authToken, publicUrl: server.url },
    });
    const { url } = readTwiml(answered.body);
    const sim = new TwilioCallSimulator({
      url: answered.url,
      customParameters: answered.customParameters,
      callSid: answered.providerCallId,
      headers: twilioStreamHeaders(twilioApi.authToken, url),
    });
    const id = answered.customParameters.callId!;
    await started(id, sim);
    const requests = twilioApi.requests.length;
    const { call } = await endedByServer(id, sim);
    expect(call).toMatchObject({ direction: 'inbound', endReason: 'max_duration' });
    await expect.poll(() => twilioApi.requests.length).toBe(requests + 1);
    expect(twilioApi.requests.at(-1)?.path).toContain(`/Calls/${answered.providerCallId}.json`);
    await sleep(NO_HANGUP_GRACE_MS); // the 404 is handled after the call was stored
    expect((await server.parley.calls.get(id))?.status).toBe('completed');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Vobiz: a hang-up answered 404 (the call already ended) is not an error', async () => {
    const { id, sim } = await answeredVobiz(SHORT);
    vobizApi.reply({ status: 404, message: 'not found' });
    const requests = vobizApi.requests.length;
    const { call } = await endedByServer(id, sim);
    expect(call.endReason).toBe('max_duration');
    await expect.poll(() => vobizApi.requests.length).toBe(requests + 1);
    await sleep(NO_HANGUP_GRACE_MS);
    expect((await server.parley.calls.get(id))?.status).toBe('completed');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Twilio: the caller hanging up sends no REST hang-up', async () => {
    const { id, sim } = await answeredTwilio(PATIENT);
    const requests = twilioApi.requests.length;
    sim.hangUp();
    await sim.closed();
    const call = await callWithStatus(server, id, 'completed');
    expect(call.endReason).toBe('caller_hung_up');
    await sleep(NO_HANGUP_GRACE_MS);
    expect(twilioApi.requests).toHaveLength(requests);
  });

  it('Vobiz: the caller hanging up sends no stop and no REST hang-up', async () => {
    const { id, sim } = await answeredVobiz(PATIENT);
    const requests = vobizApi.requests.length;
    sim.hangUp();
    await sim.closed();
    await callWithStatus(server, id, 'completed');
    await sleep(NO_HANGUP_GRACE_MS);
    expect(vobizApi.requests).toHaveLength(requests);
    expect(sim.messages('stop')).toEqual([]);
  });
});
