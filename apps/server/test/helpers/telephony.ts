/**
 * What the telephony tests share: a server whose `PUBLIC_URL` is its own origin (so the answer
 * and status URLs it gives the provider fakes reach it) with fake STT, LLM and TTS; the
 * settings and agents APIs; reading TwiML and VobizXML answers; waiting for a call's row.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { OpenAILLMService } from '@parley/services';
import { FakeOpenAIServer, FakeSTTService, FakeTTSService } from '@parley/services/testing';
import twilio from 'twilio';
import { expect } from 'vitest';
import type { ServiceFactory } from '../../src/calls/services.ts';
import type { AgentConfigInput } from '../../src/config/agent-config.ts';
import type { Call, CallStatus } from '../../src/db/call-types.ts';
import { startTestServer, type TestServer } from './server.ts';

/** A test server with fake services, and what the calls' TTS were asked to say. */
export interface TelephonyTestServer extends TestServer {
  readonly llm: FakeOpenAIServer;
  /** Every text the calls' TTS synthesized, oldest first. */
  spoken(): string[];
}

/** A free TCP port of 127.0.0.1 (free when asked; the server takes it right after). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * Starts a server on a free port with `PUBLIC_URL=http://127.0.0.1:<port>`: fake STT (no
 * transcripts), an OpenAI-compatible fake LLM and a fast fake TTS (5 ms per character).
 */
export async function startTelephonyTestServer(
  env: Record<string, string> = {},
): Promise<TelephonyTestServer> {
  const llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Okay.' } });
  const tts: FakeTTSService[] = [];
  const services: ServiceFactory = () => {
    const speaker = new FakeTTSService({ msPerChar: 5 });
    tts.push(speaker);
    return {
      stt: new FakeSTTService(),
      llm: new OpenAILLMService({ apiKey: 'test', baseUrl: llm.url }),
      tts: speaker,
      problems: [],
    };
  };
  const port = await freePort();
  const server = await startTestServer(() => services, {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
  });
  return {
    ...server,
    llm,
    spoken: () => tts.flatMap((t) => t.spoken),
    close: async () => {
      await server.close();
      await llm.close();
    },
  };
}

/** A JSON answer of the server's API. */
export interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Sends `body` as JSON (or nothing) to the server's API as its admin API key and reads the JSON answer. */
export async function api(
  server: TestServer,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<JsonResponse> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    ...(body === undefined
      ? { headers: server.adminHeaders }
      : {
          headers: { ...server.adminHeaders, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Replaces the telephony settings; fails the test unless the server accepts them. */
export async function putSettings(server: TestServer, settings: Record<string, unknown>): Promise<void> {
  const res = await api(server, 'PUT', '/api/telephony-settings', settings);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** An agent that greets `{{name}}` from the call's context, on the fake services. */
export const GREETING_AGENT: AgentConfigInput = {
  prompt: 'You are Parley, calling {{name}}.',
  greeting: 'Hello {{name}}, this is Parley.',
  stt: { provider: 'fake' },
  tts: { provider: 'fake' },
  llm: { provider: 'openai' },
  userIdle: { enabled: false },
};

/** Creates or replaces agent `id`; fails the test unless the server accepts it. */
export async function putAgent(server: TestServer, id: string, config: AgentConfigInput): Promise<void> {
  const res = await api(server, 'PUT', `/api/agents/${id}`, { name: id, config });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

/** The call once its row has `status` (polled). */
export async function callWithStatus(server: TestServer, id: string, status: CallStatus): Promise<Call> {
  await expect
    .poll(async () => (await server.parley.calls.get(id))?.status, { timeout: 10_000 })
    .toBe(status);
  return (await server.parley.calls.get(id))!;
}

/** The stream URL and `<Parameter>`s of `<Connect><Stream>` TwiML. */
export function readTwiml(twiml: string): { url: string; parameters: Record<string, string> } {
  const url = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
  if (!url) throw new Error(`no <Stream> in ${twiml}`);
  const parameters = Object.fromEntries(
    [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, m[2]!]),
  );
  return { url, parameters };
}

/** The stream URL of VobizXML `<Stream>`. */
export function readVobizXml(xml: string): string {
  const url = /<Stream[^>]*>([^<]+)<\/Stream>/.exec(xml)?.[1];
  if (!url) throw new Error(`no <Stream> in ${xml}`);
  return url;
}

/** `X-Twilio-Signature` of a stream upgrade: over the `wss://` URL of the TwiML, no parameters. */
export function twilioStreamHeaders(authToken: string, twimlUrl: string): Record<string, string> {
  return { 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, twimlUrl, {}) };
}

/** `X-Vobiz-Signature-V3` and its nonce for a callback to `url` (its query is not signed). */
export function vobizSignatureHeaders(authToken: string, url: string): Record<string, string> {
  const nonce = String(BigInt(`0x${randomBytes(6).toString('hex')}`));
  const base = url.replace(/[?#].*$/s, '');
  return {
    'x-vobiz-signature-v3': createHmac('sha256', authToken).update(`${base}.${nonce}`).digest('base64'),
    'x-vobiz-signature-v3-nonce': nonce,
  };
}

/** POSTs a form to the server, as a provider's callback does. */
export async function postForm(
  server: TestServer,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; contentType: string | null }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

/** The same path and query on the test server's `ws://` origin (answers name `wss://` or carry credentials). */
export function onServer(server: TestServer, url: string): string {
  const u = new URL(url);
  return `${server.wsUrl}${u.pathname}${u.search}`;
}
