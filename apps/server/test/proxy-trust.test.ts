/**
 * Forwarded headers are believed only from the proxies in `TRUST_PROXY`: otherwise the Exotel
 * IP allow-list sees the socket's address, whatever `X-Forwarded-For` claims, and answer URLs
 * are built from the Host header, whatever `X-Forwarded-Proto`/`-Host` claim.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useFakeServicesServer } from './helpers/fakes.ts';
import type { TestServer } from './helpers/server.ts';
import { putSettings, readVobizXml } from './helpers/telephony.ts';

const ALLOWED = '203.0.113.7';

/** The Exotel dynamic URL from this host (loopback), claiming to forward for `forwardedFor`. */
async function exotelAnswer(server: TestServer, forwardedFor: string): Promise<number> {
  const query = new URLSearchParams({ CallSid: randomBytes(16).toString('hex') });
  const res = await fetch(`${server.url}/telephony/exotel/inbound/demo?${query}`, {
    headers: { 'x-forwarded-for': forwardedFor },
  });
  await res.arrayBuffer();
  return res.status;
}

/** The status the Exotel stream upgrade is answered with (101 when it opens). */
function exotelUpgrade(server: TestServer, forwardedFor: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.wsUrl}/ws/exotel/demo`, {
      headers: { 'x-forwarded-for': forwardedFor },
    });
    ws.on('error', () => {});
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (request, response) => {
      response.resume();
      request.destroy();
      resolve(response.statusCode ?? 0);
    });
  });
}

/** The stream URL Vobiz's answer_url gives a request with these headers (no PUBLIC_URL is set). */
async function vobizStreamUrl(server: TestServer, headers: Record<string, string>): Promise<string> {
  const res = await server.parley.app.inject({
    method: 'POST',
    url: '/telephony/vobiz/inbound/demo',
    payload: new URLSearchParams({ CallUUID: randomUUID() }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  expect(res.statusCode).toBe(200);
  return readVobizXml(res.body);
}

const FORWARDED = {
  host: 'internal:8080',
  'x-forwarded-host': 'voice.example.com',
  'x-forwarded-proto': 'https',
};

describe('without TRUST_PROXY (the default)', () => {
  let server: TestServer;
  useFakeServicesServer(async (started) => {
    server = started.server;
  });

  it('checks the Exotel allow-list against the socket address, not X-Forwarded-For', async () => {
    await putSettings(server, { exotel: { allowedIps: [ALLOWED] } });
    expect(await exotelAnswer(server, ALLOWED)).toBe(403);
    expect(await exotelUpgrade(server, ALLOWED)).toBe(403);
    await putSettings(server, { exotel: { allowedIps: ['127.0.0.1'] } });
    expect(await exotelAnswer(server, '198.51.100.9')).toBe(200);
  });

  it('builds answer URLs from the Host header, ignoring X-Forwarded-Proto and -Host', async () => {
    const url = await vobizStreamUrl(server, FORWARDED);
    expect(url).toMatch(/^ws:\/\/internal:8080\/ws\/vobiz\/demo\//);
  });
});

describe('with TRUST_PROXY naming the proxy', () => {
  let server: TestServer;
  useFakeServicesServer(
    async (started) => {
      server = started.server;
      await putSettings(server, { exotel: { allowedIps: [ALLOWED] } });
    },
    { TRUST_PROXY: '127.0.0.1' },
  );

  it('checks the allow-list against the address the trusted proxy forwards for', async () => {
    expect(await exotelAnswer(server, ALLOWED)).toBe(200);
    expect(await exotelUpgrade(server, ALLOWED)).toBe(101);
    expect(await exotelAnswer(server, '198.51.100.9')).toBe(403);
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    const res = await server.parley.app.inject({
      method: 'GET',
      url: `/telephony/exotel/inbound/demo?CallSid=${randomBytes(16).toString('hex')}`,
      remoteAddress: '10.9.9.9',
      headers: { 'x-forwarded-for': ALLOWED },
    });
    expect(res.statusCode).toBe(403);
  });

  it('builds answer URLs from the forwarded protocol and host', async () => {
    const url = await vobizStreamUrl(server, FORWARDED);
    expect(url).toMatch(/^wss:\/\/voice\.example\.com\/ws\/vobiz\/demo\//);
  });
});
