import { fileURLToPath } from 'node:url';
/**
 * Twilio Media Streams against the running server: the protocol notes' sequences 5.1 and 5.2
 * (docs/telephony-protocols.md §5), played after a signed voice webhook accepted the call, with
 * fake STT/LLM/TTS and a fake Twilio REST API for the hang-up. (5.3, the signatures, is in
 * twilio-bad-input.test.ts.)
 */
import { mulawToPcm, pcmToMulaw } from '@parley/pipeline';
import type { FakeOpenAIServer } from '@parley/services/testing';
import { FakeTwilioApi } from '@parley/telephony/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { SEQUENCE_5_1, SEQUENCE_5_2 } from '../../../packages/telephony/test/fixtures/twilio-sequences.ts';
import { answerTwilio } from './helpers/answer.ts';
import {
  errorCodes,
  finishedCall,
  peak,
  putAgent,
  putBargeInAgent,
  speech8k,
  useFakeServicesServer,
} from './helpers/fakes.ts';
import { type Message, SequenceReplay, type ServerMessage } from './helpers/replay.ts';
import type { TestServer } from './helpers/server.ts';
import { readTwiml, twilioStreamHeaders } from './helpers/telephony.ts';

const FRAME_SAMPLES = 160;
const FRAME_MS = 20;

/** `start` with the call's `<Parameter>`s (its id and one-time token) among its custom parameters. */
function withParameters(parameters: Record<string, string>) {
  return (msg: Message): Message => {
    if (msg.event !== 'start') return msg;
    const start = msg.start as Message;
    const custom = start.customParameters as Record<string, string>;
    return { ...msg, start: { ...start, customParameters: { ...custom, ...parameters } } };
  };
}

