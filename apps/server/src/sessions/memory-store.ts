/**
 * An in-process {@link SessionStore} for a single server (no `REDIS_URL`).
 */
import type { CallSession, SessionStore } from './session-store.ts';

interface Entry {
  readonly session: CallSession;
  /** Expiry instant, in milliseconds since the epoch (the clock's scale). */
  readonly expiresAtMs: number;
}

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Current time in milliseconds since the epoch. @defaultValue `Date.now` */
  readonly now?: () => number;
}

/**
 * Live call sessions in a `Map`. Expiry is checked against timestamps when entries are
 * read (`get`, `list`) and expired entries are dropped then, so no timer is ever left
 * running. Sessions are stored as shallow copies.
 */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Stores or replaces the session of `session.callId` for `ttlSecs` seconds from now.
   * @throws RangeError if `ttlSecs` is not a positive integer.
   */
  async put(session: CallSession, ttlSecs: number): Promise<void> {
    if (!Number.isInteger(ttlSecs) || ttlSecs < 1) {
      throw new RangeError(`ttlSecs must be a positive integer, got ${ttlSecs}`);
    }
    this.entries.set(session.callId, { session: { ...session }, expiresAtMs: this.now() + ttlSecs * 1000 });
  }

  /** @returns the live session of `callId`, or `undefined` if there is none or it expired. */
  async get(callId: string): Promise<CallSession | undefined> {
    const entry = this.entries.get(callId);
    if (entry === undefined) return undefined;
    if (this.isExpired(entry)) {
      this.entries.delete(callId);
      return undefined;
    }
    return { ...entry.session };
  }

  /** Forgets the session of `callId`; does nothing if there is none. */
  async delete(callId: string): Promise<void> {
    this.entries.delete(callId);
  }

  /** Every session that has not expired, in insertion order. */
  async list(): Promise<CallSession[]> {
    const live: CallSession[] = [];
    for (const [callId, entry] of this.entries) {
      if (this.isExpired(entry)) this.entries.delete(callId);
      else live.push({ ...entry.session });
    }
    return live;
  }

  /** Forgets every session. The store stays usable. */
  async close(): Promise<void> {
    this.entries.clear();
  }

  private isExpired(entry: Entry): boolean {
    return entry.expiresAtMs <= this.now();
  }
}
