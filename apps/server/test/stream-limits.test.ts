/**
 * Media streams that cost the server without being calls: oversized and deeply nested
 * messages, sockets that never send `start`, and answered calls whose stream never comes (slot
 * squatting). Each is refused or ended within its limit, and none leaves a call row behind.
 */
import { randomBytes } from 'node:crypto';
import type { ProviderName } from '@parley/telephony';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_STREAM_MESSAGE_BYTES } from '../src/limits/stream-messages.ts';
import { answerExotel, answerTwilio, dialTwilio, exotelCaller } from './helpers/answer.ts';
import { errorCodes, expectRefused } from './helpers/fakes.ts';
import {
  callWithStatus,
  postForm,
  putSettings,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

/** Opens a bare WebSocket to `url`; resolves once open, with its close (code, ms after opening). */
async function openSocket(
  url: string,
): Promise<{ ws: WebSocket; closed: Promise<{ code: number; afterMs: number }> }> {
  const ws = new WebSocket(url);
  const opened = performance.now();
  const closed = new Promise<{ code: number; afterMs: number }>((resolve) =>
    ws.once('close', (code) => resolve({ code, afterMs: performance.now() - opened })),
  );
  ws.on('error', () => {}); // a close follows
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
  });
  return { ws, closed };
}

/** A JSON text message of exactly `bytes` bytes (ASCII), with an event no provider sends. */
function messageOf(bytes: number): string {
  const head = '{"event":"padding","x":"';
  const tail = '"}';
  return `${head}${'a'.repeat(bytes - head.length - tail.length)}${tail}`;
}

describe('media stream limits', () => {
  let server: TelephonyTestServer;

  beforeAll(async () => {
    server = await startTelephonyTestServer({ STREAM_START_TIMEOUT_SECS: '1', STREAM_WAIT_SECS: '1' });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it.each<ProviderName>(['twilio', 'vobiz', 'exotel'])(
    'closes a %s stream with 1009 at a message one byte over its limit, and takes one at the limit',
    async (provider) => {
      const limit = MAX_STREAM_MESSAGE_BYTES[provider];
      const { ws, closed } = await openSocket(`${server.wsUrl}/ws/${provider}/demo`);
      const close = await expectRefused(server, 'message_too_large', async () => {
        ws.send(messageOf(limit)); // not a message we know, but not too large
        ws.send(messageOf(limit + 1));
        return closed;
      });
      expect(close.code).toBe(1009);
    },
  );

  it('refuses a deeply nested message in a call without parsing it, and the call goes on', async () => {
    const answered = await answerExotel(server);
    const sim = exotelCaller(answered);
    await sim.connect();
    sim.start();
    await sim.streamSilence(200);
    // 60 KB of nesting, under Exotel's size limit: JSON.parse would spend milliseconds on it.
    const depth = 30_000;
    sim.sendRaw(
      `{"event":"media","stream_sid":"${sim.streamSid}","x":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    );
    await sim.streamSilence(200);
    expect(sim.isOpen).toBe(true);
    sim.stop();
    await callWithStatus(server, answered.callId, 'completed');
    expect(await errorCodes(server, answered.callId)).toEqual(['message_too_deep']);
  });

  it('closes a socket that sends no start within the handshake timeout, and stores nothing', async () => {
    const { closed } = await openSocket(`${server.wsUrl}/ws/twilio/demo`);
    const close = await expectRefused(server, 'stream_without_start', () => closed);
    expect(close.code).toBe(1008);
    // STREAM_START_TIMEOUT_SECS is 1; the default of 5 (and the old 10) would be far later.
    expect(close.afterMs).toBeGreaterThanOrEqual(900);
    expect(close.afterMs).toBeLessThan(4000);
  });

  it('frees the places of answered calls whose stream never comes, so a real caller gets in', async () => {
    await putSettings(server, { maxConcurrentCalls: 2 });
    try {
      // Two bogus webhooks take both places, and a third call is busy…
      const squatters = [await answerTwilio(server), await answerTwilio(server)];
      const busy = await postForm(server, '/telephony/twilio/inbound/demo', {
        CallSid: `CA${randomBytes(16).toString('hex')}`,
      });
      expect(busy.body).toContain('<Hangup/>');
      expect(busy.body).not.toContain('<Stream');
      // …until the short wait for their streams (STREAM_WAIT_SECS=1) ends them.
      for (const squatter of squatters) {
        const call = await callWithStatus(server, squatter.callId, 'failed');
        expect(call.endReason).toBe('no_stream');
      }
      const caller = await dialTwilio(server);
      await caller.connect();
      caller.start();
      await expect
        .poll(async () => (await server.parley.calls.findByProviderCallId('twilio', caller.callSid))?.status)
        .toBe('in_progress');
      caller.hangUp();
      await caller.closed();
    } finally {
      await putSettings(server, { maxConcurrentCalls: null });
    }
  });
});
