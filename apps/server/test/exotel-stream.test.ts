/**
 * Exotel AgentStream against the running server: the protocol notes' sequences 5.4–5.6
 * (docs/telephony-protocols.md §5), played after the Voicebot applet's dynamic URL accepted
 * the call, with fake STT/LLM/TTS.
 */
import { pcmFromBytes, pcmToBytes } from '@parley/pipeline';
import type { FakeOpenAIServer } from '@parley/services/testing';
import { describe, expect, it } from 'vitest';
import {
  SEQUENCE_5_4,
  SEQUENCE_5_5,
  SEQUENCE_5_6,
} from '../../../packages/telephony/test/fixtures/exotel-sequences.ts';
import { answerExotel, exotelCaller } from './helpers/answer.ts';
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

/** 200 ms of 8 kHz 16-bit PCM: the 3200-byte frames of the notes' sequences. */
const FRAME_SAMPLES = 1600;
const FRAME_MS = 200;

/** `start` with the call's one-time token added to its custom parameters (snake_case or camelCase). */
function withToken(callId: string, token: string) {
  return (msg: Message): Message => {
    if (msg.event !== 'start' || typeof msg.start !== 'object' || msg.start === null) return msg;
    const start = msg.start as Message;
    const key =
      'custom_parameters' in start || 'stream_sid' in start ? 'custom_parameters' : 'customParameters';
    const params = (start[key] ?? {}) as Record<string, string>;
    return { ...msg, start: { ...start, [key]: { ...params, callId, token } } };
  };
}

