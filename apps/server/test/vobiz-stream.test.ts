/**
 * Vobiz audio streams against the running server: the protocol notes' sequences 5.7–5.9
 * (docs/telephony-protocols.md §5), played after a signed `answer_url` accepted the call, with
 * fake STT/LLM/TTS and a fake Vobiz REST API for the hang-up.
 */
import { randomUUID } from 'node:crypto';
import { mulawToPcm } from '@parley/pipeline';
import type { FakeOpenAIServer } from '@parley/services/testing';
import { FakeVobizApi } from '@parley/telephony/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SEQUENCE_5_7,
  SEQUENCE_5_8,
  SEQUENCE_5_9,
} from '../../../packages/telephony/test/fixtures/vobiz-sequences.ts';
import { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';
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
import { vobizSignatureHeaders } from './helpers/telephony.ts';
import { answerVobizCall, VOBIZ_FRAME_MS, VOBIZ_FRAME_SAMPLES, vobizMediaFrames } from './helpers/vobiz.ts';

const AUTH_ID = 'MA_AUTH_ID';
const AUTH_TOKEN = 'vobiz_test_token';

/** The `start` of a sequence with its call id: a CallUUID the server answered. */
const startOf = (steps: typeof SEQUENCE_5_7) => {
  const step = steps[0]!;
  if (step.dir !== 'in') throw new Error('a sequence starts with start');
  return step.msg.start as { callId: string; streamId: string };
};

/**
 * Every message Parley sent is Vobiz's: `playAudio` of 160-byte µ-law at 8000 Hz carrying the
 * fake TTS's tone (peak 3000) or silence, and `checkpoint`/`clearAudio`/`stop` naming the stream.
 */
function expectVobizMessages(messages: ServerMessage[], streamId: string) {
  const play = messages.filter((m) => m.event === 'playAudio');
  expect(play.length).toBeGreaterThan(0);
  for (const m of play) {
    expect(Object.keys(m.raw).sort()).toEqual(['event', 'media']);
    const media = m.raw.media as Record<string, unknown>;
    expect(media).toMatchObject({ contentType: 'audio/x-mulaw', sampleRate: 8000 });
    expect(Buffer.from(String(media.payload), 'base64')).toHaveLength(160);
  }
  const first = Buffer.from(String((play[0]!.raw.media as Message).payload), 'base64');
  const level = peak(mulawToPcm(new Uint8Array(first)));
  expect(level).toBeGreaterThan(2000);
  expect(level).toBeLessThanOrEqual(3100); // µ-law rounds up to the next step
  for (const m of messages.filter((x) => x.event !== 'playAudio')) {
    expect(['checkpoint', 'clearAudio', 'stop']).toContain(m.event);
    expect(m.raw.streamId).toBe(streamId);
  }
}

describe('Vobiz streams (protocol notes 5.7–5.9)', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;
  let vobiz: FakeVobizApi;

  useFakeServicesServer(
    async (started) => {
      ({ server, llm } = started);
      vobiz = await FakeVobizApi.start({ authId: AUTH_ID, authToken: AUTH_TOKEN });
      await putAgent(server, 'support-bot', {
        greeting: 'Hello! This is the Parley demo agent. How can I help you?',
      });
      // Credentials turn on signature checks for answer_url and let the agent hang up over REST.
      const res = await server.parley.app.inject({
        method: 'PUT',
        url: '/api/telephony-settings',
        headers: server.adminHeaders,
        payload: { vobiz: { authId: AUTH_ID, authToken: AUTH_TOKEN, apiBaseUrl: vobiz.url } },
      });
      expect(res.statusCode).toBe(200);
      // 5.9 comes through a TLS proxy on this host, whose X-Forwarded-Proto the server believes.
    },
    { TRUST_PROXY: '127.0.0.1' },
  );

  afterAll(async () => {
    await vobiz?.close();
  });

  it('5.7: plays the greeting as 20 ms µ-law with a checkpoint; a closed socket is the caller hanging up', async () => {
    const { callId: callUuid, streamId } = startOf(SEQUENCE_5_7);
    const answered = await answerVobizCall(server, 'support-bot', { callUuid, authToken: AUTH_TOKEN });
    const replay = await SequenceReplay.open(answered.url);
    // Up to the checkpoint's echo, then wait for the greeting to be stored as heard.
    await replay.play(SEQUENCE_5_7.slice(0, 5));
    await expect
      .poll(async () =>
        (await server.parley.events.list(answered.callId)).some((e) => e.type === 'agent_spoke'),
      )
      .toBe(true);
    await replay.play(SEQUENCE_5_7.slice(5)); // media, then Vobiz closes: no stop

    expectVobizMessages(replay.received, streamId);
    // 57 characters at 20 ms: 1140 ms, 57 frames; the checkpoint follows the last one.
    expect(replay.messages('playAudio')).toHaveLength(57);
    expect(replay.received.map((m) => m.event).indexOf('checkpoint')).toBe(57);
    expect(replay.messages('stop')).toEqual([]);

    const call = await finishedCall(server, (c) => c.id === answered.callId);
    expect(call).toMatchObject({
      status: 'completed',
      endReason: 'caller_hung_up',
      provider: 'vobiz',
      providerCallId: callUuid,
    });
    expect(call.transcript.map((t) => t.role)).toEqual(['assistant']);
    expect(await errorCodes(server, answered.callId)).toEqual([]);
  });

  it('5.8: clears Vobiz on barge-in, says goodbye with a checkpoint, sends stop and hangs up over REST', async () => {
    await putBargeInAgent(server, llm, 'vobiz-barge', { goodbye: 'Goodbye.' });
    llm.reply({ text: '' }); // nothing to say to the barge-in: the next words are the goodbye
    const { callId: callUuid, streamId } = startOf(SEQUENCE_5_8);
    const answered = await answerVobizCall(server, 'vobiz-barge', { callUuid, authToken: AUTH_TOKEN });
    const replay = await SequenceReplay.open(answered.url);
    const quiet = () => vobizMediaFrames(new Int16Array(VOBIZ_FRAME_SAMPLES), streamId)[0]!;

    await replay.play(SEQUENCE_5_8.slice(0, 1)); // start
    // The agent has no greeting: the caller's first words make the bot's turn of the notes.
    await replay.stream(vobizMediaFrames(speech8k('goforward'), streamId), VOBIZ_FRAME_MS);
    await replay.whileStreaming(quiet, VOBIZ_FRAME_MS, () => replay.play(SEQUENCE_5_8.slice(1, 3)));
    const bargeAt = replay.now();
    await replay.stream(vobizMediaFrames(speech8k('ast-check-number-dial-again'), streamId), VOBIZ_FRAME_MS);
    // media, clearAudio, clearedAudio, farewell playAudio + checkpoint, its playedStream, stop.
    await replay.whileStreaming(quiet, VOBIZ_FRAME_MS, () => replay.play(SEQUENCE_5_8.slice(3, 10)));
    await replay.play(SEQUENCE_5_8.slice(10)); // Vobiz closes

    const clear = replay.messages('clearAudio').find((m) => m.atMs > bargeAt)!;
    expect(clear.atMs - bargeAt).toBeLessThan(2000);
    expectVobizMessages(replay.received, streamId);
    // The stop is the last message, right after the farewell's checkpoint.
    expect(replay.received.map((m) => m.event).slice(-2)).toEqual(['checkpoint', 'stop']);
    expect(replay.received.at(-2)!.raw.name).toBe(replay.serverMarkName('farewell'));

    // The agent hung up through the REST API as well (404: the fake never placed this call).
    await expect.poll(() => vobiz.requests.find((r) => r.method === 'DELETE')).toBeDefined();
    const hangUp = vobiz.requests.find((r) => r.method === 'DELETE')!;
    expect(hangUp.path).toBe(`/api/v1/Account/${AUTH_ID}/Call/${callUuid}/`);
    expect(hangUp.headers).toMatchObject({ 'x-auth-id': AUTH_ID, 'x-auth-token': AUTH_TOKEN });

    const call = await finishedCall(server, (c) => c.id === answered.callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'user_idle' });
    expect(call.transcript.some((t) => t.role === 'assistant' && t.interrupted)).toBe(true);
    expect(call.transcript.at(-1)).toMatchObject({ role: 'assistant', text: 'Goodbye.' });
    expect(await errorCodes(server, answered.callId)).toEqual([]);
  }, 60_000);

  it('5.9: answers a signed answer_url with a bidirectional µ-law stream to a one-time URL', async () => {
    const step = SEQUENCE_5_9[0]!;
    if (step.dir !== 'http') throw new Error('5.9 is an HTTP request');
    // A fresh CallUUID: 5.7 used the notes' one, and that call has ended.
    const form = { ...(step.request.form as Record<string, string>), CallUUID: randomUUID() };
    const expected = step.expectResponse as { status: number; bodyContains: string[] };
    // Our answer_url path; the notes' host, behind a TLS proxy (trusted: see TRUST_PROXY above).
    const url = 'https://example.com/telephony/vobiz/inbound/support-bot';
    const res = await server.parley.app.inject({
      method: 'POST',
      url: '/telephony/vobiz/inbound/support-bot',
      payload: new URLSearchParams(form).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        host: 'example.com',
        'x-forwarded-proto': 'https',
        ...vobizSignatureHeaders(AUTH_TOKEN, url),
      },
    });
    expect(res.statusCode).toBe(expected.status);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    for (const part of expected.bodyContains.slice(0, 4)) expect(res.body).toContain(part);
    // The notes' URL, with the call id and its one-time token as path segments.
    const call = await server.parley.calls.findByProviderCallId('vobiz', form.CallUUID);
    expect(res.body).toMatch(
      new RegExp(`>wss://example\\.com/ws/vobiz/support-bot/${call!.id}/[0-9a-f]{32}</Stream>`),
    );
  });

  it('tolerates media before start, takes DTMF as the caller’s words, and ends on close', async () => {
    const answered = await answerVobizCall(server, 'support-bot', { authToken: AUTH_TOKEN });
    const sim = new VobizCallSimulator({ url: answered.url, callId: answered.callUuid, mediaBeforeStart: 3 });
    await sim.connect();
    sim.start();
    await sim.withSilence(async () => {
      // Keys pressed during the greeting would be muted with the caller's speech.
      await sim.waitFor(() => sim.messages('checkpoint').length > 0, 5000, 'the greeting');
      await expect
        .poll(async () => (await server.parley.events.list(answered.callId)).map((e) => e.type))
        .toContain('agent_spoke');
      sim.sendDtmf('4');
      sim.sendDtmf('2');
      sim.sendDtmf('#');
      await expect
        .poll(async () => (await server.parley.events.list(answered.callId)).map((e) => e.data.text), {
          timeout: 5000,
        })
        .toContain('DTMF: 42#');
    });
    sim.hangUp();
    const call = await finishedCall(server, (c) => c.id === answered.callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    expect(call.transcript.filter((t) => t.role === 'user').map((t) => t.text)).toEqual(['DTMF: 42#']);
    expect(await errorCodes(server, answered.callId)).toEqual([]);
    expect(sim.protocolErrors).toEqual([]);
  });
});
