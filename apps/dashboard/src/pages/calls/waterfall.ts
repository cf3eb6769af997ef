/**
 * The latency waterfall of a call's user turns, from its `turn` events (the server stores each
 * `TurnTiming` of `@parley/pipeline` as is: every step in ms from the end of the caller's turn).
 * Pure data mapping; `Waterfall.tsx` draws it.
 */

/** The stages of a reply, in the order the pipeline goes through them. */
export const WATERFALL_STAGES = [
  { key: 'vadStoppedMs', label: 'Caller stopped' },
  { key: 'sttFinalMs', label: 'STT final' },
  { key: 'llmFirstTokenMs', label: 'LLM first token' },
  { key: 'firstSentenceMs', label: 'First sentence' },
  { key: 'ttsFirstAudioMs', label: 'TTS first audio' },
  { key: 'firstAudioSentMs', label: 'First audio sent' },
  { key: 'firstSentencePlayedMs', label: 'First sentence played' },
] as const;

/** The event field of a stage. */
export type StageKey = (typeof WATERFALL_STAGES)[number]['key'];

/** One stage of a turn: a bar from the previous stage that happened to this one. */
export interface WaterfallRow {
  readonly key: StageKey;
  readonly label: string;
  /** False when the stage did not happen (or was not measured) in this turn. */
  readonly present: boolean;
  /** When the stage happened, ms since the turn's origin; null when missing. */
  readonly atMs: number | null;
  /** Where its bar starts, ms since the origin: the previous present stage's time (0 for the first). */
  readonly startMs: number | null;
  /**
   * The stage's own time: `atMs - startMs`, ms; null when missing. Negative when it happened
   * before the previous stage (e.g. a final transcript that beat the end of the turn).
   */
  readonly stepMs: number | null;
}

/** The waterfall of one user turn. */
export interface TurnWaterfall {
  /** 1-based index of the user turn in the call. */
  readonly turn: number;
  /** When the caller's turn ended, ms since the call started. */
  readonly callAtMs: number;
  /** `played`, `interrupted`, `failed` or `ended`, as recorded. */
  readonly outcome: string;
  /** With outcome `failed`: the service that failed and its message. */
  readonly error?: string;
  /**
   * What the times count from: the moment the VAD heard the caller stop (`vadStoppedMs`) when
   * measured, otherwise the end of the caller's turn.
   */
  readonly origin: 'caller_stopped' | 'turn_end';
  /** One row per {@link WATERFALL_STAGES} entry, in that order, present or not. */
  readonly rows: readonly WaterfallRow[];
  /** The earliest present stage, ms since the origin, or 0 if none is earlier: where the scale starts. */
  readonly minMs: number;
  /** The latest present stage, ms since the origin, or 0 if none is later: where the scale ends. */
  readonly maxMs: number;
  /** From the origin to the first sentence played, ms; null when it was not played. */
  readonly totalMs: number | null;
}

/** An event as `GET /api/calls/:id` returns it (only what the waterfall reads). */
export interface EventLike {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The waterfall of one `turn` event's data, or undefined when it is not one (no numeric `turn`).
 * Stage times are rebased so the origin (see {@link TurnWaterfall.origin}) is 0; non-numeric
 * stage values count as missing.
 */
export function turnWaterfall(data: Readonly<Record<string, unknown>>): TurnWaterfall | undefined {
  if (!finite(data.turn)) return undefined;
  const vad = data.vadStoppedMs;
  const originMs = finite(vad) ? vad : 0;
  let previous: number | null = null;
  let min = 0;
  let max = 0;
  const rows = WATERFALL_STAGES.map(({ key, label }): WaterfallRow => {
    const raw = data[key];
    if (!finite(raw)) return { key, label, present: false, atMs: null, startMs: null, stepMs: null };
    const atMs = raw - originMs;
    const startMs = previous ?? 0;
    previous = atMs;
    min = Math.min(min, atMs);
    max = Math.max(max, atMs);
    return { key, label, present: true, atMs, startMs, stepMs: atMs - startMs };
  });
  const played = rows[rows.length - 1];
  const error = data.error as { service?: unknown; message?: unknown } | undefined;
  return {
    turn: data.turn,
    callAtMs: finite(data.atMs) ? data.atMs : 0,
    outcome: typeof data.outcome === 'string' ? data.outcome : 'unknown',
    ...(typeof error === 'object' && error !== null && typeof error.message === 'string'
      ? { error: typeof error.service === 'string' ? `${error.service}: ${error.message}` : error.message }
      : {}),
    origin: finite(vad) ? 'caller_stopped' : 'turn_end',
    rows,
    minMs: min,
    maxMs: max,
    totalMs: played?.atMs ?? null,
  };
}

/** The waterfalls of a call's `turn` events, ordered by turn. Other events are ignored. */
export function callWaterfalls(events: readonly EventLike[]): TurnWaterfall[] {
  return events
    .filter((e) => e.type === 'turn')
    .flatMap((e) => {
      const w = turnWaterfall(e.data);
      return w === undefined ? [] : [w];
    })
    .sort((a, b) => a.turn - b.turn);
}
