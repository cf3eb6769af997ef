/**
 * The checks a browser test-call stream passes before its call may start: it must name a
 * browser call of its agent whose one-time token it has not used, in time. Each refusal has
 * its own close code (see `BROWSER_CLOSE_CODES`) so the page can say what went wrong.
 */
import { BROWSER_CLOSE_CODES } from '@parley/telephony';
import { TERMINAL_CALL_STATUSES } from '../db/call-types.ts';
import type { CallRepository } from '../db/calls.ts';

/** A refused browser stream: the close code and a short reason (for the log and the close frame). */
export interface BrowserStreamRefusal {
  readonly code: number;
  readonly reason: string;
}

/**
 * Why the stream with `callId` and `token` (from its URL) for `agentId` may not carry its call,
 * or `undefined` when it may try. The token itself is checked, atomically and once, when the
 * stream's `start` claims the call (see `MediaStreamConnection`).
 */
export async function browserStreamRefusal(
  calls: CallRepository,
  agentId: string,
  callId: string | undefined,
  token: string | undefined,
): Promise<BrowserStreamRefusal | undefined> {
  if (!callId || !token) return { code: BROWSER_CLOSE_CODES.noToken, reason: 'no call token' };
  const call = await calls.get(callId);
  if (call?.provider !== 'browser' || call.agentId !== agentId) {
    return { code: BROWSER_CLOSE_CODES.tokenRefused, reason: 'not a test call of this agent' };
  }
  if (call.streamId !== null)
    return { code: BROWSER_CLOSE_CODES.tokenUsed, reason: 'call token already used' };
  if ((TERMINAL_CALL_STATUSES as readonly string[]).includes(call.status)) {
    return { code: BROWSER_CLOSE_CODES.tokenExpired, reason: 'call token expired' };
  }
  return undefined;
}
