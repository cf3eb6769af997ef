import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeChatRequest } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../src/config/agent-config.ts';
import type { Call } from '../src/db/call-types.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../src/post-call/webhook.ts';
import { dialTwilio } from './helpers/answer.ts';
import {
  api,
  GREETING_AGENT,
  putAgent,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

const SECRET = 'whsec-test-1';

/**
 * A loopback webhook receiver that verifies the signature as an operator would, from the
 * documented scheme and not with the server's own `signWebhook`: `sha256=` + hex
 * HMAC-SHA256(secret, `<X-Parley-Timestamp as sent>.<raw body>`). Answers `statuses` in turn,
 * then 200 (401 when unverified).
 */
async function webhookReceiver() {
  const statuses: number[] = [];
  const deliveries: Array<{ headers: IncomingMessage['headers']; body: string; verified: boolean }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const timestampHeader = String(req.headers[TIMESTAMP_HEADER.toLowerCase()] ?? '');
      const timestamp = /^\d+$/.test(timestampHeader) ? Number(timestampHeader) : Number.NaN;
      const hmac = createHmac('sha256', SECRET).update(`${timestampHeader}.${body}`).digest('hex');
      const expected = Buffer.from(`sha256=${hmac}`);
      const given = Buffer.from(String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? ''));
      const fresh = Math.abs(Date.now() / 1000 - timestamp) < 300;
      const verified = fresh && given.length === expected.length && timingSafeEqual(given, expected);
      deliveries.push({ headers: req.headers, body, verified });
      res.writeHead(statuses.shift() ?? (verified ? 200 : 401));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks/call-ended`,
    deliveries,
    /** Statuses to answer next, whatever the signature. */
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ANALYSIS: NonNullable<AgentConfigInput['postCall']>['analysis'] = {
  summary: true,
  fields: [
    { name: 'party_size', type: 'number', description: 'How many guests' },
    { name: 'wants_callback', type: 'boolean' },
  ],
  disposition: ['booked', 'not_interested'],
};

const isAnalysis = (request: FakeChatRequest) =>
  String(request.messages[0]?.content ?? '').startsWith('You analyse a finished phone call');

describe('the end-of-call webhook signature', () => {
  it('is sha256= and the hex HMAC-SHA256 of "<timestamp>.<body>" (a vector computed with openssl)', () => {
    // printf '%s' '1700000000.{"event":"call_ended","id":"c1"}' | openssl dgst -sha256 -hmac whsec-test-1
    expect(signWebhook('whsec-test-1', 1_700_000_000, '{"event":"call_ended","id":"c1"}')).toBe(
      'sha256=0d5ddbb668d4197dc0c840e89523b12507326e89d11753ca540d52334ec87035',
    );
    // The timestamp is signed: another time, another signature.
    expect(signWebhook('whsec-test-1', 1_700_000_001, '{"event":"call_ended","id":"c1"}')).not.toBe(
      'sha256=0d5ddbb668d4197dc0c840e89523b12507326e89d11753ca540d52334ec87035',
    );
  });
});

describe('post-call analysis and the end-of-call webhook', () => {
  let server: TelephonyTestServer;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  /** What the fake LLM answers the analysis request with. */
  let analysisAnswer = '';

  beforeAll(async () => {
    receiver = await webhookReceiver();
    server = await startTelephonyTestServer({
      EGRESS_ALLOW: `127.0.0.1:${receiver.port}`,
      LOG_LEVEL: 'silent',
    });
    server.llm.setHandler((request) => (isAnalysis(request) ? { text: analysisAnswer } : { text: 'Okay.' }));
    const cred = await api(server, 'POST', '/api/credentials', {
      name: 'hook-secret',
      kind: 'generic',
      value: { secret: SECRET },
      destination: receiver.url,
    });
    expect(cred.status, JSON.stringify(cred.body)).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), receiver?.close()]);
  });

  /** Plays an inbound call on `agent` until its greeting was spoken, hangs up; returns its id once stored. */
  async function playCall(agent: string): Promise<string> {
    const sim = await dialTwilio(server, agent);
    await sim.connect();
    sim.start();
    let callId = '';
    await expect
      .poll(
        async () => {
          const { calls } = await server.parley.calls.list({ limit: 1 });
          callId = calls[0]?.id ?? '';
          const events = callId ? await server.parley.events.list(callId) : [];
          return events.some((e) => e.type === 'agent_spoke');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    sim.hangUp();
    await sim.closed();
    return callId;
  }

  /** The call once an event of `type` is stored for it. */
  async function afterEvent(callId: string, type: string): Promise<Call> {
    await expect
      .poll(async () => (await server.parley.events.list(callId)).some((e) => e.type === type), {
        timeout: 15_000,
      })
      .toBe(true);
    return (await server.parley.calls.get(callId))!;
  }

  const agent = (postCall: AgentConfigInput['postCall']): AgentConfigInput => ({
    ...GREETING_AGENT,
    greeting: 'Hello, table bookings.',
    postCall,
  });

  it('stores the LLM’s analysis with the call and posts a signed webhook carrying it', async () => {
    analysisAnswer = JSON.stringify({
      summary: 'The caller booked a table for four.',
      fields: { party_size: 4, wants_callback: null },
      disposition: 'booked',
    });
    await putAgent(
      server,
      'analysed',
      agent({ analysis: ANALYSIS, webhook: { url: receiver.url, secretCredential: 'hook-secret' } }),
    );
    const callId = await playCall('analysed');
    const call = await afterEvent(callId, 'webhook_delivered');
    expect(call.status).toBe('completed');
    expect(call.analysis).toMatchObject({
      status: 'completed',
      summary: 'The caller booked a table for four.',
      fields: { party_size: 4, wants_callback: null },
      disposition: 'booked',
    });
    const delivery = receiver.deliveries.at(-1)!;
    expect(delivery.verified).toBe(true);
    expect(delivery.headers['x-parley-timestamp']).toMatch(/^\d{10}$/);
    expect(delivery.headers['x-parley-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const body = JSON.parse(delivery.body) as Record<string, Record<string, unknown>>;
    expect(body.call).toMatchObject({
      id: callId,
      agentId: 'analysed',
      status: 'completed',
      endReason: 'caller_hung_up',
    });
    expect(body.analysis).toEqual(call.analysis);
    expect(body.transcript).toEqual([
      expect.objectContaining({ role: 'assistant', text: 'Hello, table bookings.' }),
    ]);
    expect(body.usage).toHaveProperty('summary');
    const events = await server.parley.events.list(callId);
    const types = events.map((e) => e.type);
    expect(types.indexOf('call_ended')).toBeLessThan(types.indexOf('post_call_analysis'));
    expect(events.find((e) => e.type === 'webhook_delivered')?.data).toMatchObject({
      delivered: true,
      attempts: 1,
      status: 200,
    });
  });

  it('stores an analysis error when the LLM does not answer JSON; the call is stored as usual', async () => {
    analysisAnswer = 'Sure! The caller booked a table.';
    await putAgent(server, 'garbled', agent({ analysis: ANALYSIS }));
    const callId = await playCall('garbled');
    const call = await afterEvent(callId, 'post_call_analysis');
    expect(call.status).toBe('completed');
    expect(call.transcript).toHaveLength(1);
    expect(call.analysis).toMatchObject({
      status: 'failed',
      error: 'the LLM did not answer JSON: Sure! The caller booked a table.',
    });
  });

  it('stores an analysis error when the JSON misses a field or picks an unknown disposition', async () => {
    analysisAnswer = JSON.stringify({ summary: 'x', fields: { party_size: 'four' }, disposition: 'maybe' });
    await putAgent(server, 'misfit', agent({ analysis: ANALYSIS }));
    const call = await afterEvent(await playCall('misfit'), 'post_call_analysis');
    expect(call.analysis?.status).toBe('failed');
    expect(String(call.analysis?.error)).toMatch(/fields\.party_size: .*number.*disposition: /s);
  });

  it('retries a webhook that answers 503 (backoff 1 s), then stores its delivery', async () => {
    receiver.statuses.push(503);
    await putAgent(
      server,
      'retried',
      agent({ webhook: { url: receiver.url, secretCredential: 'hook-secret' } }),
    );
    const before = receiver.deliveries.length;
    const callId = await playCall('retried');
    const call = await afterEvent(callId, 'webhook_delivered');
    expect(call.analysis).toBeNull();
    expect(receiver.deliveries.length - before).toBe(2);
    expect(receiver.deliveries.slice(before).every((d) => d.verified)).toBe(true);
    const events = await server.parley.events.list(callId);
    expect(events.find((e) => e.type === 'webhook_delivered')?.data).toMatchObject({
      attempts: 2,
      status: 200,
    });
  });
});
