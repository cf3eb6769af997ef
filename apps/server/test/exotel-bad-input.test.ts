/**
 * Exotel streams that break the protocol or are not Exotel's: each is refused or absorbed with
 * an `error` call event, never a crash, and the call goes on where it can.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExotelCallSimulator } from '../src/tools/exotel-call-simulator.ts';
import { answerExotel, exotelCaller } from './helpers/answer.ts';
import { errorCodes, expectRefused, finishedCall, useFakeServicesServer } from './helpers/fakes.ts';
import { closeAfterSending, type Message } from './helpers/replay.ts';
import type { TestServer } from './helpers/server.ts';

const hex = () => randomBytes(16).toString('hex');

/** Exotel's documented snake_case `start`, with these custom parameters and media format. */
function startMessage(
  streamSid: string,
  customParameters: Record<string, string>,
  mediaFormat: Record<string, string> = { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
): Message {
  return {
    event: 'start',
    sequence_number: '1',
    stream_sid: streamSid,
    start: {
      stream_sid: streamSid,
      call_sid: hex(),
      account_sid: 'acmecorp1',
      from: '+919876543210',
      to: '+918047491899',
      custom_parameters: customParameters,
      media_format: mediaFormat,
    },
  };
}

/** `media` carrying `payload` as is (base64 or not). */
const mediaWith = (streamSid: string, payload: string): string =>
  JSON.stringify({
    event: 'media',
    sequence_number: '9',
    stream_sid: streamSid,
    media: { chunk: '9', timestamp: '900', payload },
  });

describe('Exotel: bad input', () => {
  let server: TestServer;
  useFakeServicesServer((started) => {
    server = started.server;
  });

  /** A call answered by the dynamic URL, its stream started and carrying silence. */
  async function startedCall(): Promise<{
    sim: ExotelCallSimulator;
    callId: string;
    parameters: Record<string, string>;
  }> {
    const answered = await answerExotel(server);
    const sim = exotelCaller(answered);
    await sim.connect();
    sim.start();
    await sim.streamSilence(200);
    return { sim, callId: answered.customParameters.callId!, parameters: answered.customParameters };
  }

  /** Opens `/ws/exotel/demo` (plus `query`), sends `connected` and `start`; returns the close. */
  const streamWith = (start: Message, query = '') =>
    closeAfterSending(`${server.wsUrl}/ws/exotel/demo${query}`, { event: 'connected' }, start);

  /** {@link streamWith}, checking that the refusal is counted as `kind` and stores no call. */
  const refusedWith = (kind: 'stream_refused' | 'stream_without_start', start: Message, query = '') =>
    expectRefused(server, kind, () => streamWith(start, query));

  it('refuses at once a start that declares µ-law or 11025 Hz, counts it, and stores no call', async () => {
    for (const format of [
      { encoding: 'audio/x-mulaw', sample_rate: '8000', bit_rate: '8' },
      { encoding: 'audio/x-raw', sample_rate: '11025', bit_rate: '16' },
    ]) {
      const answered = await answerExotel(server);
      const start = startMessage(hex(), answered.customParameters, format);
      const closed = await refusedWith('stream_without_start', start);
      expect(closed.code).toBe(1008);
      expect(closed.afterMs).toBeLessThan(2000); // not after the 5 s start timeout
    }
  });

  it('records odd-length, non-base64 and over-long media and unknown events, and goes on', async () => {
    const { sim, callId } = await startedCall();
    sim.sendRaw(mediaWith(sim.streamSid, Buffer.alloc(3201).toString('base64'))); // half a sample
    sim.sendRaw(mediaWith(sim.streamSid, '@@@@ not base64 @@@@'));
    sim.sendRaw(mediaWith(sim.streamSid, Buffer.alloc(32_000).toString('base64'))); // 2 s in one message
    sim.sendRaw(JSON.stringify({ event: 'teleport', stream_sid: sim.streamSid }));
    await sim.streamSilence(300);
    expect(sim.isOpen).toBe(true);
    sim.stop();
    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    expect(await errorCodes(server, callId)).toEqual([
      'invalid_audio',
      'invalid_audio',
      'invalid_audio',
      'unknown_event',
    ]);
  });

  it('closes a stream whose frame is over the WebSocket limit, and records why the call ended', async () => {
    const { sim, callId } = await startedCall();
    sim.sendRaw(mediaWith(sim.streamSid, Buffer.alloc(300 * 1024).toString('base64')));
    expect((await sim.closed()).code).toBe(1009);
    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'connection_lost' });
    expect(await errorCodes(server, callId)).toEqual(['message_too_large', 'connection_lost']);
  });

  it('refuses a stream without a call the server accepted: no token, a wrong one, a used one', async () => {
    expect((await refusedWith('stream_refused', startMessage(hex(), {}))).code).toBe(1008);

    const { sim, callId, parameters } = await startedCall();
    const wrong = { callId, token: 'f'.repeat(32) };
    expect((await refusedWith('stream_refused', startMessage(hex(), wrong))).code).toBe(1008);
    // The same, with the credentials in the query string where Exotel appends custom parameters.
    const query = `?${new URLSearchParams(wrong)}`;
    expect((await refusedWith('stream_refused', startMessage(hex(), {}), query)).code).toBe(1008);
    // The token the running call used, again.
    expect((await refusedWith('stream_refused', startMessage(hex(), parameters))).code).toBe(1008);

    expect(sim.isOpen).toBe(true);
    sim.stop();
    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    expect(await errorCodes(server, callId)).toEqual([]);
  });

  it('answers the dynamic URL of an unknown agent with 404', async () => {
    const res = await fetch(`${server.url}/telephony/exotel/inbound/nobody-here?CallSid=${hex()}`);
    expect(res.status).toBe(404);
  });
});

