import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallSession,
  createSessionStore,
  MemorySessionStore,
  RedisSessionStore,
  type SessionStore,
  type SessionStoreLogger,
} from '../src/sessions/index.ts';

const REDIS_URL = process.env.REDIS_URL;

function session(overrides: Partial<CallSession> = {}): CallSession {
  return {
    callId: randomUUID(),
    agentId: 'demo',
    provider: 'twilio',
    streamId: `MZ${randomBytes(8).toString('hex')}`,
    startedAt: new Date().toISOString(),
    serverId: 'server-1',
    ...overrides,
  };
}

function silentLogger(): SessionStoreLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (_obj, msg) => warnings.push(msg), info: () => {} };
}

const opened: SessionStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) {
    // Leave nothing behind in a shared Redis (an empty index set disappears with its last member).
    for (const s of await store.list().catch(() => [])) await store.delete(s.callId);
    await store.close();
  }
});

/** The behaviour every SessionStore shares, run against each implementation. */
function contract(name: string, make: () => SessionStore) {
  describe(`${name} (SessionStore contract)`, () => {
    function open(): SessionStore {
      const store = make();
      opened.push(store);
      return store;
    }

    it('returns what was put, and undefined for an unknown call', async () => {
      const store = open();
      const s = session();
      await store.put(s, 60);
      expect(await store.get(s.callId)).toEqual(s);
      expect(await store.get(randomUUID())).toBeUndefined();
    });

    it('replaces the session of a call that is put again', async () => {
      const store = open();
      const s = session();
      await store.put(s, 60);
      await store.put({ ...s, serverId: 'server-2' }, 60);
      expect((await store.get(s.callId))?.serverId).toBe('server-2');
      expect(await store.list()).toHaveLength(1);
    });

    it('lists every live session and forgets deleted ones', async () => {
      const store = open();
      const a = session();
      const b = session();
      await store.put(a, 60);
      await store.put(b, 60);
      expect((await store.list()).map((s) => s.callId).sort()).toEqual([a.callId, b.callId].sort());
      await store.delete(a.callId);
      await store.delete(randomUUID()); // unknown: no error
      expect(await store.get(a.callId)).toBeUndefined();
      expect((await store.list()).map((s) => s.callId)).toEqual([b.callId]);
    });

    it('refuses a TTL that is not a positive whole number of seconds', async () => {
      const store = open();
      await expect(store.put(session(), 0)).rejects.toThrow(RangeError);
      await expect(store.put(session(), 1.5)).rejects.toThrow(RangeError);
      expect(await store.list()).toEqual([]);
    });
  });
}

contract('MemorySessionStore', () => new MemorySessionStore());
if (REDIS_URL) {
  contract(
    'RedisSessionStore',
    () => new RedisSessionStore(REDIS_URL, { keyPrefix: `parley-test:${randomBytes(6).toString('hex')}:` }),
  );
}

describe('MemorySessionStore', () => {
  it('expires a session once its TTL has passed, by the clock, without timers', async () => {
    let nowMs = 1_000_000;
    const store = new MemorySessionStore({ now: () => nowMs });
    const short = session();
    const long = session();
    await store.put(short, 10);
    await store.put(long, 60);

    nowMs += 9_999;
    expect(await store.get(short.callId)).toEqual(short);
    nowMs += 1;
    expect(await store.get(short.callId)).toBeUndefined();
    expect((await store.list()).map((s) => s.callId)).toEqual([long.callId]);

    // Putting again refreshes the TTL.
    await store.put(long, 60);
    nowMs += 59_000;
    expect(await store.get(long.callId)).toEqual(long);
    await store.close();
    expect(await store.list()).toEqual([]);
  });

  it('keeps its own copy of a session', async () => {
    const store = new MemorySessionStore();
    const s = { ...session() };
    await store.put(s, 60);
    (s as { serverId: string }).serverId = 'changed';
    expect((await store.get(s.callId))?.serverId).toBe('server-1');
  });
});

describe('RedisSessionStore', () => {
  it.runIf(REDIS_URL)(
    'stores sessions under parley:session:<callId> with an expiry, and drops expired ones from the list',
    async () => {
      const prefix = `parley-test:${randomBytes(6).toString('hex')}:`;
      const store = new RedisSessionStore(REDIS_URL ?? '', { keyPrefix: prefix });
      opened.push(store);
      const { Redis } = await import('ioredis');
      const probe = new Redis(REDIS_URL ?? '');
      try {
        const s = session();
        await store.put(s, 1);
        const ttlMs = await probe.pttl(`${prefix}session:${s.callId}`);
        expect(ttlMs).toBeGreaterThan(0);
        expect(ttlMs).toBeLessThanOrEqual(1000);
        expect(await probe.smembers(`${prefix}sessions`)).toEqual([s.callId]);

        await new Promise((resolve) => setTimeout(resolve, 1_200));
        expect(await store.get(s.callId)).toBeUndefined();
        expect(await store.list()).toEqual([]);
        expect(await probe.smembers(`${prefix}sessions`)).toEqual([]);
      } finally {
        await probe.quit();
      }
    },
  );

  it.runIf(REDIS_URL)('uses the parley: prefix by default', async () => {
    const store = new RedisSessionStore(REDIS_URL ?? '');
    opened.push(store);
    const { Redis } = await import('ioredis');
    const probe = new Redis(REDIS_URL ?? '');
    const s = session();
    try {
      await store.put(s, 30);
      expect(JSON.parse((await probe.get(`parley:session:${s.callId}`)) ?? 'null')).toEqual(s);
      expect(await probe.sismember('parley:sessions', s.callId)).toBe(1);
    } finally {
      await store.delete(s.callId);
      await probe.quit();
    }
  });

  it('rejects commands, logs once and does not crash while Redis is unreachable', async () => {
    const logger = silentLogger();
    // Port 1 on loopback: connection refused.
    const store = new RedisSessionStore('redis://127.0.0.1:1', { commandTimeoutMs: 300, logger });
    const started = Date.now();
    await expect(store.put(session(), 60)).rejects.toThrow();
    await expect(store.get(randomUUID())).rejects.toThrow();
    await expect(store.list()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(logger.warnings).toEqual(['Redis session store unreachable; retrying']);
    await store.close();
    await store.close();
  });

  it('closes without connecting when it was never used', async () => {
    const store = new RedisSessionStore('redis://127.0.0.1:1', { logger: silentLogger() });
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe('createSessionStore', () => {
  it('makes an in-memory store without a URL and a Redis store with one', async () => {
    const memory = createSessionStore(undefined);
    const blank = createSessionStore('  ');
    const redis = createSessionStore('redis://127.0.0.1:1', { logger: silentLogger() });
    expect(memory).toBeInstanceOf(MemorySessionStore);
    expect(blank).toBeInstanceOf(MemorySessionStore);
    expect(redis).toBeInstanceOf(RedisSessionStore);
    await Promise.all([memory.close(), blank.close(), redis.close()]);
  });
});
