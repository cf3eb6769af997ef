import type { CostEstimate, UsageSummary } from '@parley/pipeline';
/**
 * Domain types of a phone call as stored in `calls`, shared by the repository
 * and its callers.
 */
import type { TransportName } from '@parley/telephony';

/**
 * Telephony providers Parley speaks to, and `browser` for the dashboard's test calls. Not
 * constrained in the database, so adding one needs no migration.
 */
export type TelephonyProvider = TransportName;

/** Who placed the call: `inbound` calls are answered by an agent, `outbound` ones are dialled by Parley. */
export type CallDirection = 'inbound' | 'outbound';

/** A status a call can still leave. */
export type LiveCallStatus = 'ringing' | 'in_progress';

/** A status a call never leaves. */
export type TerminalCallStatus = 'completed' | 'failed' | 'busy' | 'no_answer' | 'canceled';

/** Where a call is in its life: `ringing` → `in_progress` → one terminal status (or straight to one). */
export type CallStatus = LiveCallStatus | TerminalCallStatus;

/** Every live status. */
export const LIVE_CALL_STATUSES: readonly LiveCallStatus[] = ['ringing', 'in_progress'];

/** Every terminal status. */
export const TERMINAL_CALL_STATUSES: readonly TerminalCallStatus[] = [
  'completed',
  'failed',
  'busy',
  'no_answer',
  'canceled',
];

/** One turn of the conversation, in the order spoken. */
export interface TranscriptEntry {
  role: 'user' | 'assistant';
  text: string;
  /** Milliseconds since the call's media stream started. */
  atMs: number;
  /** The assistant was cut off by the caller (barge-in); `text` is what was spoken before that, if known. */
  interrupted?: boolean;
}

/** A stored call. Timestamps are absolute instants. */
export interface Call {
  /** UUID assigned by the database. */
  id: string;
  /** The agent that handles the call; `null` if none was chosen or the agent was deleted. */
  agentId: string | null;
  provider: TelephonyProvider;
  direction: CallDirection;
  status: CallStatus;
  /** Caller number as given by the provider (usually E.164), if known. */
  from: string | null;
  /** Called number as given by the provider (usually E.164), if known. */
  to: string | null;
  /** The provider's id for the call (Twilio CallSid, Exotel CallSid…); unique per provider. */
  providerCallId: string | null;
  /** The provider's id for the media stream (Twilio StreamSid…), once it started. */
  streamId: string | null;
  createdAt: Date;
  /** When the media stream started. */
  startedAt: Date | null;
  /** When the call was answered. */
  answeredAt: Date | null;
  endedAt: Date | null;
  /** Talk time in milliseconds, from answer (or stream start) to end. */
  durationMs: number | null;
  /** Why the call ended, free text (e.g. `caller_hung_up`, `idle_timeout`, `max_duration`, `error`). */
  endReason: string | null;
  transcript: TranscriptEntry[];
  /** Path of the call's recording file, as given by whoever wrote it. */
  recordingPath: string | null;
  /** Provider payload fields kept for reference (e.g. Twilio's AccountSid, CallerCountry). */
  providerMetadata: Record<string, unknown>;
  /** Variables for the agent's prompt templates (`{{var}}`), e.g. the customer's name on an outbound call. */
  context: Record<string, unknown>;
  /** What the call used of its speech and language services, and what that cost; null until it ended. */
  usage: CallUsage | null;
  /** The post-call analysis (see `post-call/analysis.ts`), stored after the call ended; null without one. */
  analysis: Record<string, unknown> | null;
}

/** A call's service usage (see `UsageCollector` in `@parley/pipeline`) and its estimated cost. */
export interface CallUsage {
  readonly summary: UsageSummary;
  /** From the server's price table (`PRICES_FILE`); absent without one. */
  readonly cost?: CostEstimate;
}

/** A call without its transcript, as returned by listings. */
export type CallSummary = Omit<Call, 'transcript'>;
