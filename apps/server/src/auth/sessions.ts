/**
 * Cookie sessions of the dashboard: a random session id in an HttpOnly, SameSite=Strict
 * cookie; the server keeps the session (its id's hash, user, CSRF secret and times) in the
 * database. A session ends after {@link SessionTimeouts.idleMs} without requests, at
 * {@link SessionTimeouts.maxMs} after login whatever happens, at logout, or when its user is
 * deleted or their password changed.
 */
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { LoginSession, LoginSessionRepository } from '../db/login-sessions.ts';
import type { User } from '../db/users.ts';
import type { EndedSessions } from './credential-watch.ts';
import { newCsrfSecret } from './csrf.ts';
import type { Role } from './roles.ts';
import { hashSecret, newSecret } from './secrets.ts';

/** The session cookie's name. */
export const SESSION_COOKIE = 'parley_session';

/** How long sessions last, ms. */
export interface SessionTimeouts {
  /** Without any request. */
  readonly idleMs: number;
  /** From login, whatever the activity. */
  readonly maxMs: number;
}

/** Activity is written at most this often (or a quarter of the idle timeout), so that reads do not each cost a write. */
const TOUCH_INTERVAL_MS = 60_000;

/** Starts, finds and ends login sessions. */
export class LoginSessions {
  constructor(
    private readonly repository: LoginSessionRepository,
    private readonly timeouts: SessionTimeouts,
    private readonly now: () => Date,
    /** Told of each session ended here (logout, expiry found, password change, user deleted). */
    private readonly onEnded: (ended: EndedSessions) => void = () => {},
  ) {}

  /**
   * Starts a session for `userId` (and clears expired ones from the table).
   * @returns the session id for the cookie (never stored) and the session.
   */
  async start(userId: string): Promise<{ sessionId: string; session: LoginSession }> {
    const now = this.now();
    await this.repository.deleteExpired(now, new Date(now.getTime() - this.timeouts.idleMs));
    const sessionId = newSecret();
    const session: LoginSession = {
      idHash: hashSecret(sessionId),
      userId,
      csrfSecret: newCsrfSecret(),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.timeouts.maxMs),
    };
    await this.repository.create(session);
    return { sessionId, session };
  }

  /**
   * The live session with id `sessionId` and its user, recording the activity; `undefined`
   * when there is none or it has expired (an expired one is deleted).
   */
  async resolve(sessionId: string): Promise<{ session: LoginSession; user: User } | undefined> {
    const idHash = hashSecret(sessionId);
    const found = await this.repository.findWithUser(idHash);
    if (!found) return undefined;
    const now = this.now().getTime();
    const { session } = found;
    if (this.isExpired(session, now)) {
      await this.end(idHash);
      return undefined;
    }
    if (now - session.lastSeenAt.getTime() >= Math.min(TOUCH_INTERVAL_MS, this.timeouts.idleMs / 4)) {
      await this.repository.touch(idHash, new Date(now));
    }
    return found;
  }

  /**
   * Of the sessions whose id hashes are `idHashes`, those still live, with their user's current
   * role. Read only: watching a stream is not activity (the idle timeout still applies).
   */
  async liveRoles(idHashes: readonly string[]): Promise<Map<string, Role>> {
    const now = this.now().getTime();
    const found = await this.repository.findMany(idHashes);
    return new Map(found.filter((s) => !this.isExpired(s, now)).map((s) => [s.idHash, s.role]));
  }

  /** Ends the session whose id hash is `idHash`. */
  async end(idHash: string): Promise<void> {
    await this.repository.delete(idHash);
    this.onEnded({ idHash });
  }

  /**
   * Ends every session of `userId` but the one whose id hash is `keepIdHash` (also after the
   * user is deleted, when the database has already dropped them: what they kept open ends).
   */
  async endAllOf(userId: string, keepIdHash?: string): Promise<void> {
    await this.repository.deleteForUser(userId, keepIdHash);
    this.onEnded({ userId, keepIdHash });
  }

  private isExpired(session: Pick<LoginSession, 'lastSeenAt' | 'expiresAt'>, nowMs: number): boolean {
    return (
      nowMs >= session.expiresAt.getTime() || nowMs - session.lastSeenAt.getTime() >= this.timeouts.idleMs
    );
  }
}

/**
 * The session cookie's attributes: HttpOnly (scripts cannot read it), SameSite=Strict (other
 * sites' pages cannot make the browser send it), path `/`, and Secure when the request came
 * over https or the server's public URL is https.
 */
export function sessionCookieOptions(
  request: FastifyRequest,
  publicUrl: string | undefined,
): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https' || (publicUrl?.startsWith('https:') ?? false),
  };
}
