/**
 * Vobiz webhooks and streams that break the protocol or are not Vobiz's: each is refused or
 * absorbed with an `error` call event, never a crash, and the call goes on where it can.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';
import { errorCodes, expectRefused, finishedCall, useFakeServicesServer } from './helpers/fakes.ts';
import { closeAfterSending, type Message } from './helpers/replay.ts';
import type { TestServer } from './helpers/server.ts';
import { vobizSignatureHeaders } from './helpers/telephony.ts';
import { answerVobizCall } from './helpers/vobiz.ts';

const AUTH_TOKEN = 'vobiz_test_token';

/** Vobiz's `start`, with this media format. */
function startMessage(mediaFormat: Record<string, unknown>): Message {
  return {
    event: 'start',
    sequenceNumber: 1,
    start: {
      callId: randomUUID(),
      streamId: randomUUID(),
      accountId: '100234',
      tracks: ['inbound'],
      mediaFormat,
    },
  };
}

/** `media` carrying `payload` as is (base64 or not). */
const mediaWith = (streamId: string, payload: string): string =>
  JSON.stringify({
    event: 'media',
    sequenceNumber: 9,
    streamId,
    media: { track: 'inbound', timestamp: String(Date.now()), chunk: 9, payload },
  });

describe('Vobiz: bad input', () => {
  let server: TestServer;
  useFakeServicesServer(async (started) => {
    server = started.server;
    const res = await server.parley.app.inject({
      method: 'PUT',
      url: '/api/telephony-settings',
      headers: server.adminHeaders,
      payload: { vobiz: { authToken: AUTH_TOKEN } },
    });
    expect(res.statusCode).toBe(200);
  });

  /** A call answered by a signed `answer_url`, its stream started and carrying silence. */
  async function startedCall() {
    const answered = await answerVobizCall(server, 'demo', { authToken: AUTH_TOKEN });
    const sim = new VobizCallSimulator({ url: answered.url, callId: answered.callUuid });
    await sim.connect();
    sim.start();
    await sim.streamSilence(200);
    return { sim, answered };
  }

  /** Opens `path`, sends `start`; returns the close code and when it came. */
  const streamWith = (path: string, start: Message) => closeAfterSending(`${server.wsUrl}${path}`, start);

  /** {@link streamWith}, checking that the refusal is counted as `kind` and stores no call. */
  const refusedWith = (kind: 'stream_refused' | 'stream_without_start', path: string, start: Message) =>
    expectRefused(server, kind, () => streamWith(path, start));

  it('refuses an answer_url without a valid X-Vobiz-Signature-V3, and accepts a signed one', async () => {
    const url = `${server.url}/telephony/vobiz/inbound/demo`;
    const post = (headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ CallUUID: randomUUID(), From: '919876543210', To: '918047491899' }),
      });
    expect((await post({})).status).toBe(403);
    expect(
      (await post({ 'x-vobiz-signature-v3': 'bm90IGEgc2lnbmF0dXJl', 'x-vobiz-signature-v3-nonce': '1234' }))
        .status,
    ).toBe(403);
    // Signed for another URL (another agent's): refused too.
    expect((await post(vobizSignatureHeaders(AUTH_TOKEN, `${url}-other`))).status).toBe(403);
    const signed = await post(vobizSignatureHeaders(AUTH_TOKEN, url));
    expect(signed.status).toBe(200);
    expect(await signed.text()).toContain('<Stream');
    // The hangup_url is signed the same way.
    const status = await fetch(`${server.url}/telephony/vobiz/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ CallUUID: randomUUID(), Event: 'Hangup', CallStatus: 'completed' }),
    });
    expect(status.status).toBe(403);
  });

  it('refuses at once a start that declares audio/x-foo or L16 at 11025 Hz, counts it, and stores no call', async () => {
    for (const format of [
      { encoding: 'audio/x-foo', sampleRate: 8000 },
      { encoding: 'audio/x-l16', sampleRate: 11025 },
    ]) {
      const answered = await answerVobizCall(server, 'demo', { authToken: AUTH_TOKEN });
      const path = new URL(answered.url).pathname;
      const closed = await refusedWith('stream_without_start', path, startMessage(format));
      expect(closed.code).toBe(1008);
      expect(closed.afterMs).toBeLessThan(2000); // not after the 5 s start timeout
    }
  });

  it('records non-base64 and over-long media, bad JSON and unknown events, and goes on', async () => {
    const { sim, answered } = await startedCall();
    sim.sendRaw(mediaWith(sim.streamId, '@@@@ not base64 @@@@'));
    sim.sendRaw(mediaWith(sim.streamId, Buffer.alloc(16_000, 0xff).toString('base64'))); // 2 s in one message
    sim.sendRaw('{"event":"media",');
    sim.sendRaw(JSON.stringify({ event: 'teleport', streamId: sim.streamId }));
    // A checkpoint echo we never asked for is stale, not an error.
    sim.sendRaw(JSON.stringify({ event: 'playedStream', streamId: sim.streamId, name: 'never-sent' }));
    await sim.streamSilence(300);
    expect(sim.isOpen).toBe(true);
    sim.hangUp();
    const call = await finishedCall(server, (c) => c.id === answered.callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    expect(await errorCodes(server, answered.callId)).toEqual([
      'invalid_audio',
      'invalid_audio',
      'malformed_json',
      'unknown_event',
    ]);
  });

  it('closes a stream whose frame is over the WebSocket limit: a lost connection, not a hang-up', async () => {
    const { sim, answered } = await startedCall();
    sim.sendRaw(mediaWith(sim.streamId, Buffer.alloc(300 * 1024).toString('base64')));
    expect((await sim.closed()).code).toBe(1009);
    const call = await finishedCall(server, (c) => c.id === answered.callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'connection_lost' });
    expect(await errorCodes(server, answered.callId)).toEqual(['message_too_large', 'connection_lost']);
  });

  it('refuses a stream without a call the server accepted: no token, a wrong one, a used one, another agent', async () => {
    const mulaw = { encoding: 'audio/x-mulaw', sampleRate: 8000 };
    const refused = (path: string) => refusedWith('stream_refused', path, startMessage(mulaw));
    expect((await refused('/ws/vobiz/demo')).code).toBe(1008);

    const { sim, answered } = await startedCall();
    const [, , , agent, callId, token] = new URL(answered.url).pathname.split('/');
    expect((await refused(`/ws/vobiz/${agent}/${callId}/${'f'.repeat(32)}`)).code).toBe(1008);
    expect((await refused(`/ws/vobiz/${agent}/${callId}/${token}`)).code).toBe(1008);
    const fresh = await answerVobizCall(server, 'demo', { authToken: AUTH_TOKEN });
    const [, , , , freshId, freshToken] = new URL(fresh.url).pathname.split('/');
    expect((await refused(`/ws/vobiz/other-agent/${freshId}/${freshToken}`)).code).toBe(1008);

    expect(sim.isOpen).toBe(true);
    sim.hangUp();
    const call = await finishedCall(server, (c) => c.id === answered.callId);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
    expect(await errorCodes(server, answered.callId)).toEqual([]);
  });

  it('answers an unknown agent with a spoken apology and a hang-up', async () => {
    const url = `${server.url}/telephony/vobiz/inbound/nobody-here`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...vobizSignatureHeaders(AUTH_TOKEN, url),
      },
      body: new URLSearchParams({ CallUUID: randomUUID() }),
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<Speak>');
    expect(body).toContain('<Hangup/>');
  });
});
