/**
 * The in-process bus of live-call events: call sessions publish what they record (and the
 * caller's words as they are recognised), the live monitor (`GET /api/live`) subscribes.
 * It also keeps, for each call in progress, its facts and recent events, so that a new
 * subscriber starts from a snapshot. Nothing here touches audio frames.
 */

/** What the live monitor shows of a call in progress (the fields the calls API lists too). */
export interface LiveCallInfo {
  readonly id: string;
  readonly agentId: string;
  readonly agentName: string;
  readonly provider: string;
  readonly direction: string;
  readonly from: string | null;
  readonly to: string | null;
  /** When the call's session started, ISO 8601. */
  readonly startedAt: string;
}

/**
 * One event of a live call: a stored call event (`call_started`, `user_spoke`, `agent_spoke`,
 * `node_entered`, `node_transition`, `tool_called`, `tool_result`, `turn`, `error`,
 * `call_ended`, …) with the same `type` and `data` the calls API returns, or a live-only
 * `transcript_partial` (`role`: `user` | `assistant`, `text`): the caller's words as the STT's
 * interim results hear them, and what the caller heard of the bot, piece by piece, before the
 * line's `user_spoke` / `agent_spoke` completes it.
 */
export interface LiveEvent {
  readonly type: string;
  /** When it happened, ISO 8601. */
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A message to subscribers. */
export type LiveMessage =
  | { readonly kind: 'call_started'; readonly call: LiveCallInfo }
  | { readonly kind: 'event'; readonly callId: string; readonly event: LiveEvent }
  | { readonly kind: 'call_ended'; readonly callId: string };

/** A call in progress with its recent events, oldest first. */
export interface LiveCallSnapshot {
  readonly call: LiveCallInfo;
  readonly events: readonly LiveEvent[];
}

/** Receives every message published after it subscribed; must not throw or block. */
export type LiveListener = (message: LiveMessage) => void;

/** Events kept per call for snapshots (the newest; partials are not kept). */
const MAX_KEPT_EVENTS = 200;

/** Partial transcripts are shown as they come but are superseded: snapshots leave them out. */
const TRANSIENT = new Set(['transcript_partial']);

/**
 * The live-event bus of one server process. Publishing with no subscriber costs a map look-up
 * and an array push. Listeners that throw are logged by the caller's `onListenerError` and
 * otherwise ignored, so a broken subscriber never disturbs a call.
 */
export class LiveEventBus {
  private readonly listeners = new Set<LiveListener>();
  private readonly calls = new Map<string, { call: LiveCallInfo; events: LiveEvent[] }>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  /** Number of current subscribers (tests check that disconnected streams leave none). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Ids of the calls in progress. */
  liveCallIds(): string[] {
    return [...this.calls.keys()];
  }

  /** Announce a call whose session has started. */
  callStarted(call: LiveCallInfo): void {
    this.calls.set(call.id, { call, events: [] });
    this.emit({ kind: 'call_started', call });
  }

  /** Publish one event of call `callId`; ignored for a call not announced (or already ended). */
  publish(callId: string, event: LiveEvent): void {
    const entry = this.calls.get(callId);
    if (!entry) return;
    if (!TRANSIENT.has(event.type)) {
      entry.events.push(event);
      if (entry.events.length > MAX_KEPT_EVENTS) entry.events.shift();
    }
    this.emit({ kind: 'event', callId, event });
  }

  /** The call is over (idempotent): it leaves the snapshot. */
  callEnded(callId: string): void {
    if (!this.calls.delete(callId)) return;
    this.emit({ kind: 'call_ended', callId });
  }

  /** The calls in progress, each with its recent events (copies). */
  snapshot(): LiveCallSnapshot[] {
    return [...this.calls.values()].map(({ call, events }) => ({ call, events: [...events] }));
  }

  /**
   * Subscribe to every message from now on.
   * @returns A function that unsubscribes (idempotent).
   */
  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(message: LiveMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
