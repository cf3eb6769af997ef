/**
 * A live call cannot be taken over: a call gets one stream token and one media stream, so a
 * duplicate or replayed webhook gets no token, and a second stream is refused without
 * disturbing the first (one `call_started`, a whole recording).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { readWav } from '@parley/pipeline';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { answerExotel, answerTwilio, answerVobiz, twilioCaller } from './helpers/answer.ts';
import { expectRefused } from './helpers/fakes.ts';
import {
  callWithStatus,
  postForm,
  putSettings,
  startTelephonyTestServer,
  type TelephonyTestServer,
  twilioStreamHeaders,
} from './helpers/telephony.ts';

const REJECT = '<Response><Reject/></Response>';

describe('one stream token and one stream per call', () => {
  let server: TelephonyTestServer;

  beforeAll(async () => {
    server = await startTelephonyTestServer();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  /** Twilio's voice webhook for `callSid` again, as a retry or a replay would send it. */
  const twilioWebhook = (callSid: string) =>
    postForm(server, '/telephony/twilio/inbound/demo', { CallSid: callSid, From: '+15551230000' });

  it('answers a Twilio webhook for a ringing, a streaming and an ended call with <Reject/> and no token', async () => {
    const answered = await answerTwilio(server);
    const callId = answered.callId;
    // Ringing: the call has its token already.
    const ringing = await expectRefused(server, 'duplicate_webhook', () =>
      twilioWebhook(answered.providerCallId),
    );
    expect(ringing.status).toBe(200);
    expect(ringing.body).toContain(REJECT);
    expect(ringing.body).not.toContain('token');

    const sim = twilioCaller(answered);
    await sim.connect();
    sim.start();
    await callWithStatus(server, callId, 'in_progress');
    const streaming = await expectRefused(server, 'duplicate_webhook', () =>
      twilioWebhook(answered.providerCallId),
    );
    expect(streaming.body).toContain(REJECT);
    expect(streaming.body).not.toContain('<Stream');

    sim.stop();
    await callWithStatus(server, callId, 'completed');
    const ended = await expectRefused(server, 'duplicate_webhook', () =>
      twilioWebhook(answered.providerCallId),
    );
    expect(ended.body).toContain(REJECT);
  });

  it('leaves a live call alone when a webhook for it is replayed at the concurrency limit', async () => {
    await putSettings(server, { maxConcurrentCalls: 1 });
    try {
      const answered = await answerTwilio(server);
      const sim = twilioCaller(answered);
      await sim.connect();
      sim.start();
      await callWithStatus(server, answered.callId, 'in_progress');
      const replay = await expectRefused(server, 'duplicate_webhook', () =>
        twilioWebhook(answered.providerCallId),
      );
      expect(replay.body).toContain(REJECT);
      // Not stored busy: the replay changed nothing.
      await sim.streamSilence(200);
      expect((await server.parley.calls.get(answered.callId))?.status).toBe('in_progress');
      sim.stop();
      await callWithStatus(server, answered.callId, 'completed');
    } finally {
      await putSettings(server, { maxConcurrentCalls: null });
    }
  });

  it('answers a duplicate Vobiz answer_url with a bare <Hangup/> and an Exotel dynamic URL with 409', async () => {
    const vobiz = await answerVobiz(server);
    const again = await expectRefused(server, 'duplicate_webhook', () =>
      postForm(server, '/telephony/vobiz/inbound/demo', { CallUUID: vobiz.providerCallId }),
    );
    expect(again.status).toBe(200);
    expect(again.body).toContain('<Response><Hangup/></Response>');
    expect(again.body).not.toContain('<Stream');

    const exotel = await answerExotel(server);
    const res = await expectRefused(server, 'duplicate_webhook', () =>
      fetch(`${server.url}/telephony/exotel/inbound/demo?CallSid=${exotel.providerCallId}`),
    );
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'call_already_answered' } });
  });

  it('refuses a second stream for a live call without disturbing the first', async () => {
    const answered = await answerTwilio(server);
    const first = twilioCaller(answered);
    await first.connect();
    first.start();
    await callWithStatus(server, answered.callId, 'in_progress');
    await first.streamSilence(1000);

    // The same token again, from another connection: refused, counted, no row.
    const second = new TwilioCallSimulator({
      url: answered.url,
      customParameters: answered.customParameters,
      callSid: answered.providerCallId,
    });
    const closed = await expectRefused(server, 'stream_refused', async () => {
      await second.connect();
      second.start();
      return second.closed();
    });
    expect(closed.code).toBe(1008);

    await first.streamSilence(1000);
    expect(first.isOpen).toBe(true);
    first.stop();
    const call = await callWithStatus(server, answered.callId, 'completed');
    const events = await server.parley.events.list(call.id);
    expect(events.filter((e) => e.type === 'call_started')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    // The recording holds the whole call (the caller streamed 2 s), not a truncated second stream.
    const wav = readWav(path.join(server.config.recordingsDir, call.recordingPath!));
    expect(wav.pcm.length / wav.channels / wav.sampleRateHz).toBeGreaterThan(1.8);
  });
});

describe('a replayed signed Twilio webhook', () => {
  const AUTH_TOKEN = 'integrity_token';
  let server: TelephonyTestServer;

  beforeAll(async () => {
    server = await startTelephonyTestServer({ TWILIO_AUTH_TOKEN: AUTH_TOKEN });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('is refused for a live call: the captured request gets <Reject/>, the call goes on', async () => {
    const publicUrl = server.config.publicUrl!;
    const form = {
      CallSid: `CA${randomBytes(16).toString('hex')}`,
      From: '+15551230000',
      To: '+15557654321',
    };
    const signature = twilio.getExpectedTwilioSignature(
      AUTH_TOKEN,
      `${publicUrl}/telephony/twilio/inbound/demo`,
      form,
    );
    const send = () =>
      postForm(server, '/telephony/twilio/inbound/demo', form, { 'x-twilio-signature': signature });

    const original = await send();
    expect(original.body).toContain('<Stream');
    const callId = /<Parameter name="callId" value="([^"]+)"\/>/.exec(original.body)![1]!;
    const token = /<Parameter name="token" value="([^"]+)"\/>/.exec(original.body)![1]!;
    const sim = new TwilioCallSimulator({
      url: `${server.wsUrl}/ws/twilio/demo`,
      customParameters: { callId, token, agentId: 'demo' },
      callSid: form.CallSid,
      headers: twilioStreamHeaders(AUTH_TOKEN, `${publicUrl.replace(/^http:/, 'wss:')}/ws/twilio/demo`),
    });
    await sim.connect();
    sim.start();
    await callWithStatus(server, callId, 'in_progress');

    const replayed = await expectRefused(server, 'duplicate_webhook', send);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toContain(REJECT);
    expect(replayed.body).not.toContain('token');

    await sim.streamSilence(200);
    expect(sim.isOpen).toBe(true);
    sim.stop();
    const call = await callWithStatus(server, callId, 'completed');
    expect(call.endReason).toBe('caller_hung_up');
    const events = await server.parley.events.list(callId);
    expect(events.filter((e) => e.type === 'call_started')).toHaveLength(1);
  });

  it('still refuses an unsigned webhook before looking at the call', async () => {
    const res = await postForm(server, '/telephony/twilio/inbound/demo', { CallSid: randomUUID() });
    expect(res.status).toBe(403);
  });
});
