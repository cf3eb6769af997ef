/**
 * An attacker's view of the live monitor stream: one user or API key cannot hold every stream
 * (each holds a socket and a subscription), and a closed stream frees its place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHeaders } from './helpers/auth.ts';
import { type LiveStreamReader, openLiveStream } from './helpers/live-stream.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
const opened: LiveStreamReader[] = [];

beforeAll(async () => {
  server = await startTestServer(() => noServices, { LOG_LEVEL: 'error' });
}, 60_000);

afterAll(async () => {
  for (const stream of opened) stream.close();
  await server?.close();
});

async function open(headers: Record<string, string>): Promise<LiveStreamReader> {
  const stream = await openLiveStream(server.url, headers);
  opened.push(stream);
  return stream;
}

describe('the live monitor, attacked', () => {
  it('caps the streams of one API key at 10, leaving room for others; a closed one frees its place', async () => {
    const greedy = await apiKeyHeaders(server.database, 'viewer', 'greedy viewer');
    const other = await apiKeyHeaders(server.database, 'viewer', 'other viewer');
    const mine: LiveStreamReader[] = [];
    for (let i = 0; i < 10; i++) {
      const stream = await open(greedy);
      expect(stream.status, `stream ${i + 1}`).toBe(200);
      mine.push(stream);
    }
    const refused = await fetch(`${server.url}/api/live`, {
      headers: { accept: 'text/event-stream', ...greedy },
    });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'too_many_streams' } });

    expect((await open(other)).status).toBe(200);

    mine[0]?.close();
    // The server notices the disconnect asynchronously: retry until the place is free.
    await expect
      .poll(
        async () => {
          const again = await open(greedy);
          if (again.status !== 200) again.close();
          return again.status;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(200);
  }, 60_000);
});
