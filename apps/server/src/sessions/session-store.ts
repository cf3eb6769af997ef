/** What the server keeps about a live call while its media stream is open. */
export interface CallSession {
  readonly callId: string;
  readonly agentId: string;
  readonly provider: string;
  readonly streamId: string;
  /** ISO time the stream started. */
  readonly startedAt: string;
  /** Id of the server process handling the stream (for sticky routing when scaled out). */
  readonly serverId: string;
}

/**
 * Live call sessions, shared between server processes (Redis) or kept in process (memory).
 * Entries expire after `ttlSecs` unless refreshed, so a crashed process leaves no ghosts.
 */
export interface SessionStore {
  put(session: CallSession, ttlSecs: number): Promise<void>;
  get(callId: string): Promise<CallSession | undefined>;
  delete(callId: string): Promise<void>;
  /** Every live session. */
  list(): Promise<CallSession[]>;
  close(): Promise<void>;
}
