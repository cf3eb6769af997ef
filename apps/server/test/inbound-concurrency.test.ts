import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call, TelephonyProvider } from '../src/db/call-types.ts';
import { APOLOGIES } from '../src/routes/call-webhooks.ts';
import { ExotelCallSimulator } from '../src/tools/exotel-call-simulator.ts';
import { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { answerTwilio, dialTwilio } from './helpers/answer.ts';
import {
  callWithStatus,
  GREETING_AGENT,
  postForm,
  putAgent,
  putSettings,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

const AGENT = 'patient';

describe('the concurrency limit on inbound calls', () => {
  let server: TelephonyTestServer;

  beforeAll(async () => {
    // The server's own limit, for settings that set none.
    server = await startTelephonyTestServer({ MAX_CONCURRENT_CALLS: '2' });
    await putAgent(server, AGENT, GREETING_AGENT);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  /** A live call: answered by the webhook, its stream started. */
  async function liveCall(): Promise<{ id: string; sim: TwilioCallSimulator }> {
    const sim = await dialTwilio(server, AGENT);
    await sim.connect();
    sim.start();
    await expect
      .poll(async () => (await server.parley.calls.findByProviderCallId('twilio', sim.callSid))?.status)
      .toBe('in_progress');
    const id = (await server.parley.calls.findByProviderCallId('twilio', sim.callSid))!.id;
    return { id, sim };
  }

  async function hangUp({ id, sim }: { id: string; sim: TwilioCallSimulator }): Promise<void> {
    sim.hangUp();
    await sim.closed();
    await callWithStatus(server, id, 'completed');
  }

  async function refusedRow(provider: TelephonyProvider, providerCallId: string): Promise<Call | undefined> {
    return server.parley.calls.findByProviderCallId(provider, providerCallId);
  }

  it('answers a Twilio call over the limit with a spoken apology and a hang-up, and stores it busy', async () => {
    await putSettings(server, { maxConcurrentCalls: 1 });
    const live = await liveCall();
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const res = await postForm(server, `/telephony/twilio/inbound/${AGENT}`, {
      CallSid: callSid,
      From: '+15550001111',
    });
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('text/xml');
    expect(res.body).toContain(`<Say>${APOLOGIES.busy}</Say><Hangup/>`);
    expect(res.body).not.toContain('<Stream');
    expect(await refusedRow('twilio', callSid)).toMatchObject({
      status: 'busy',
      endReason: 'concurrency_limit',
      direction: 'inbound',
    });
    await hangUp(live);
  });

  it('answers a Vobiz call over the limit with a spoken apology and a hang-up, and stores it busy', async () => {
    await putSettings(server, { maxConcurrentCalls: 1 });
    const live = await liveCall();
    const callUuid = randomUUID();
    const res = await postForm(server, `/telephony/vobiz/inbound/${AGENT}`, {
      CallUUID: callUuid,
      From: '919876543210',
      Direction: 'inbound',
    });
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/xml');
    expect(res.body).toContain(`<Speak>${APOLOGIES.busy}</Speak><Hangup/>`);
    expect(res.body).not.toContain('<Stream');
    expect(await refusedRow('vobiz', callUuid)).toMatchObject({
      status: 'busy',
      endReason: 'concurrency_limit',
    });
    await hangUp(live);
  });

  it("answers Exotel's dynamic URL 503 over the limit, and stores the call busy", async () => {
    await putSettings(server, { maxConcurrentCalls: 1 });
    const live = await liveCall();
    const callSid = randomBytes(16).toString('hex');
    const res = await fetch(
      `${server.url}/telephony/exotel/inbound/${AGENT}?CallSid=${callSid}&CallFrom=0987`,
    );
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'concurrency_limit' } });
    expect(await refusedRow('exotel', callSid)).toMatchObject({
      status: 'busy',
      endReason: 'concurrency_limit',
    });
    await hangUp(live);
  });

  it('closes an authenticated Exotel stream without a webhook over the limit, and stores it busy', async () => {
    const [apiKey, apiToken] = ['exo-key', 'exo-token'];
    await putSettings(server, { maxConcurrentCalls: 1, exotel: { apiKey, apiToken } });
    const live = await liveCall();
    const sim = new ExotelCallSimulator({
      url: `${server.wsUrl}/ws/exotel/${AGENT}`,
      headers: { authorization: `Basic ${Buffer.from(`${apiKey}:${apiToken}`).toString('base64')}` },
    });
    await sim.connect();
    sim.start();
    expect((await sim.closed()).code).toBe(1000);
    await expect
      .poll(() => refusedRow('exotel', sim.callSid))
      .toMatchObject({ status: 'busy', endReason: 'concurrency_limit' });
    await hangUp(live);
  });

  it('counts an answered call whose stream has not started yet, and lets that stream in', async () => {
    await putSettings(server, { maxConcurrentCalls: 1 });
    const pending = await answerTwilio(server, AGENT);
    const over = await postForm(server, `/telephony/twilio/inbound/${AGENT}`, {
      CallSid: 'CA-over-the-limit',
    });
    expect(over.body).toContain('<Hangup/>');
    // The pending call's stream takes its place.
    const sim = new TwilioCallSimulator({
      url: pending.url,
      customParameters: pending.customParameters,
      callSid: pending.providerCallId,
    });
    const id = pending.customParameters.callId!;
    await sim.connect();
    sim.start();
    await callWithStatus(server, id, 'in_progress');
    await hangUp({ id, sim });
  });

  it("takes calls again once the live call ended, and falls back to the server's limit when the settings set none", async () => {
    await putSettings(server, { maxConcurrentCalls: 1 });
    await hangUp(await liveCall());
    const next = await liveCall();
    await putSettings(server, { maxConcurrentCalls: null });
    const another = await liveCall();
    // MAX_CONCURRENT_CALLS is 2: a third call is busy.
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const res = await postForm(server, `/telephony/twilio/inbound/${AGENT}`, { CallSid: callSid });
    expect(res.body).toContain(`<Say>${APOLOGIES.busy}</Say><Hangup/>`);
    expect(await refusedRow('twilio', callSid)).toMatchObject({ status: 'busy' });
    await Promise.all([hangUp(next), hangUp(another)]);
  });
});
