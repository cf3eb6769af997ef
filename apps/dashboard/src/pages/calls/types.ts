/**
 * The shapes `GET /api/calls` and `GET /api/calls/:id` answer (see `apps/server/src/db/call-types.ts`),
 * as JSON: dates are ISO 8601 strings.
 */

export const CALL_STATUSES = [
  'ringing',
  'in_progress',
  'completed',
  'failed',
  'busy',
  'no_answer',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/** What one provider/model was asked for in a call. */
export interface ServiceUsage {
  readonly provider: string;
  readonly model?: string;
  readonly requests: number;
  readonly ttfbMs: { readonly p50: number; readonly max: number } | null;
  /** STT: seconds of audio. */
  readonly audioSeconds?: number;
  /** LLM tokens. */
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** TTS characters. */
  readonly characters?: number;
}

/** `calls.usage`: per kind of service, and the estimated cost when the server has a price table. */
export interface CallUsage {
  readonly summary: {
    readonly stt: readonly ServiceUsage[];
    readonly llm: readonly ServiceUsage[];
    readonly tts: readonly ServiceUsage[];
  };
  readonly cost?: {
    readonly currency: string;
    readonly total: number;
    readonly lines: readonly { service: string; provider: string; model?: string; cost: number }[];
    readonly unpriced: readonly { service: string; provider: string; model?: string }[];
  };
}

/** A call in listings (no transcript). */
export interface CallSummary {
  readonly id: string;
  readonly agentId: string | null;
  readonly provider: string;
  readonly direction: CallDirection;
  readonly status: CallStatus;
  readonly from: string | null;
  readonly to: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly answeredAt: string | null;
  readonly endedAt: string | null;
  readonly durationMs: number | null;
  readonly endReason: string | null;
  readonly recordingPath: string | null;
  readonly usage: CallUsage | null;
  readonly analysis: Readonly<Record<string, unknown>> | null;
}

/** A page of `GET /api/calls`. */
export interface CallListPage {
  readonly calls: readonly CallSummary[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}

/** One line of the conversation; `atMs` counts from the start of the media stream (and recording). */
export interface TranscriptEntry {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly atMs: number;
  readonly interrupted?: boolean;
}

/** One stored event of a call. */
export interface CallEvent {
  readonly id: number;
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** `GET /api/calls/:id`. */
export interface CallDetail extends CallSummary {
  readonly transcript: readonly TranscriptEntry[];
  readonly events: readonly CallEvent[];
}
