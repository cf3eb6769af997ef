/**
 * Ends what a credential keeps open (live monitor streams) once that credential stops being
 * valid, instead of letting it run to its own end.
 *
 * Two signals: in this process, the paths that end sessions and revoke keys tell the watch at
 * once ({@link CredentialWatch.sessionsEnded}, {@link CredentialWatch.apiKeyRevoked},
 * {@link CredentialWatch.userChanged} for a new role); and every
 * {@link RECHECK_MS} one shared timer looks every watched credential up again (one query for all
 * sessions, one for all keys), which catches idle and absolute session expiry, role changes, and
 * logouts or revocations made by another server process sharing the database.
 */
import type { Authentication } from './principal.ts';
import { hasRole, type Role } from './roles.ts';

/** How often watched credentials are looked up again, ms: the longest a stale one can keep a stream. */
export const RECHECK_MS = 5000;

/** Looks credentials up in the shared store (the database). */
export interface CredentialLookup {
  /** Of the sessions whose id hashes are `idHashes`, those still live, with their user's current role. */
  liveSessions(idHashes: readonly string[]): Promise<ReadonlyMap<string, Role>>;
  /** Of the API keys `ids`, those not revoked, with their role. */
  activeApiKeys(ids: readonly string[]): Promise<ReadonlyMap<string, Role>>;
}

/** Which sessions ended: one, or every one of a user but `keepIdHash`. */
export type EndedSessions =
  | { readonly idHash: string }
  | { readonly userId: string; readonly keepIdHash?: string | undefined };

interface Watched {
  readonly auth: Authentication;
  readonly minRole: Role;
  readonly end: () => void;
}

/** Options of {@link CredentialWatch}. */
export interface CredentialWatchOptions {
  /** @defaultValue {@link RECHECK_MS} */
  readonly recheckMs?: number;
  /** Told when a re-check fails (the streams it could not check are ended: fail closed). */
  readonly onError?: (err: unknown) => void;
}

/** What watches credentials: the part streams need (lets tests without the guard pass a stub). */
export interface CredentialWatcher {
  /**
   * Calls `end` (once) when `auth` stops being valid or its role falls below `minRole`.
   * @returns a function that stops watching (call it when the stream ends for any reason).
   */
  watch(auth: Authentication, minRole: Role, end: () => void): () => void;
}

/** The credentials behind open streams, with a shared re-check timer that runs only while some are watched. */
export class CredentialWatch implements CredentialWatcher {
  private readonly watched = new Set<Watched>();
  private readonly recheckMs: number;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly lookup: CredentialLookup,
    private readonly options: CredentialWatchOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? RECHECK_MS;
  }

  watch(auth: Authentication, minRole: Role, end: () => void): () => void {
    const entry: Watched = { auth, minRole, end };
    this.watched.add(entry);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.recheck(), this.recheckMs);
      this.timer.unref(); // never what keeps the process alive
    }
    return () => this.forget(entry);
  }

  /** Ends at once what the ended sessions keep open in this process. */
  sessionsEnded(which: EndedSessions): void {
    this.endWhere((auth) => {
      if (auth.via !== 'session') return false;
      if ('idHash' in which) return auth.sessionIdHash === which.idHash;
      return auth.principal.id === which.userId && auth.sessionIdHash !== which.keepIdHash;
    });
  }

  /** Ends at once what API key `id` keeps open in this process. */
  apiKeyRevoked(id: string): void {
    this.endWhere((auth) => auth.via === 'api_key' && auth.principal.id === id);
  }

  /** Looks up at once what user `userId` keeps open (its role changed), ending what it no longer may do. */
  userChanged(userId: string): void {
    const theirs = [...this.watched].filter(
      (w) => w.auth.via === 'session' && w.auth.principal.id === userId,
    );
    if (theirs.length > 0) void this.check(theirs);
  }

  /** Looks every watched credential up and ends what is no longer valid. Skipped while one runs. */
  async recheck(): Promise<void> {
    if (this.checking || this.watched.size === 0) return;
    this.checking = true;
    try {
      await this.check([...this.watched]);
    } finally {
      this.checking = false;
    }
  }

  /** Stops the timer and forgets everything watched (without ending it). */
  close(): void {
    this.watched.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Looks `entries`' credentials up (one query for sessions, one for keys) and ends the invalid ones; never rejects. */
  private async check(entries: readonly Watched[]): Promise<void> {
    try {
      const sessionIds = entries.flatMap((w) => (w.auth.via === 'session' ? [w.auth.sessionIdHash] : []));
      const keyIds = entries.flatMap((w) => (w.auth.via === 'api_key' ? [w.auth.principal.id] : []));
      const [sessions, keys] = await Promise.all([
        sessionIds.length > 0 ? this.lookup.liveSessions(sessionIds) : new Map<string, Role>(),
        keyIds.length > 0 ? this.lookup.activeApiKeys(keyIds) : new Map<string, Role>(),
      ]);
      for (const entry of entries) {
        const { auth } = entry;
        const role = auth.via === 'session' ? sessions.get(auth.sessionIdHash) : keys.get(auth.principal.id);
        if (role === undefined || !hasRole(role, entry.minRole)) this.end(entry);
      }
    } catch (err) {
      this.options.onError?.(err);
      for (const entry of entries) this.end(entry);
    }
  }

  private endWhere(matches: (auth: Authentication) => boolean): void {
    for (const entry of [...this.watched]) if (matches(entry.auth)) this.end(entry);
  }

  private end(entry: Watched): void {
    if (!this.forget(entry)) return;
    entry.end();
  }

  private forget(entry: Watched): boolean {
    if (!this.watched.delete(entry)) return false;
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return true;
  }
}
