import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderName } from '@parley/telephony';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call } from '../src/db/call-types.ts';
import type { CallSimulator } from '../src/tools/call-simulator.ts';
import type { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';
import { answerTwilio } from './helpers/answer.ts';
import {
  allProviderSettings,
  closeFakeProviderApis,
  exotelStreamSimulator,
  type FakeProviderApis,
  placedCall,
  startFakeProviderApis,
  twilioStreamSimulator,
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
  let apis: FakeProviderApis;

  beforeAll(async () => {
    [server, apis] = await Promise.all([startTelephonyTestServer(), startFakeProviderApis()]);
    await putAgent(server, SHORT, { ...GREETING_AGENT, maxDurationSecs: 1 });
    await putAgent(server, PATIENT, GREETING_AGENT);
    await putSettings(server, allProviderSettings(apis));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), closeFakeProviderApis(apis)]);
  });

  const placed = (provider: ProviderName, agent: string) =>
    placedCall(server, provider, { agent, context: { name: 'Ada' } });

  /** The callee answers a Twilio call we placed: the signed webhook, then the signed stream. */
  async function answeredTwilio(
    agent: string,
  ): Promise<{ id: string; sid: string; sim: TwilioCallSimulator }> {
    const { id, providerCallId: sid } = await placed('twilio', agent);
    const twiml = readTwiml(await apis.twilio.answer(sid));
    const sim = twilioStreamSimulator(server, twiml, sid, apis.twilio.authToken);
    await started(id, sim);
    return { id, sid, sim };
  }

  async function answeredVobiz(
    agent: string,
  ): Promise<{ id: string; uuid: string; sim: VobizCallSimulator }> {
    const { id, providerCallId: uuid } = await placed('vobiz', agent);
    const sim = new VobizCallSimulator({ url: readVobizXml(await apis.vobiz.answer(uuid)), callId: uuid });
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
    const requests = apis.twilio.requests.length;
    const { code, call } = await endedByServer(id, sim);
    expect(code).toBe(1000);
    expect(call.endReason).toBe('max_duration');
    await expect.poll(() => apis.twilio.requests.length).toBe(requests + 1);
    const hangUp = apis.twilio.requests.at(-1)!;
    expect(hangUp.method).toBe('POST');
    expect(hangUp.path).toBe(`/2010-04-01/Accounts/${apis.twilio.accountSid}/Calls/${sid}.json`);
    expect(hangUp.body).toEqual({ Status: 'completed' });
    expect(apis.twilio.call(sid)?.status).toBe('completed');
    // Twilio's stream has no stop message of ours: the socket just closes.
    expect(sim.received.map((m) => m.event)).not.toContain('stop');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Vobiz: the agent ending the call sends stop on the stream, then DELETEs the call', async () => {
    const { id, uuid, sim } = await answeredVobiz(SHORT);
    const requests = apis.vobiz.requests.length;
    const { code, call } = await endedByServer(id, sim);
    expect(code).toBe(1000);
    expect(call.endReason).toBe('max_duration');
    expect(sim.messages('stop').map((m) => m.raw)).toEqual([{ event: 'stop', streamId: sim.streamId }]);
    // The goodbye was not cut: every 20 ms chunk sent was played before the stop.
    expect(sim.heardAudio().length).toBe(sim.messages('playAudio').length * 160);
    await expect.poll(() => apis.vobiz.requests.length).toBe(requests + 1);
    const hangUp = apis.vobiz.requests.at(-1)!;
    expect(hangUp.method).toBe('DELETE');
    expect(hangUp.path).toBe(`/api/v1/Account/${apis.vobiz.authId}/Call/${uuid}/`);
    expect(hangUp.headers['x-auth-id']).toBe(apis.vobiz.authId);
    expect(apis.vobiz.call(uuid)?.status).toBe('completed');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Exotel: the agent ending the call closes the stream, and no REST request is made', async () => {
    const { id, providerCallId: sid } = await placed('exotel', SHORT);
    const sim = exotelStreamSimulator(new URL(apis.exotel.streamUrl(sid)), sid);
    await started(id, sim);
    const requests = apis.exotel.requests.length;
    const { code, call } = await endedByServer(id, sim);
    expect(code).toBe(1000);
    expect(call.endReason).toBe('max_duration');
    await sleep(NO_HANGUP_GRACE_MS);
    expect(apis.exotel.requests).toHaveLength(requests);
    // Exotel ends the call when its socket closes, then reports it.
    expect((await apis.exotel.sendStatus(sid, 'completed', { durationSecs: 1 })).status).toBe(204);
    expect((await server.parley.calls.get(id))?.endReason).toBe('max_duration');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Twilio: a hang-up answered 404 (the call already ended) is not an error', async () => {
    // An inbound call the fake never placed: it answers the hang-up 404, code 20404.
    const answered = await answerTwilio(server, SHORT, {
      signWith: { authToken: apis.twilio.authToken, publicUrl: server.url },
    });
    const twiml = readTwiml(answered.body);
    const sim = twilioStreamSimulator(server, twiml, answered.providerCallId, apis.twilio.authToken);
    const id = answered.customParameters.callId!;
    await started(id, sim);
    const requests = apis.twilio.requests.length;
    const { call } = await endedByServer(id, sim);
    expect(call).toMatchObject({ direction: 'inbound', endReason: 'max_duration' });
    await expect.poll(() => apis.twilio.requests.length).toBe(requests + 1);
    expect(apis.twilio.requests.at(-1)?.path).toContain(`/Calls/${answered.providerCallId}.json`);
    await sleep(NO_HANGUP_GRACE_MS); // the 404 is handled after the call was stored
    expect((await server.parley.calls.get(id))?.status).toBe('completed');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Vobiz: a hang-up answered 404 (the call already ended) is not an error', async () => {
    const { id, sim } = await answeredVobiz(SHORT);
    apis.vobiz.reply({ status: 404, message: 'not found' });
    const requests = apis.vobiz.requests.length;
    const { call } = await endedByServer(id, sim);
    expect(call.endReason).toBe('max_duration');
    await expect.poll(() => apis.vobiz.requests.length).toBe(requests + 1);
    await sleep(NO_HANGUP_GRACE_MS);
    expect((await server.parley.calls.get(id))?.status).toBe('completed');
    expect(await errorEvents(id)).toEqual([]);
  });

  it('Twilio: the caller hanging up sends no REST hang-up', async () => {
    const { id, sim } = await answeredTwilio(PATIENT);
    const requests = apis.twilio.requests.length;
    sim.hangUp();
    await sim.closed();
    const call = await callWithStatus(server, id, 'completed');
    expect(call.endReason).toBe('caller_hung_up');
    await sleep(NO_HANGUP_GRACE_MS);
    expect(apis.twilio.requests).toHaveLength(requests);
  });

  it('Vobiz: the caller hanging up sends no stop and no REST hang-up', async () => {
    const { id, sim } = await answeredVobiz(PATIENT);
    const requests = apis.vobiz.requests.length;
    sim.hangUp();
    await sim.closed();
    await callWithStatus(server, id, 'completed');
    await sleep(NO_HANGUP_GRACE_MS);
    expect(apis.vobiz.requests).toHaveLength(requests);
    expect(sim.messages('stop')).toEqual([]);
  });
});
