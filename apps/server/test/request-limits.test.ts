/**
 * Requests that cost the server without being calls: floods of webhooks, API requests and
 * tokenless media-stream upgrades, oversized and deeply nested bodies. Each is refused within
 * its limit, counted, and writes no call row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WEBHOOK_BODY_LIMIT_BYTES } from '../src/limits/webhook-bodies.ts';
import { callCount, expectRefused } from './helpers/fakes.ts';
import { startTelephonyTestServer, type TelephonyTestServer } from './helpers/telephony.ts';

const PER_MINUTE = 5;
const PENDING_PER_IP = 10;
const FLOOD = 200;

/** Arrays nested `depth` deep around a number, as a JSON object's `x`. */
const nestedJson = (depth: number) => `{"x":${'['.repeat(depth)}1${']'.repeat(depth)}}`;

describe('request limits', () => {
  let server: TelephonyTestServer;

  beforeAll(async () => {
    server = await startTelephonyTestServer({
      RATE_LIMIT_API_PER_MIN: String(PER_MINUTE),
      RATE_LIMIT_WEBHOOKS_PER_MIN: String(PER_MINUTE),
      MAX_PENDING_STREAMS_PER_IP: String(PENDING_PER_IP),
      // Long enough that no flooding socket is closed, and its place freed, during the flood.
      STREAM_START_TIMEOUT_SECS: '30',
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  /** A request from `remoteAddress` (each address has its own rate-limit budget). */
  const inject = (remoteAddress: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: string) =>
    server.parley.app.inject({
      method,
      url,
      remoteAddress,
      headers: {
        ...(url.startsWith('/api/') ? server.adminHeaders : {}),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload }),
    });

  it('answers 429 with Retry-After past the API limit, per address, and never limits /health', async () => {
    for (let i = 0; i < PER_MINUTE; i++)
      expect((await inject('192.0.2.1', 'GET', '/api/agents')).statusCode).toBe(200);
    const over = await expectRefused(server, 'rate_limited', () => inject('192.0.2.1', 'GET', '/api/agents'));
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ error: { code: 'too_many_requests' } });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await inject('192.0.2.2', 'GET', '/api/agents')).statusCode).toBe(200);
    for (let i = 0; i < 2 * PER_MINUTE; i++)
      expect((await inject('192.0.2.1', 'GET', '/health')).statusCode).toBe(200);
  });

  it('answers 429 past the webhook limit, before reading the body, and stores no call', async () => {
    const post = () =>
      fetch(`${server.url}/telephony/twilio/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ CallSid: 'CAnone', CallStatus: 'completed' }),
      });
    for (let i = 0; i < PER_MINUTE; i++) expect((await post()).status).toBe(204);
    const over = await expectRefused(server, 'rate_limited', post);
    expect(over.status).toBe(429);
    const answer = await expectRefused(server, 'rate_limited', () =>
      fetch(`${server.url}/telephony/twilio/inbound/demo`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ CallSid: 'CAflood' }),
      }),
    );
    expect(answer.status).toBe(429);
  });

  it('refuses a webhook body over 64 KiB and a deeply nested one, and stores no call', async () => {
    const rows = await callCount(server);
    const tooLong = `{"CallSid":"CA1","x":"${'a'.repeat(WEBHOOK_BODY_LIMIT_BYTES)}"}`;
    const long = await inject('198.51.100.1', 'POST', '/telephony/twilio/inbound/demo', tooLong);
    expect(long.statusCode).toBe(413);
    // Valid JSON of 60 KB that JSON.parse would take milliseconds over: refused before it.
    const deep = await inject('198.51.100.2', 'POST', '/telephony/twilio/inbound/demo', nestedJson(30_000));
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({ error: { code: 'invalid_json' } });
    expect(await callCount(server)).toBe(rows);
  });

  it('refuses a deeply nested API body under the size limit, and takes a normal one', async () => {
    const deep = await inject('198.51.100.3', 'PUT', '/api/agents/nested', nestedJson(450_000));
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({
      error: { code: 'invalid_json', message: expect.stringContaining('nested') },
    });
    const agent = JSON.stringify({
      name: 'Shallow',
      config: {
        prompt: 'Hi.',
        stt: { provider: 'fake' },
        tts: { provider: 'fake' },
        llm: { provider: 'openai' },
      },
    });
    expect((await inject('198.51.100.3', 'PUT', '/api/agents/shallow', agent)).statusCode).toBeLessThan(300);
  });

  it(`caps a flood of ${FLOOD} tokenless upgrades at ${PENDING_PER_IP} pending from one address, storing no call`, async () => {
    const rows = await callCount(server);
    const refusedBefore = server.parley.refusals.snapshot().pending_streams_per_ip;
    const open: WebSocket[] = [];
    const statuses: number[] = [];
    await Promise.all(
      Array.from(
        { length: FLOOD },
        () =>
          new Promise<void>((resolve) => {
            const ws = new WebSocket(`${server.wsUrl}/ws/twilio/demo`);
            ws.on('error', () => resolve());
            ws.once('open', () => {
              open.push(ws);
              resolve();
            });
            ws.once('unexpected-response', (request, response) => {
              statuses.push(response.statusCode ?? 0);
              response.resume();
              request.destroy();
              resolve();
            });
          }),
      ),
    );
    expect(open).toHaveLength(PENDING_PER_IP);
    expect(statuses).toEqual(new Array(FLOOD - PENDING_PER_IP).fill(429));
    expect(server.parley.refusals.snapshot().pending_streams_per_ip - refusedBefore).toBe(
      FLOOD - PENDING_PER_IP,
    );

    // The ones let in have no call: a start without a token is refused, and frees the place.
    const closes = open.map((ws) => new Promise<number>((resolve) => ws.once('close', resolve)));
    for (const ws of open) {
      ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
      ws.send(
        JSON.stringify({
          event: 'start',
          sequenceNumber: '1',
          streamSid: 'MZ00000000000000000000000000000001',
          start: {
            streamSid: 'MZ00000000000000000000000000000001',
            accountSid: 'AC00000000000000000000000000000001',
            callSid: 'CA00000000000000000000000000000001',
            tracks: ['inbound'],
            customParameters: {},
            mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          },
        }),
      );
    }
    expect(await Promise.all(closes)).toEqual(new Array(PENDING_PER_IP).fill(1008));
    expect(await callCount(server)).toBe(rows);
    // Their places are free again.
    const again = new WebSocket(`${server.wsUrl}/ws/twilio/demo`);
    await new Promise((resolve, reject) => {
      again.once('open', resolve);
      again.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade answered ${res.statusCode}`)),
      );
    });
    again.close();
  });
});