/** The caller's audio as snake_case `media` messages of 200 ms (the last zero-padded). */
function mediaFrames(pcm: Int16Array, streamSid: string): Message[] {
  const frames: Message[] = [];
  for (let i = 0; i * FRAME_SAMPLES < pcm.length; i++) {
    const frame = new Int16Array(FRAME_SAMPLES);
    frame.set(pcm.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
    frames.push({
      event: 'media',
      sequence_number: String(100 + i),
      stream_sid: streamSid,
      media: {
        chunk: String(100 + i),
        timestamp: String(i * FRAME_MS),
        payload: Buffer.from(pcmToBytes(frame)).toString('base64'),
      },
    });
  }
  return frames;
}

const silence = (streamSid: string) => () => mediaFrames(new Int16Array(FRAME_SAMPLES), streamSid)[0]!;

/**
 * Every `media` Parley sent is Exotel's: the stream id under the caller's spelling, 16-bit
 * little-endian PCM in multiples of 320 bytes from 3200 to 102400, and it carries the fake
 * TTS's tone (peak 3000) read little-endian, or zero padding.
 */
function expectExotelMedia(messages: ServerMessage[], idKey: 'stream_sid' | 'streamSid', id: string) {
  const media = messages.filter((m) => m.event === 'media');
  expect(media.length).toBeGreaterThan(0);
  for (const m of media) {
    expect(m.raw[idKey]).toBe(id);
    const bytes = Buffer.from((m.raw.media as { payload: string }).payload, 'base64');
    expect(bytes.length % 320).toBe(0);
    expect(bytes.length).toBeGreaterThanOrEqual(3200);
    expect(bytes.length).toBeLessThanOrEqual(102_400);
  }
  const first = Buffer.from((media[0]!.raw.media as { payload: string }).payload, 'base64');
  const level = peak(pcmFromBytes(new Uint8Array(first)));
  expect(level).toBeGreaterThan(2000);
  expect(level).toBeLessThanOrEqual(3000);
  for (const m of messages.filter((x) => x.event === 'mark' || x.event === 'clear')) {
    expect(m.raw[idKey]).toBe(id);
  }
}

describe('Exotel streams (protocol notes 5.4–5.6)', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;
  useFakeServicesServer(async (started) => {
    ({ server, llm } = started);
    await putAgent(server, 'support-bot', {
      greeting: 'Hello! This is the Parley demo agent. How can I help you?',
    });
  });

  it('5.4: plays the greeting as 3200-byte PCM chunks with a mark, and ends the call on stop', async () => {
    const answered = await answerExotel(server, 'support-bot');
    const { callId, token } = answered.customParameters;
    // The static applet URL of the notes; the token rides in start.custom_parameters.
    const replay = await SequenceReplay.open(
      `${server.wsUrl}/ws/exotel/support-bot?sample-rate=8000&agentId=support-bot`,
    );
    const rewrite = withToken(callId!, token!);
    // Up to the mark echo, then wait for the greeting to be stored as heard before hanging up.
    await replay.play(SEQUENCE_5_4.slice(0, 7), rewrite);
    await expect
      .poll(async () => (await server.parley.events.list(callId!)).some((e) => e.type === 'agent_spoke'), {
        timeout: 5_000, // stored when the bot stops speaking: after the played clock and the stop delay
      })
      .toBe(true);
    await replay.play(SEQUENCE_5_4.slice(7), rewrite);

    const sid = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    expectExotelMedia(replay.received, 'stream_sid', sid);
    // 57 characters at 20 ms: 1140 ms of speech in 200 ms chunks, the last one padded.
    expect(replay.messages('media')).toHaveLength(6);
    expect(replay.messages('mark').map((m) => m.atMs)[0]).toBeGreaterThan(replay.messages('media')[5]!.atMs);

    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up', provider: 'exotel' });
    expect(call.transcript.map((t) => [t.role, t.text])).toEqual([
      ['assistant', 'Hello! This is the Parley demo agent. How can I help you?'],
    ]);
    expect(await errorCodes(server, callId!)).toEqual([]);
  });

  it('5.5: clears Exotel on barge-in, takes DTMF, and closes the socket when the agent ends the call', async () => {
    await putBargeInAgent(server, llm, 'exotel-barge');
    const answered = await answerExotel(server, 'exotel-barge');
    const { callId, token } = answered.customParameters;
    const sid = 'b2c3d4e5f60718293a4b5c6d7e8f90a1';
    const quiet = silence(sid);
    const replay = await SequenceReplay.open(`${server.wsUrl}/ws/exotel/exotel-barge?sample-rate=8000`);
    const rewrite = withToken(callId!, token!);

    await replay.play(SEQUENCE_5_5.slice(0, 2), rewrite); // connected, start
    // The agent has no greeting: the caller's first words make the bot's turn of the notes.
    await replay.stream(mediaFrames(speech8k('goforward'), sid), FRAME_MS);
    await replay.whileStreaming(quiet, FRAME_MS, () => replay.play(SEQUENCE_5_5.slice(2, 4))); // media, mark "Sure."
    const bargeAt = replay.now();
    await replay.stream(mediaFrames(speech8k('ast-check-number-dial-again'), sid), FRAME_MS);
    const closed = await replay.whileStreaming(quiet, FRAME_MS, async () => {
      await replay.play(SEQUENCE_5_5.slice(4, 7), rewrite); // media, clear, dtmf
      return replay.closedWithin(20_000); // the caller says nothing more: the agent hangs up
    });

    expect(closed.code).toBe(1000);
    const clear = replay.messages('clear').find((m) => m.atMs > bargeAt)!;
    expect(clear.raw).toEqual({ event: 'clear', stream_sid: sid });
    expect(clear.atMs - bargeAt).toBeLessThan(2000);
    expectExotelMedia(replay.received, 'stream_sid', sid);

    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'user_idle' });
    expect(call.transcript.some((t) => t.role === 'assistant' && t.interrupted)).toBe(true);
    // The key press reached the call as the caller's words, after what they said.
    expect(call.transcript.filter((t) => t.role === 'user').map((t) => t.text)).toEqual([
      'go forward ten meters',
      'please check the number',
      'DTMF: 5',
    ]);
    expect(await errorCodes(server, callId!)).toEqual([]);
  }, 60_000);

  it('5.6: accepts the camelCase start of the Connect path and answers in camelCase', async () => {
    // The Connect path gets the token in the stream URL's query, as Exotel appends custom parameters.
    const answered = await answerExotel(server, 'support-bot');
    const callId = answered.customParameters.callId!;
    const replay = await SequenceReplay.open(answered.url);
    const sid = 'c3d4e5f60718293a4b5c6d7e8f90a1b2';
    await replay.play(SEQUENCE_5_6.slice(0, 4)); // connected, start, media, out media
    await replay.expectNext({ event: 'mark', streamSid: sid, mark: { name: 'greeting' } });
    await replay.play(SEQUENCE_5_6.slice(4)); // stop, close

    expectExotelMedia(replay.received, 'streamSid', sid);
    const media = replay.messages('media').map((m) => m.raw.media as Record<string, string>);
    expect(media.map((m) => m.chunk)).toEqual(media.map((_, i) => String(i + 1)));
    expect(media.map((m) => m.sequenceNumber)).toEqual(media.map((_, i) => String(i + 1)));
    const stamps = media.map((m) => Number(m.timestamp));
    expect(stamps.every((t, i) => Number.isInteger(t) && t >= (stamps[i - 1] ?? 0))).toBe(true);

    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    expect(await errorCodes(server, callId)).toEqual([]);
  });

  it('records a socket closed without stop as a lost connection', async () => {
    const answered = await answerExotel(server, 'support-bot');
    const sim = exotelCaller(answered);
    await sim.connect();
    sim.start();
    await sim.streamSilence(300);
    sim.close();
    const call = await finishedCall(server, (c) => c.id === answered.customParameters.callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'connection_lost' });
    expect(await errorCodes(server, call.id)).toEqual(['connection_lost']);
  });
});
