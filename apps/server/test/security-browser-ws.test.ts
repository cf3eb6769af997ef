/**
 * An attacker's view of the browser test-call stream: a page on another site cannot use it
 * (the `Origin` check), a token is good for one stream only, and issuing one needs an editor.
 */
import { BROWSER_CLOSE_CODES } from '@parley/telephony';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const PUBLIC_ORIGIN = 'https://parley.example.test';

let server: TestServer;
let viewerKey: { authorization: string };

beforeAll(async () => {
  // Refused streams are logged as warnings, a call without services as an error: keep quiet.
  server = await startTestServer(() => noServices, { LOG_LEVEL: 'fatal', PUBLIC_URL: PUBLIC_ORIGIN });
  viewerKey = await apiKeyHeaders(server.database, 'viewer');
}, 60_000);

afterAll(async () => {
  await server?.close();
});

interface Issued {
  callId: string;
  token: string;
  url: string;
}

async function issue(): Promise<Issued> {
  const res = await server.parley.app.inject({
    method: 'POST',
    url: '/api/agents/demo/browser-call',
    headers: server.adminHeaders,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Issued>();
}

/** Opens `path` with `origin` (none when undefined); resolves with the socket once open. */
function open(path: string, origin?: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(server.wsUrl + path, origin === undefined ? {} : { headers: { origin } });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

/** Whether the socket is still open after `ms` (a refusal closes it at once). */
async function staysOpen(socket: { closed: Promise<number> }, ms = 1500): Promise<boolean> {
  const result = await Promise.race([
    socket.closed.then(() => false),
    new Promise<true>((resolve) => setTimeout(() => resolve(true), ms)),
  ]);
  return result;
}

describe('the browser test-call stream, attacked', () => {
  it('refuses a page of another origin even with a valid token, which stays usable', async () => {
    const issued = await issue();
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example', 'not a url']) {
      const foreign = await open(issued.url, origin);
      expect(await foreign.closed, origin).toBe(BROWSER_CLOSE_CODES.tokenRefused);
    }
    // The server's own page (as reached, or at PUBLIC_URL) may open it.
    const own = await open(issued.url, server.url);
    expect(await staysOpen(own)).toBe(true);
    own.ws.close();
    await own.closed;
  }, 60_000);

  it('accepts the configured public origin (behind a proxy)', async () => {
    const issued = await issue();
    const proxied = await open(issued.url, PUBLIC_ORIGIN);
    expect(await staysOpen(proxied)).toBe(true);
    proxied.ws.close();
    await proxied.closed;
  }, 30_000);

  it('refuses a replayed token once a stream has claimed the call', async () => {
    const issued = await issue();
    const first = await open(issued.url);
    first.ws.send('{"event":"start"}');
    // The claim is atomic in the database: wait until it is recorded.
    const deadline = Date.now() + 20_000;
    while ((await server.parley.calls.get(issued.callId))?.streamId == null) {
      if (Date.now() > deadline) throw new Error('the stream never claimed its call');
      await new Promise((r) => setTimeout(r, 100));
    }
    const replay = await open(issued.url);
    expect(await replay.closed).toBe(BROWSER_CLOSE_CODES.tokenUsed);
    first.ws.close();
    await first.closed;
  }, 60_000);

  it('refuses a token for another call, and a call id with another call’s token', async () => {
    const a = await issue();
    const b = await issue();
    const swapped = await open(`/ws/browser/demo?callId=${a.callId}&token=${b.token}`);
    swapped.ws.send('{"event":"start"}');
    expect(await swapped.closed).toBe(BROWSER_CLOSE_CODES.tokenRefused);
    // Neither call was used up by the attempt.
    expect((await server.parley.calls.get(a.callId))?.streamId).toBeNull();
    expect((await server.parley.calls.get(b.callId))?.streamId).toBeNull();
  }, 60_000);

  it('issues no token to a viewer, nor to a request without credentials', async () => {
    for (const headers of [viewerKey, {}]) {
      const res = await server.parley.app.inject({
        method: 'POST',
        url: '/api/agents/demo/browser-call',
        headers,
      });
      expect([401, 403]).toContain(res.statusCode);
      expect(res.body).not.toContain('token"');
    }
  });
});
