/**
 * Live call sessions: the {@link SessionStore} contract, its two implementations and
 * {@link createSessionStore}, which picks one from the configuration.
 */
import { MemorySessionStore } from './memory-store.ts';
import { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store.ts';
import type { SessionStore } from './session-store.ts';

export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.ts';
export { RedisSessionStore, type RedisSessionStoreOptions, type SessionStoreLogger } from './redis-store.ts';
export type { CallSession, SessionStore } from './session-store.ts';

/**
 * A {@link RedisSessionStore} on `redisUrl` when it is set (and not blank), otherwise a
 * {@link MemorySessionStore}. Does not connect: the Redis store connects on first use.
 * @param options - Passed to the Redis store; ignored for the in-memory one.
 */
export function createSessionStore(redisUrl?: string, options: RedisSessionStoreOptions = {}): SessionStore {
  return redisUrl?.trim() ? new RedisSessionStore(redisUrl.trim(), options) : new MemorySessionStore();
}
