/**
 * Binds a browser test call's token to the credential that asked for it. For a sign-in
 * session, the stream must then come with that session's cookie, so a token copied to another
 * browser is useless; and whichever it was (session or API key), the call ends when it does.
 * Kept in this process's memory only, for the token's life: a stream reaching another server
 * process is checked by its token alone.
 */
import type { Authentication } from '../auth/principal.ts';
import { hashSecret } from '../auth/secrets.ts';

/** The credentials that own the browser calls not yet streamed, by call id. */
export class BrowserCallOwners {
  private readonly owners = new Map<string, Authentication>();

  /** Remembers that `callId` belongs to `owner`, for `ttlMs`. */
  bind(callId: string, owner: Authentication, ttlMs: number): void {
    this.owners.set(callId, owner);
    setTimeout(() => this.owners.delete(callId), ttlMs).unref();
  }

  /** The credential `callId` is bound to, if any (and not yet forgotten). */
  ownerOf(callId: string): Authentication | undefined {
    return this.owners.get(callId);
  }

  /**
   * Whether a stream with session cookie `sessionId` may carry `callId`: yes unless the call is
   * bound to another sign-in session than that one.
   */
  allows(callId: string, sessionId: string | undefined): boolean {
    const owner = this.owners.get(callId);
    if (owner?.via !== 'session') return true;
    return sessionId !== undefined && hashSecret(sessionId) === owner.sessionIdHash;
  }
}
