import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRepository } from '../src/db/calls.ts';
import { type LiveCallInfo, LiveEventBus, type LiveMessage } from '../src/live/live-bus.ts';
import { apiLiveRoutes } from '../src/routes/api-live.ts';

const info = (id: string): LiveCallInfo => ({
  id,
  agentId: 'demo',
  agentName: 'Demo agent',
  provider: 'twilio',
  direction: 'inbound',
  from: '+15551230000',
  to: '+15557654321',
  startedAt: '2026-12-07T10:00:00.000Z',
});
const at = '2026-12-07T10:00:01.000Z';

describe('LiveEventBus', () => {
  it('delivers what is published to subscribers, and keeps calls in progress for snapshots', () => {
    const bus = new LiveEventBus();
    const got: LiveMessage[] = [];
    const unsubscribe = bus.subscribe((m) => got.push(m));
    bus.publish('a', { type: 'user_spoke', at, data: { text: 'before start' } }); // unknown call: dropped
    bus.callStarted(info('a'));
    bus.publish('a', { type: 'user_spoke', at, data: { text: 'hello' } });
    bus.publish('a', { type: 'transcript_partial', at, data: { role: 'user', text: 'hel' } });
    expect(got.map((m) => m.kind)).toEqual(['call_started', 'event', 'event']);
    // Partials are streamed but superseded: the snapshot leaves them out.
    expect(bus.snapshot()).toEqual([
      { call: info('a'), events: [{ type: 'user_spoke', at, data: { text: 'hello' } }] },
    ]);
    bus.callEnded('a');
    bus.callEnded('a');
    expect(got.filter((m) => m.kind === 'call_ended')).toHaveLength(1);
    expect(bus.snapshot()).toEqual([]);
    unsubscribe();
    expect(bus.listenerCount).toBe(0);
  });

  it('keeps a bounded number of events per call', () => {
    const bus = new LiveEventBus();
    bus.callStarted(info('a'));
    for (let i = 0; i < 1000; i++) bus.publish('a', { type: 'turn', at, data: { turn: i } });
    const events = bus.snapshot()[0]!.events;
    expect(events.length).toBeLessThanOrEqual(200);
    expect(events.at(-1)!.data).toEqual({ turn: 999 });
  });

  it('a throwing subscriber neither stops the others nor the publisher', () => {
    const errors: unknown[] = [];
    const bus = new LiveEventBus((err) => errors.push(err));
    const got: LiveMessage[] = [];
    bus.subscribe(() => {
      throw new Error('broken monitor');
    });
    bus.subscribe((m) => got.push(m));
    bus.callStarted(info('a'));
    expect(got).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });
});

describe('GET /api/live, the stream itself', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function serve(bus: LiveEventBus, options: { heartbeatMs?: number; maxStreamMs?: number }) {
    app = Fastify({ logger: false });
    // The guard is not installed here: this checks the stream's framing and lifetime only.
    await app.register(
      apiLiveRoutes({
        live: bus,
        calls: {} as CallRepository,
        active: new Map(),
        credentials: { watch: () => () => {} },
        ...options,
      }),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async function readAll(url: string): Promise<string> {
    const res = await fetch(`${url}/api/live`, { headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return res.text(); // resolves when the server ends the stream
  }

  it('sends retry, the snapshot, heartbeats, and ends the stream after its maximum time', async () => {
    const bus = new LiveEventBus();
    bus.callStarted(info('a'));
    const url = await serve(bus, { heartbeatMs: 100, maxStreamMs: 700 });
    const text = await readAll(url);
    expect(text.startsWith('retry: 3000\n\n')).toBe(true);
    const data = text.split('\n').filter((l) => l.startsWith('data: '));
    expect(JSON.parse(data[0]!.slice(6))).toMatchObject({ kind: 'snapshot', calls: [{ call: { id: 'a' } }] });
    expect(text).toContain(': ping\n\n');
    expect(bus.listenerCount).toBe(0);
  });

  it('ends open streams when the server closes', async () => {
    const bus = new LiveEventBus();
    const url = await serve(bus, {});
    const reading = readAll(url);
    await expect.poll(() => bus.listenerCount).toBe(1);
    await app!.close();
    app = undefined;
    expect(await reading).toContain('"kind":"snapshot"');
    expect(bus.listenerCount).toBe(0);
  });
});
