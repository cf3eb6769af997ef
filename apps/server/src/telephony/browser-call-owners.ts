/**
 * Binds a browser test call's token to the sign-in session that asked for it: the stream must
 * then come with that session's cookie, so a token copied to another browser is useless, and
 * the call ends when that session does. Kept in this process's memory only, for the token's
 * life: a stream reaching another server process (or a token issued to an API key) is checked
 * by its token alone.
 */
import type { Authentication } from '../auth/principal.ts';
import { hashSecret } from '../auth/secrets.ts';

/** A sign-in session's authentication. */
export type SessionAuthentication = Extract<Authentication, { via: 'session' }>;

/** The sessions that own the browser calls not yet streamed, by call id. */
export class BrowserCallOwners {
  private readonly owners = new Map<string, SessionAuthentication>();

  /** Remembers that `callId` belongs to the session `owner`, for `ttlMs`. */
  bind(callId: string, owner: SessionAuthentication, ttlMs: number): void {
    this.owners.set(callId, owner);
    setTimeout(() => this.owners.delete(callId), ttlMs).unref();
  }

  /** The session `callId` is bound to, if any (and not yet forgotten). */
  ownerOf(callId: string): SessionAuthentication | undefined {
    return this.owners.get(callId);
  }

  /**
   * Whether a stream with session cookie `sessionId` may carry `callId`: yes when the call is
   * bound to that session or to none.
   */
  allows(callId: string, sessionId: string | undefined): boolean {
    const owner = this.owners.get(callId);
    return owner === undefined || (sessionId !== undefined && hashSecret(sessionId) === owner.sessionIdHash);
  }
}