/** The caller's 8 kHz audio as Twilio µ-law `media` messages of 20 ms (the last zero-padded). */
function mediaFrames(pcm: Int16Array, streamSid: string): Message[] {
  const frames: Message[] = [];
  for (let i = 0; i * FRAME_SAMPLES < pcm.length; i++) {
    const frame = new Int16Array(FRAME_SAMPLES);
    frame.set(pcm.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
    frames.push({
      event: 'media',
      sequenceNumber: String(100 + i),
      streamSid,
      media: {
        track: 'inbound',
        chunk: String(100 + i),
        timestamp: String(i * FRAME_MS),
        payload: Buffer.from(pcmToMulaw(frame)).toString('base64'),
      },
    });
  }
  return frames;
}

/** Every `media` is 160 bytes of µ-law (the fake TTS's tone, peak 3000, or silence); every message names the stream. */
function expectTwilioMessages(messages: ServerMessage[], streamSid: string) {
  const media = messages.filter((m) => m.event === 'media');
  expect(media.length).toBeGreaterThan(0);
  for (const m of media)
    expect(Buffer.from(String((m.raw.media as Message).payload), 'base64')).toHaveLength(160);
  const level = peak(
    mulawToPcm(new Uint8Array(Buffer.from(String((media[0]!.raw.media as Message).payload), 'base64'))),
  );
  expect(level).toBeGreaterThan(2000);
  expect(level).toBeLessThanOrEqual(3100);
  for (const m of messages) {
    expect(['media', 'mark', 'clear']).toContain(m.event);
    expect(m.raw.streamSid).toBe(streamSid);
  }
}

/** The `start.callSid` of a sequence. */
function callSidOf(steps: typeof SEQUENCE_5_1): string {
  const step = steps[1]!;
  if (step.dir !== 'in') throw new Error('the second step is start');
  return (step.msg.start as { callSid: string }).callSid;
}

describe('Twilio streams (protocol notes 5.1, 5.2)', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;
  let twilioApi: FakeTwilioApi;

  useFakeServicesServer(
    async (started) => {
      ({ server, llm } = started);
      twilioApi = await FakeTwilioApi.start();
      await putAgent(server, 'support-bot', {
        greeting: 'Hello! This is the Parley demo agent. How can I help you?',
      });
      const res = await server.parley.app.inject({
        method: 'PUT',
        url: '/api/telephony-settings',
        headers: server.adminHeaders,
        payload: {
          twilio: {
            accountSid: twilioApi.accountSid,
            authToken: twilioApi.authToken,
            apiBaseUrl: twilioApi.url,
          },
        },
      });
      expect(res.statusCode).toBe(200);
    },
    { PRICES_FILE: fileURLToPath(new URL('./fixtures/prices.json', import.meta.url)) },
  );

  afterAll(async () => {
    await twilioApi?.close();
  });

  /** Plays the signed voice webhook and opens the signed stream it names. */
  async function answerAndOpen(agent: string, callSid: string) {
    const answered = await answerTwilio(server, agent, {
      callSid,
      signWith: { authToken: twilioApi.authToken, publicUrl: server.url },
    });
    const headers = twilioStreamHeaders(twilioApi.authToken, readTwiml(answered.body).url);
    const replay = await SequenceReplay.open(answered.url, headers);
    return { replay, parameters: answered.customParameters, callId: answered.customParameters.callId! };
  }

  it('5.1: plays the greeting as 20 ms µ-law with a mark, and ends the call on stop', async () => {
    const { replay, parameters, callId } = await answerAndOpen('support-bot', callSidOf(SEQUENCE_5_1));
    const rewrite = withParameters(parameters);
    await replay.play(SEQUENCE_5_1.slice(0, 6), rewrite); // … up to the mark's echo
    await expect
      .poll(async () => (await server.parley.events.list(callId)).some((e) => e.type === 'agent_spoke'))
      .toBe(true);
    await replay.play(SEQUENCE_5_1.slice(6), rewrite);

    const sid = 'MZ00000000000000000000000000000001';
    expectTwilioMessages(replay.received, sid);
    expect(replay.messages('media')).toHaveLength(57); // 1140 ms of greeting
    expect(replay.received.map((m) => m.event).indexOf('mark')).toBe(57);

    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({
      status: 'completed',
      endReason: 'caller_hung_up',
      providerCallId: callSidOf(SEQUENCE_5_1),
    });
    expect(call.transcript.map((t) => t.role)).toEqual(['assistant']);
    // The greeting's synthesis is stored as the call's usage, priced by PRICES_FILE (1 per character).
    const greeting = call.transcript[0]!.text;
    expect(call.usage?.summary.tts).toEqual([
      expect.objectContaining({ characters: greeting.length, requests: 1, ttfbMs: expect.any(Object) }),
    ]);
    expect(call.usage?.cost).toMatchObject({
      currency: 'USD',
      total: greeting.length,
      unpriced: [{ service: 'stt', provider: 'FakeSTTService' }], // the table has no STT price
    });
    expect(await errorCodes(server, callId)).toEqual([]);
  });

  it('5.2: clears on barge-in, ignores the pending mark echo, takes DTMF, and hangs up over REST', async () => {
    await putBargeInAgent(server, llm, 'twilio-barge');
    const callSid = callSidOf(SEQUENCE_5_2);
    const { replay, parameters, callId } = await answerAndOpen('twilio-barge', callSid);
    const rewrite = withParameters(parameters);
    const sid = 'MZ00000000000000000000000000000002';
    const quiet = () => mediaFrames(new Int16Array(FRAME_SAMPLES), sid)[0]!;
    const requestsBefore = twilioApi.requests.length;

    await replay.play(SEQUENCE_5_2.slice(0, 2), rewrite); // connected, start
    // The agent has no greeting: the caller's first words make the bot's turn of the notes.
    await replay.stream(mediaFrames(speech8k('goforward'), sid), FRAME_MS);
    await replay.whileStreaming(quiet, FRAME_MS, () => replay.play(SEQUENCE_5_2.slice(2, 4))); // media, mark
    const bargeAt = replay.now();
    await replay.stream(mediaFrames(speech8k('ast-check-number-dial-again'), sid), FRAME_MS);
    const closed = await replay.whileStreaming(quiet, FRAME_MS, async () => {
      await replay.play(SEQUENCE_5_2.slice(4, 8), rewrite); // media, clear, the mark's echo, dtmf
      // The caller says nothing more: the agent ends the call by closing the stream (which ends
      // a <Connect><Stream> call), so Twilio's stop of the notes never comes.
      return replay.closedWithin(20_000);
    });
    expect(closed.code).toBe(1000);

    const clear = replay.messages('clear').find((m) => m.atMs > bargeAt)!;
    expect(clear.raw).toEqual({ event: 'clear', streamSid: sid });
    expect(clear.atMs - bargeAt).toBeLessThan(2000);
    expectTwilioMessages(replay.received, sid);

    // …and through the REST API: Status=completed on the call.
    await expect.poll(() => twilioApi.requests.length).toBe(requestsBefore + 1);
    const hangUp = twilioApi.requests.at(-1)!;
    expect(hangUp).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${twilioApi.accountSid}/Calls/${callSid}.json`,
      body: { Status: 'completed' },
    });

    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'user_idle' });
    expect(call.transcript.some((t) => t.role === 'assistant' && t.interrupted)).toBe(true);
    expect(call.transcript.filter((t) => t.role === 'user').map((t) => t.text)).toEqual([
      'go forward ten meters',
      'please check the number',
      'DTMF: 1',
    ]);
    expect(await errorCodes(server, callId)).toEqual([]);
  }, 60_000);
});
