/**
 * A {@link SessionStore} in Redis, shared by every server process (`REDIS_URL`).
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { z } from 'zod';
import type { CallSession, SessionStore } from './session-store.ts';

/** The subset of a pino logger (e.g. Fastify's `app.log`) the Redis store reports connection trouble to. */
export interface SessionStoreLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /**
   * Prefix of every key: sessions live at `<prefix>session:<callId>` and their index (a set of
   * call ids) at `<prefix>sessions`. @defaultValue `'parley:'`
   */
  readonly keyPrefix?: string;
  /**
   * How long one command may wait, in milliseconds, including while Redis is unreachable,
   * before it rejects. Keeps a Redis outage from stalling calls. @defaultValue 1000
   */
  readonly commandTimeoutMs?: number;
  /** Receives connection errors (once per outage) and recoveries. @defaultValue a pino logger on stdout */
  readonly logger?: SessionStoreLogger;
}

/** What a stored session must look like; entries that do not match are treated as absent. */
const callSessionSchema = z.object({
  callId: z.string(),
  agentId: z.string(),
  provider: z.string(),
  streamId: z.string(),
  startedAt: z.string(),
  serverId: z.string(),
});

/**
 * Live call sessions in Redis: each one a JSON string at `<prefix>session:<callId>` with an
 * `EX` expiry, plus a set `<prefix>sessions` of call ids for {@link RedisSessionStore.list}
 * (ids whose key has expired are removed from the set when listing).
 *
 * The connection is opened by the first command (ioredis `lazyConnect`) and re-opened after
 * failures. A Redis outage never crashes the process: connection errors are logged, and
 * commands reject (after at most `commandTimeoutMs`) with ioredis's error, so callers
 * should catch and log them.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly indexKey: string;
  private readonly logger: SessionStoreLogger;
  private outage = false;

  /** @param url - `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS). */
  constructor(url: string, options: RedisSessionStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? 'parley:';
    this.indexKey = `${this.prefix}sessions`;
    this.logger = options.logger ?? pino({ name: 'parley-sessions' });
    this.redis = new Redis(url, {
      lazyConnect: true,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      maxRetriesPerRequest: 1,
    });
    // Without an 'error' listener, ioredis's errors would be unhandled 'error' events.
    this.redis.on('error', (err: Error) => {
      if (this.outage) return;
      this.outage = true;
      this.logger.warn({ err }, 'Redis session store unreachable; retrying');
    });
    this.redis.on('ready', () => {
      if (!this.outage) return;
      this.outage = false;
      this.logger.info({}, 'Redis session store reconnected');
    });
  }

  /**
   * Stores or replaces the session of `session.callId`, expiring `ttlSecs` seconds from now.
   * @throws RangeError if `ttlSecs` is not a positive integer; ioredis's error if Redis fails.
   */
  async put(session: CallSession, ttlSecs: number): Promise<void> {
    if (!Number.isInteger(ttlSecs) || ttlSecs < 1) {
      throw new RangeError(`ttlSecs must be a positive integer, got ${ttlSecs}`);
    }
    const value: CallSession = {
      callId: session.callId,
      agentId: session.agentId,
      provider: session.provider,
      streamId: session.streamId,
      startedAt: session.startedAt,
      serverId: session.serverId,
    };
    await exec(
      this.redis
        .multi()
        .set(this.key(session.callId), JSON.stringify(value), 'EX', ttlSecs)
        .sadd(this.indexKey, session.callId),
    );
  }

  /**
   * @returns the live session of `callId`, or `undefined` if there is none, it expired, or
   *   the stored value is not a session.
   * @throws ioredis's error if Redis fails.
   */
  async get(callId: string): Promise<CallSession | undefined> {
    return parseSession(await this.redis.get(this.key(callId)));
  }

  /**
   * Forgets the session of `callId`; does nothing if there is none.
   * @throws ioredis's error if Redis fails.
   */
  async delete(callId: string): Promise<void> {
    await exec(this.redis.multi().del(this.key(callId)).srem(this.indexKey, callId));
  }

  /**
   * Every live session, in no particular order.
   * @throws ioredis's error if Redis fails.
   */
  async list(): Promise<CallSession[]> {
    const callIds = await this.redis.smembers(this.indexKey);
    if (callIds.length === 0) return [];
    const values = await this.redis.mget(callIds.map((id) => this.key(id)));
    const live: CallSession[] = [];
    const gone: string[] = [];
    callIds.forEach((callId, index) => {
      const session = parseSession(values[index] ?? null);
      if (session) live.push(session);
      else gone.push(callId);
    });
    if (gone.length > 0) await this.redis.srem(this.indexKey, ...gone);
    return live;
  }

  /** Closes the connection (`QUIT` when connected, otherwise at once). Safe to call more than once. */
  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private key(callId: string): string {
    return `${this.prefix}session:${callId}`;
  }
}

/** Runs a MULTI and throws the first command error, if any. */
async function exec(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await multi.exec();
  if (results === null) throw new Error('Redis transaction was discarded');
  for (const [error] of results) if (error) throw error;
}

function parseSession(value: string | null): CallSession | undefined {
  if (value === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = callSessionSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