describe('Exotel Basic auth (API key and token in the settings)', () => {
  const apiKey = 'exotel-key';
  const apiToken = 'exotel-token';
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  let server: TestServer;
  useFakeServicesServer(async (started) => {
    server = started.server;
    const res = await server.parley.app.inject({
      method: 'PUT',
      url: '/api/telephony-settings',
      headers: server.adminHeaders,
      payload: { exotel: { apiKey, apiToken } },
    });
    expect(res.statusCode).toBe(200);
  });

  it('refuses the dynamic URL without the credentials, and embeds them in the stream URL it answers', async () => {
    const query = `CallSid=${hex()}`;
    expect((await fetch(`${server.url}/telephony/exotel/inbound/demo?${query}`)).status).toBe(403);
    const res = await fetch(`${server.url}/telephony/exotel/inbound/demo?${query}`, {
      headers: { authorization: basic(apiKey, apiToken) },
    });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(new URL(url)).toMatchObject({ username: apiKey, password: apiToken, pathname: '/ws/exotel/demo' });
  });

  it('refuses an upgrade without or with wrong credentials, and accepts the right ones', async () => {
    const authorization = basic(apiKey, apiToken);
    const answered = await answerExotel(server, 'demo', { authorization });
    const options = {
      url: answered.url,
      customParameters: answered.customParameters,
      callSid: answered.providerCallId,
    };
    await expect(new ExotelCallSimulator(options).connect()).rejects.toThrow(/403/);
    const wrong = new ExotelCallSimulator({ ...options, headers: { authorization: basic(apiKey, 'nope') } });
    await expect(wrong.connect()).rejects.toThrow(/403/);
    const sim = new ExotelCallSimulator({ ...options, headers: { authorization } });
    await sim.connect();
    sim.start();
    await sim.streamSilence(200);
    expect(sim.isOpen).toBe(true);
    sim.stop();
    const call = await finishedCall(server, (c) => c.id === answered.customParameters.callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
  });

  it('lets an authenticated stream without a token start a call (a static applet URL)', async () => {
    const sim = new ExotelCallSimulator({
      url: `${server.wsUrl}/ws/exotel/demo?sample-rate=8000`,
      headers: { authorization: basic(apiKey, apiToken) },
    });
    await sim.connect();
    sim.start();
    await sim.streamSilence(200);
    expect(sim.isOpen).toBe(true);
    sim.stop();
    const call = await finishedCall(server, (c) => c.providerCallId === sim.callSid);
    expect(call).toMatchObject({
      status: 'completed',
      endReason: 'caller_hung_up',
      direction: 'inbound',
      agentId: 'demo',
      from: '+919876543210',
      to: '+918047491899',
    });
    expect(await errorCodes(server, call.id)).toEqual([]);
  });
});
