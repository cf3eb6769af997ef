import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulawToPcm, pcmFromBytes, pcmToBytes, pcmToMulaw } from '@parley/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { CallSimulator } from '../src/tools/call-simulator.ts';
import { ExotelCallSimulator } from '../src/tools/exotel-call-simulator.ts';
import { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';

/** A message the fake server got, with its arrival time (`performance.now()` ms). */
interface Got {
  readonly at: number;
  readonly msg: Record<string, unknown>;
}

/** The provider-facing end of one simulated call: a bare `ws` server on 127.0.0.1, not Parley. */
class FakeServer {
  readonly got: Got[] = [];
  socket: WebSocket | undefined;
  request: IncomingMessage | undefined;
  private constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (ws, req) => {
      this.socket = ws;
      this.request = req;
      ws.on('message', (data) =>
        this.got.push({ at: performance.now(), msg: JSON.parse(String(data)) as Record<string, unknown> }),
      );
    });
  }

  static async start(): Promise<FakeServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    return new FakeServer(wss);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws/test`;
  }

  events(event: string): Got[] {
    return this.got.filter((g) => g.msg.event === event);
  }

  send(msg: Record<string, unknown>): number {
    this.socket!.send(JSON.stringify(msg));
    return performance.now();
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

let fake: FakeServer | undefined;
let sims: CallSimulator[] = [];

afterEach(async () => {
  for (const s of sims) s.close();
  sims = [];
  await fake?.close();
  fake = undefined;
});

/** A simulator connected to a fresh fake server. */
async function connected<T extends CallSimulator>(
  make: (url: string) => T,
): Promise<{ sim: T; srv: FakeServer }> {
  const srv = await FakeServer.start();
  fake = srv;
  const sim = make(srv.url);
  sims.push(sim);
  await sim.connect();
  await until(() => srv.socket !== undefined);
  return { sim, srv };
}

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A 440 Hz tone, `ms` long at `rateHz`. */
function tone(ms: number, rateHz: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round((ms * rateHz) / 1000));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rateHz));
  return out;
}

function payloadOf(g: Got): Buffer {
  return Buffer.from((g.msg.media as { payload: string }).payload, 'base64');
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** µ-law is lossy: each decoded sample lies within its quantisation step of the original. */
function expectCloseToMulaw(decoded: Int16Array, original: Int16Array): void {
  expect(decoded.length).toBe(original.length);
  for (let i = 0; i < original.length; i++) {
    expect(Math.abs(decoded[i]! - original[i]!)).toBeLessThanOrEqual(Math.abs(original[i]!) / 16 + 8);
  }
}

/** Media frames sent within the first 500 ms after the first one, for real-time pacing checks. */
function framesInFirstHalfSecond(media: Got[]): number {
  const first = media[0]!.at;
  return media.filter((g) => g.at - first < 500).length;
}

/** Real-time pacing: between `min` and `max` frames went out in the first 500 ms. */
function expectPaced(media: Got[], min: number, max: number): void {
  expect(framesInFirstHalfSecond(media)).toBeGreaterThanOrEqual(min);
  expect(framesInFirstHalfSecond(media)).toBeLessThanOrEqual(max);
}

/** Streams `pcm` from the (started) caller; resolves with the `media` messages once `frames` arrived. */
async function streamed(
  sim: CallSimulator,
  srv: FakeServer,
  pcm: Int16Array,
  frames: number,
): Promise<Got[]> {
  await sim.streamAudio(pcm);
  await until(() => srv.events('media').length === frames);
  return srv.events('media');
}

/** The payload of each message, in bytes. */
const payloadSizes = (media: Got[]): number[] => media.map((g) => payloadOf(g).length);

/** The messages' payloads decoded and joined. */
const decoded = (media: Got[], decode: (payload: Buffer) => Int16Array): Int16Array =>
  concat(media.map((g) => decode(payloadOf(g))));

/** `pcm` as base64 µ-law payloads of 20 ms (160 samples), as a provider plays them. */
function mulawPayloads(pcm: Int16Array): string[] {
  const payloads: string[] = [];
  for (let i = 0; i < pcm.length; i += 160)
    payloads.push(Buffer.from(pcmToMulaw(pcm.subarray(i, i + 160))).toString('base64'));
  return payloads;
}

/** After a clear 200 ms into 1 s of queued audio: only about what played before it was heard. */
async function expectClearedAfter200Ms(sim: CallSimulator): Promise<void> {
  await sleep(900); // past the end of the 1 s that was queued
  expect(sim.heardAudio().length).toBeGreaterThanOrEqual(0.15 * 8000);
  expect(sim.heardAudio().length).toBeLessThanOrEqual(0.4 * 8000);
}

describe('TwilioCallSimulator', () => {
  it('sends connected and a µ-law start carrying the custom parameters and upgrade headers', async () => {
    const { sim, srv } = await connected(
      (url) =>
        new TwilioCallSimulator({
          url,
          customParameters: { agentId: 'support-bot' },
          headers: { 'X-Twilio-Signature': 'sig' },
          callSid: 'CA1',
          streamSid: 'MZ1',
        }),
    );
    sim.start();
    await until(() => srv.got.length >= 2);
    expect(srv.request!.headers['x-twilio-signature']).toBe('sig');
    expect(srv.got.map((g) => g.msg)).toEqual([
      { event: 'connected', protocol: 'Call', version: '1.0.0' },
      {
        event: 'start',
        sequenceNumber: '1',
        streamSid: 'MZ1',
        start: {
          streamSid: 'MZ1',
          accountSid: 'AC00000000000000000000000000000001',
          callSid: 'CA1',
          tracks: ['inbound'],
          customParameters: { agentId: 'support-bot' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      },
    ]);
  });

  it('streams 20 ms µ-law frames of 160 bytes in real time', async () => {
    const { sim, srv } = await connected((url) => new TwilioCallSimulator({ url }));
    sim.start();
    const pcm = tone(1000, 8000);
    const media = await streamed(sim, srv, pcm, 50);
    expectPaced(media, 22, 28);
    expect(payloadSizes(media)).toEqual(Array(50).fill(160));
    expect(media[0]!.msg).toMatchObject({
      sequenceNumber: '2',
      media: { track: 'inbound', chunk: '1', timestamp: '20' },
    });
    expect(media[49]!.msg).toMatchObject({ media: { chunk: '50', timestamp: '1000' } });
    expectCloseToMulaw(decoded(media, mulawToPcm), pcm);
  });

  it('echoes a mark only once the audio before it has been played', async () => {
    const { sim, srv } = await connected((url) => new TwilioCallSimulator({ url, streamSid: 'MZ1' }));
    sim.start();
    const pcm = tone(400, 8000);
    for (const payload of mulawPayloads(pcm))
      srv.send({ event: 'media', streamSid: 'MZ1', media: { payload } });
    const sentAt = srv.send({ event: 'mark', streamSid: 'MZ1', mark: { name: 'greeting-1' } });
    await sleep(300);
    expect(srv.events('mark')).toEqual([]);
    await until(() => srv.events('mark').length === 1);
    const echo = srv.events('mark')[0]!;
    expect(echo.at - sentAt).toBeGreaterThanOrEqual(390);
    expect(echo.msg).toEqual({
      event: 'mark',
      sequenceNumber: '2',
      streamSid: 'MZ1',
      mark: { name: 'greeting-1' },
    });
    expectCloseToMulaw(sim.heardAudio(), pcm);
  });

  it('on clear drops the queued audio and echoes the pending marks at once', async () => {
    const { sim, srv } = await connected((url) => new TwilioCallSimulator({ url }));
    sim.start();
    const frame = Buffer.alloc(160, 0xff).toString('base64');
    for (let i = 0; i < 50; i++) srv.send({ event: 'media', media: { payload: frame } });
    srv.send({ event: 'mark', mark: { name: 'turn-1' } });
    await sleep(200);
    const clearedAt = srv.send({ event: 'clear' });
    await until(() => srv.events('mark').length === 1);
    expect(srv.events('mark')[0]!.at - clearedAt).toBeLessThan(150);
    await expectClearedAfter200Ms(sim);
    expect(srv.events('mark')).toHaveLength(1);
  });
});

describe('ExotelCallSimulator', () => {
  it('sends connected and a snake_case start with the media format and Authorization header', async () => {
    const { sim, srv } = await connected(
      (url) =>
        new ExotelCallSimulator({
          url,
          customParameters: { agentId: 'support-bot' },
          headers: { Authorization: 'Basic a2V5OnRva2Vu' },
          callSid: 'c0ffee',
          streamSid: 'a1b2',
        }),
    );
    sim.start();
    await until(() => srv.got.length >= 2);
    expect(srv.request!.headers.authorization).toBe('Basic a2V5OnRva2Vu');
    expect(srv.got.map((g) => g.msg)).toEqual([
      { event: 'connected' },
      {
        event: 'start',
        sequence_number: '1',
        stream_sid: 'a1b2',
        start: {
          stream_sid: 'a1b2',
          call_sid: 'c0ffee',
          account_sid: 'acmecorp1',
          from: '+919876543210',
          to: '+918047491899',
          custom_parameters: { agentId: 'support-bot' },
          media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
        },
      },
    ]);
  });

  it('sends the camelCase variant when asked', async () => {
    const { sim, srv } = await connected(
      (url) => new ExotelCallSimulator({ url, camelCase: true, callSid: 'e0e0', streamSid: 'c3d4' }),
    );
    sim.start();
    await sim.streamSilence(100);
    sim.stop();
    await until(() => srv.got.length >= 4);
    expect(srv.got.map((g) => g.msg)).toEqual([
      { event: 'connected' },
      {
        event: 'start',
        streamSid: 'c3d4',
        start: {
          streamSid: 'c3d4',
          callSid: 'e0e0',
          accountSid: 'acmecorp1',
          from: '+919876543210',
          to: '+918047491899',
        },
      },
      {
        event: 'media',
        streamSid: 'c3d4',
        media: { chunk: '1', timestamp: '100', payload: Buffer.alloc(1600).toString('base64') },
      },
      { event: 'stop', streamSid: 'c3d4', stop: { callSid: 'e0e0' } },
    ]);
  });

  it('streams 100 ms chunks of little-endian PCM (1600 bytes at 8 kHz) in real time', async () => {
    const { sim, srv } = await connected((url) => new ExotelCallSimulator({ url, streamSid: 's1' }));
    sim.start();
    const pcm = tone(1000, 8000);
    const media = await streamed(sim, srv, pcm, 10);
    expectPaced(media, 4, 6);
    expect(payloadSizes(media)).toEqual(Array(10).fill(1600));
    expect(media[0]!.msg).toEqual({
      event: 'media',
      sequence_number: '2',
      stream_sid: 's1',
      media: { chunk: '1', timestamp: '100', payload: expect.any(String) },
    });
    expect(media[9]!.msg).toMatchObject({ sequence_number: '11', media: { chunk: '10', timestamp: '1000' } });
    expect(decoded(media, pcmFromBytes)).toEqual(pcm);
  });

  it('sends 3200-byte chunks every 200 ms when asked for 200 ms chunks', async () => {
    const { sim, srv } = await connected((url) => new ExotelCallSimulator({ url, chunkMs: 200 }));
    sim.start();
    const pcm = tone(1000, 8000);
    const media = await streamed(sim, srv, pcm, 5);
    expectPaced(media, 2, 3); // at 0, 200 and 400 ms; a loaded machine may send the third late
    expect(payloadSizes(media)).toEqual(Array(5).fill(3200));
    expect(media[1]!.msg).toMatchObject({ media: { chunk: '2', timestamp: '400' } });
    expect(decoded(media, pcmFromBytes)).toEqual(pcm);
  });

  it('at 16 kHz announces the rate and sends 3200-byte chunks', async () => {
    const { sim, srv } = await connected((url) => new ExotelCallSimulator({ url, sampleRateHz: 16000 }));
    sim.start();
    const pcm = tone(200, 16000);
    const media = await streamed(sim, srv, pcm, 2);
    expect(srv.events('start')[0]!.msg).toMatchObject({
      start: { media_format: { encoding: 'audio/x-raw', sample_rate: '16000', bit_rate: '16' } },
    });
    expect(payloadSizes(media)).toEqual([3200, 3200]);
    expect(decoded(media, pcmFromBytes)).toEqual(pcm);
  });

  it('plays PCM16LE media, records each chunk size, and echoes a mark once it was played', async () => {
    const { sim, srv } = await connected((url) => new ExotelCallSimulator({ url, streamSid: 's1' }));
    sim.start();
    const pcm = tone(300, 8000);
    const bytes = Buffer.from(pcmToBytes(pcm));
    srv.send({
      event: 'media',
      stream_sid: 's1',
      media: { payload: bytes.subarray(0, 3200).toString('base64') },
    });
    srv.send({
      event: 'media',
      stream_sid: 's1',
      media: { payload: bytes.subarray(3200).toString('base64') },
    });
    srv.send({ event: 'media', stream_sid: 's1', media: { payload: Buffer.alloc(1000).toString('base64') } });
    const sentAt = srv.send({ event: 'mark', stream_sid: 's1', mark: { name: 'greeting-1' } });
    await until(() => srv.events('mark').length === 1);
    const echo = srv.events('mark')[0]!;
    // 300 ms of tone and 62.5 ms of silence were queued before the mark.
    expect(echo.at - sentAt).toBeGreaterThanOrEqual(350);
    expect(echo.msg).toEqual({
      event: 'mark',
      sequence_number: '2',
      stream_sid: 's1',
      mark: { name: 'greeting-1' },
    });
    expect(sim.receivedChunkBytes).toEqual([3200, 1600, 1000]);
    expect(sim.heardAudio().subarray(0, pcm.length)).toEqual(pcm);
  });

  it('on clear drops the queued audio and the pending mark', async () => {
    const { sim, srv } = await connected((url) => new ExotelCallSimulator({ url }));
    sim.start();
    const chunk = Buffer.alloc(3200).toString('base64'); // 200 ms
    for (let i = 0; i < 5; i++) srv.send({ event: 'media', media: { payload: chunk } });
    srv.send({ event: 'mark', mark: { name: 'turn-1' } });
    await sleep(300);
    srv.send({ event: 'clear' });
    await sleep(900); // past the end of the 1 s that was queued
    // Chunks count as heard when they start: those at 0 and 200 ms (and 400 ms if the clear is late).
    expect(sim.heardAudio().length).toBeGreaterThanOrEqual(0.4 * 8000);
    expect(sim.heardAudio().length).toBeLessThanOrEqual(0.6 * 8000);
    expect(srv.events('mark')).toEqual([]);
  });

  it('sends dtmf, then stop with reason callended, and closes the socket', async () => {
    const { sim, srv } = await connected(
      (url) => new ExotelCallSimulator({ url, callSid: 'c1', streamSid: 's1' }),
    );
    sim.start();
    sim.sendDtmf('5');
    sim.hangUp();
    await sim.closed();
    await until(() => srv.got.length === 4);
    expect(srv.got.slice(2).map((g) => g.msg)).toEqual([
      { event: 'dtmf', sequence_number: '2', stream_sid: 's1', dtmf: { digit: '5', duration: '100' } },
      {
        event: 'stop',
        sequence_number: '3',
        stream_sid: 's1',
        stop: { call_sid: 'c1', account_sid: 'acmecorp1', reason: 'callended' },
      },
    ]);
  });
});

describe('VobizCallSimulator', () => {
  const streamId = '20170ada-f610-433b-8758-c02a2aab3662';

  it('sends only start, with numeric sequence, nested ids and extra_headers from the parameters', async () => {
    const { sim, srv } = await connected(
      (url) =>
        new VobizCallSimulator({
          url,
          callId: 'call-1',
          streamId,
          customParameters: { agentId: 'supportbot', tenant: 'acme' },
        }),
    );
    sim.start();
    await until(() => srv.got.length >= 1);
    await sleep(50);
    expect(srv.got.map((g) => g.msg)).toEqual([
      {
        event: 'start',
        sequenceNumber: 1,
        start: {
          callId: 'call-1',
          streamId,
          accountId: '100234',
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 },
        },
        extra_headers: 'agentId=supportbot,tenant=acme',
      },
    ]);
  });

  it('can send media before start, as seen in the field', async () => {
    const { sim, srv } = await connected((url) => new VobizCallSimulator({ url, mediaBeforeStart: 3 }));
    sim.start();
    await until(() => srv.got.length >= 4);
    expect(srv.got.map((g) => g.msg.event)).toEqual(['media', 'media', 'media', 'start']);
    expect(srv.got[3]!.msg).not.toHaveProperty('extra_headers');
  });

  it('streams 20 ms µ-law frames in real time with epoch-ms timestamps', async () => {
    const { sim, srv } = await connected((url) => new VobizCallSimulator({ url, streamId }));
    sim.start();
    const pcm = tone(1000, 8000);
    const before = Date.now();
    const media = await streamed(sim, srv, pcm, 50);
    expectPaced(media, 22, 28);
    expect(payloadSizes(media)).toEqual(Array(50).fill(160));
    expect(media[0]!.msg).toEqual({
      event: 'media',
      sequenceNumber: 2,
      streamId,
      media: { track: 'inbound', timestamp: expect.any(String), chunk: 1, payload: expect.any(String) },
    });
    const stamp = Number((media[0]!.msg.media as { timestamp: string }).timestamp);
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Date.now());
    expectCloseToMulaw(decoded(media, mulawToPcm), pcm);
  });

  it('sends L16 as big-endian 320-byte frames', async () => {
    const { sim, srv } = await connected((url) => new VobizCallSimulator({ url, encoding: 'audio/x-l16' }));
    sim.start();
    const pcm = tone(200, 8000);
    const media = await streamed(sim, srv, pcm, 10);
    expect(srv.events('start')[0]!.msg).toMatchObject({
      start: { mediaFormat: { encoding: 'audio/x-l16', sampleRate: 8000 } },
    });
    expect(payloadSizes(media)).toEqual(Array(10).fill(320));
    expect(decoded(media, (payload) => pcmFromBytes(payload, true))).toEqual(pcm);
  });

  it('answers a checkpoint with playedStream only once the audio before it was played', async () => {
    const { sim, srv } = await connected((url) => new VobizCallSimulator({ url, streamId }));
    sim.start();
    const pcm = tone(400, 8000);
    for (const payload of mulawPayloads(pcm))
      srv.send({ event: 'playAudio', media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload } });
    const sentAt = srv.send({ event: 'checkpoint', streamId, name: 'greeting-1' });
    await sleep(300);
    expect(srv.events('playedStream')).toEqual([]);
    await until(() => srv.events('playedStream').length === 1);
    expect(srv.events('playedStream')[0]!.at - sentAt).toBeGreaterThanOrEqual(390);
    expect(srv.events('playedStream')[0]!.msg).toEqual({ event: 'playedStream', name: 'greeting-1' });
    expectCloseToMulaw(sim.heardAudio(), pcm);
  });

  it('plays little-endian L16 and refuses audio whose format does not match the stream', async () => {
    const { sim, srv } = await connected((url) => new VobizCallSimulator({ url, encoding: 'audio/x-l16' }));
    sim.start();
    const pcm = tone(100, 8000);
    const payload = Buffer.from(pcmToBytes(pcm)).toString('base64');
    srv.send({ event: 'playAudio', media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload } });
    srv.send({ event: 'playAudio', media: { contentType: 'audio/x-l16', sampleRate: 16000, payload } });
    srv.send({ event: 'playAudio', media: { contentType: 'audio/x-l16', sampleRate: 8000, payload } });
    srv.send({ event: 'checkpoint', streamId: sim.streamId, name: 'done' });
    await until(() => srv.events('playedStream').length === 1);
    expect(sim.heardAudio()).toEqual(pcm);
    expect(sim.protocolErrors).toHaveLength(2);
  });

  it('on clearAudio drops the queue, acknowledges with clearedAudio and never reports the cleared checkpoint', async () => {
    const { sim, srv } = await connected((url) => new VobizCallSimulator({ url, streamId }));
    sim.start();
    const frame = Buffer.alloc(160, 0xff).toString('base64');
    for (let i = 0; i < 50; i++)
      srv.send({
        event: 'playAudio',
        media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload: frame },
      });
    srv.send({ event: 'checkpoint', streamId, name: 'turn-1' });
    await sleep(200);
    const clearedAt = srv.send({ event: 'clearAudio', streamId });
    await until(() => srv.events('clearedAudio').length === 1);
    const ack = srv.events('clearedAudio')[0]!;
    expect(ack.at - clearedAt).toBeLessThan(150);
    expect(ack.msg).toEqual({ event: 'clearedAudio', streamId, sequenceNumber: 2 });
    await expectClearedAfter200Ms(sim);
    expect(srv.events('playedStream')).toEqual([]);
  });

  it("closes the socket on the server's stop, and hangs up by closing without a stop of its own", async () => {
    const first = await connected((url) => new VobizCallSimulator({ url, streamId }));
    first.sim.start();
    first.srv.send({ event: 'stop', streamId });
    await first.sim.closed();
    expect(first.sim.isOpen).toBe(false);
    await first.srv.close();

    const second = await connected((url) => new VobizCallSimulator({ url, streamId }));
    second.sim.start();
    const closedByCaller = once(second.srv.socket!, 'close');
    second.sim.hangUp();
    await closedByCaller;
    expect(second.srv.got.map((g) => g.msg.event)).toEqual(['start']);
  });
});
