/**
 * Exotel streams that break the protocol or are not Exotel's: each is refused or absorbed with
 * an `error` call event, never a crash, and the call goes on where it can.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExotelCallSimulator } from '../src/tools/exotel-call-simulator.ts';
import { answerExotel, exotelCaller } from './helpers/answer.ts';
import { errorCodes, finishedCall, refusedCall, useFakeServicesServer } from './helpers/fakes.ts';
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

  const refusal = (reason: string, seen?: Set<string>) => refusedCall(server, 'exotel', reason, seen);

  it('refuses at once a start that declares µ-law or 11025 Hz, and records why', async () => {
    const reason = 'the start declares audio we cannot decode';
    const seen = new Set<string>();
    for (const format of [
      { encoding: 'audio/x-mulaw', sample_rate: '8000', bit_rate: '8' },
      { encoding: 'audio/x-raw', sample_rate: '11025', bit_rate: '16' },
    ]) {
      const answered = await answerExotel(server);
      const closed = await streamWith(startMessage(hex(), answered.customParameters, format));
      expect(closed.code).toBe(1008);
      expect(closed.afterMs).toBeLessThan(2000); // not after the 10 s start timeout
      const call = await refusal(reason, seen);
      expect(await errorCodes(server, call.id)).toEqual(['unsupported_encoding', 'stream_rejected']);
    }
  });

  it('records odd-length, non-base64, over-long and oversized media and unknown events, and goes on', async () => {
    const { sim, callId } = await startedCall();
    sim.sendRaw(mediaWith(sim.streamSid, Buffer.alloc(3201).toString('base64'))); // half a sample
    sim.sendRaw(mediaWith(sim.streamSid, '@@@@ not base64 @@@@'));
    sim.sendRaw(mediaWith(sim.streamSid, Buffer.alloc(32_000).toString('base64'))); // 2 s in one message
    sim.sendRaw(mediaWith(sim.streamSid, Buffer.alloc(150_000).toString('base64'))); // 200 KB, under maxPayload
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
      'message_too_large',
      'unknown_event',
    ]);
  });

  it('closes a stream whose frame is over the WebSocket limit, and records why the call ended', async () => {
    const { sim, callId } = await startedCall();
    sim.sendRaw(mediaWith(sim.streamSid, Buffer.alloc(300 * 1024).toString('base64')));
    expect((await sim.closed()).code).toBe(1009);
    const call = await finishedCall(server, (c) => c.id === callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'connection_lost' });
    expect(await errorCodes(server, callId)).toEqual(['socket_error', 'connection_lost']);
  });

  it('refuses a stream without a call the server accepted: no token, a wrong one, a used one', async () => {
    expect((await streamWith(startMessage(hex(), {}))).code).toBe(1008);
    const unknown = await refusal('a stream without a call the server created or accepted');
    expect(await errorCodes(server, unknown.id)).toEqual(['stream_rejected']);

    const bad = 'the stream token is unknown, used, or for another call';
    const seen = new Set<string>();
    const { sim, callId, parameters } = await startedCall();
    const wrong = { callId, token: 'f'.repeat(32) };
    expect((await streamWith(startMessage(hex(), wrong))).code).toBe(1008);
    await refusal(bad, seen);
    // The same, with the credentials in the query string where Exotel appends custom parameters.
    expect((await streamWith(startMessage(hex(), {}), `?${new URLSearchParams(wrong)}`)).code).toBe(1008);
    await refusal(bad, seen);
    // The token the running call used, again.
    expect((await streamWith(startMessage(hex(), parameters))).code).toBe(1008);
    await refusal(bad, seen);

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
