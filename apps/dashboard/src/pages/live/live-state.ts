/**
 * The live monitor's model: the messages of `GET /api/live` (validated at the boundary) and
 * the pure reducer that folds them into the calls shown.
 */
import { z } from 'zod';

const callInfoSchema = z.object({
  id: z.string(),
  agentId: z.string(),
  agentName: z.string(),
  provider: z.string(),
  direction: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  startedAt: z.string(),
});

const eventSchema = z.object({
  type: z.string(),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});

const messageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('snapshot'),
    calls: z.array(z.object({ call: callInfoSchema, events: z.array(eventSchema) })),
  }),
  z.object({ kind: z.literal('call_started'), call: callInfoSchema }),
  z.object({ kind: z.literal('event'), callId: z.string(), event: eventSchema }),
  z.object({ kind: z.literal('call_ended'), callId: z.string() }),
]);

/** A call in progress as the server announces it. */
export type LiveCallInfo = z.infer<typeof callInfoSchema>;
/** One event of a live call (`type`, `at` ISO 8601, `data` as the calls API stores it). */
export type LiveEvent = z.infer<typeof eventSchema>;
/** One message of the live stream. */
export type LiveMessage = z.infer<typeof messageSchema>;

/** The stream message in `text` (an SSE `data` field), or `undefined` when it is not one. */
export function parseLiveMessage(text: string): LiveMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = messageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** One finished line of the transcript. */
export interface TranscriptLine {
  /** Unique within its call (the number of the event that made it). */
  readonly key: number;
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly at: string;
  readonly interrupted: boolean;
}

/** A tool call: running until `endedAt` is set. */
export interface ToolCallView {
  readonly id: string;
  readonly name: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly ok?: boolean;
  /** The result the LLM got, cut to {@link MAX_RESULT_CHARS}; or why the call was cancelled. */
  readonly result?: string;
}

/** One user turn's voice timing: ms from the moment the caller stopped speaking to each step. */
export interface TurnView {
  readonly turn: number;
  readonly outcome: string;
  readonly steps: Readonly<Record<string, number>>;
}

/** What the monitor shows of one live call. */
export interface LiveCallView {
  readonly call: LiveCallInfo;
  readonly transcript: readonly TranscriptLine[];
  /** The words being spoken now, before their line completes. */
  readonly partial: { readonly user?: string; readonly assistant?: string };
  /** The flow node the call is in, when its agent has a flow. */
  readonly node?: string;
  /** The latest tool calls, oldest first. */
  readonly tools: readonly ToolCallView[];
  /** The latest turns' timing, oldest first. */
  readonly turns: readonly TurnView[];
  /** The latest errors, oldest first (`key`: unique within the call). */
  readonly errors: readonly { readonly key: number; readonly message: string }[];
  /** Events folded so far (numbers lines and errors). */
  readonly eventCount: number;
  /** Who asked to end the call, once someone did. */
  readonly endedBy?: string;
}

/** The monitor's state: the live calls, newest first; `ready` once the first snapshot came. */
export interface LiveState {
  readonly ready: boolean;
  readonly calls: readonly LiveCallView[];
}

/** The state before the stream's first message. */
export const initialLiveState: LiveState = { ready: false, calls: [] };

/** How many of each list a call keeps (the monitor shows the latest). */
export const KEPT = { transcript: 100, tools: 10, turns: 5, errors: 5 } as const;
/** Tool results are shown cut to this many characters. */
export const MAX_RESULT_CHARS = 200;

/** The voice-timing steps of a `turn` event, in the order they happen. */
export const TURN_STEPS = [
  'sttFinalMs',
  'llmFirstTokenMs',
  'firstSentenceMs',
  'ttsFirstAudioMs',
  'firstAudioSentMs',
  'firstSentencePlayedMs',
] as const;

/** Folds one stream message into the state (pure: returns a new state, or `state` when nothing changed). */
export function liveReducer(state: LiveState, message: LiveMessage): LiveState {
  switch (message.kind) {
    case 'snapshot':
      return {
        ready: true,
        calls: sortNewestFirst(
          message.calls.map(({ call, events }) => events.reduce(applyEvent, newCall(call))),
        ),
      };
    case 'call_started':
      return {
        ...state,
        calls: sortNewestFirst([
          ...state.calls.filter((c) => c.call.id !== message.call.id),
          newCall(message.call),
        ]),
      };
    case 'event': {
      const index = state.calls.findIndex((c) => c.call.id === message.callId);
      const current = state.calls[index];
      if (current === undefined) return state;
      const calls = [...state.calls];
      calls[index] = applyEvent(current, message.event);
      return { ...state, calls };
    }
    case 'call_ended':
      return { ...state, calls: state.calls.filter((c) => c.call.id !== message.callId) };
  }
}

function newCall(call: LiveCallInfo): LiveCallView {
  return { call, transcript: [], partial: {}, tools: [], turns: [], errors: [], eventCount: 0 };
}

function sortNewestFirst(calls: LiveCallView[]): LiveCallView[] {
  return calls.sort((a, b) => b.call.startedAt.localeCompare(a.call.startedAt));
}

/** The latest `max` items of `list` with `item` appended. */
function keep<T>(list: readonly T[], item: T, max: number): T[] {
  return [...list, item].slice(-max);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One event folded into one call. Unknown types change only its `eventCount`. */
function applyEvent(before: LiveCallView, event: LiveEvent): LiveCallView {
  const view = { ...before, eventCount: before.eventCount + 1 };
  const { data } = event;
  switch (event.type) {
    case 'transcript_partial': {
      const text = str(data.text);
      if (text === undefined) return view;
      if (data.role === 'assistant') {
        const before = view.partial.assistant;
        return { ...view, partial: { ...view.partial, assistant: before ? `${before} ${text}` : text } };
      }
      return { ...view, partial: { ...view.partial, user: text } };
    }
    case 'user_spoke':
    case 'agent_spoke': {
      const role = event.type === 'user_spoke' ? 'user' : 'assistant';
      const line: TranscriptLine = {
        key: view.eventCount,
        role,
        text: str(data.text) ?? '',
        at: event.at,
        interrupted: data.interrupted === true,
      };
      const partial = role === 'user' ? { assistant: view.partial.assistant } : { user: view.partial.user };
      return {
        ...view,
        transcript: keep(view.transcript, line, KEPT.transcript),
        partial: withoutUndefined(partial),
      };
    }
    case 'node_entered':
      return { ...view, node: str(data.node) ?? view.node };
    case 'node_transition':
      return { ...view, node: str(data.to) ?? view.node };
    case 'tool_called': {
      const id = str(data.toolCallId);
      if (id === undefined) return view;
      const tool: ToolCallView = { id, name: str(data.name) ?? 'tool', startedAt: event.at };
      return { ...view, tools: keep(view.tools, tool, KEPT.tools) };
    }
    case 'tool_result': {
      const id = str(data.toolCallId);
      const ended = (tool: ToolCallView): ToolCallView => ({
        ...tool,
        endedAt: event.at,
        ok: data.ok === true,
        ...(num(data.durationMs) === undefined ? {} : { durationMs: num(data.durationMs) }),
        ...resultOf(data),
      });
      if (!view.tools.some((t) => t.id === id)) {
        // Its start is older than what the snapshot kept.
        const tool = { id: id ?? '', name: str(data.name) ?? 'tool', startedAt: event.at };
        return { ...view, tools: keep(view.tools, ended(tool), KEPT.tools) };
      }
      return { ...view, tools: view.tools.map((t) => (t.id === id ? ended(t) : t)) };
    }
    case 'turn': {
      const turn = num(data.turn);
      if (turn === undefined) return view;
      const steps: Record<string, number> = {};
      for (const step of TURN_STEPS) {
        const ms = num(data[step]);
        if (ms !== undefined) steps[step] = ms;
      }
      const timing: TurnView = { turn, outcome: str(data.outcome) ?? '', steps };
      return { ...view, turns: keep(view.turns, timing, KEPT.turns) };
    }
    case 'error': {
      const error = { key: view.eventCount, message: str(data.message) ?? 'error' };
      return { ...view, errors: keep(view.errors, error, KEPT.errors) };
    }
    case 'ended_by':
      return { ...view, endedBy: str(data.name) ?? 'someone' };
    default:
      return view;
  }
}

function resultOf(data: Readonly<Record<string, unknown>>): { result?: string } {
  const cancelled = str(data.cancelled);
  if (cancelled !== undefined) return { result: `cancelled: ${cancelled}` };
  const result = str(data.result);
  if (result === undefined) return {};
  return { result: result.length > MAX_RESULT_CHARS ? `${result.slice(0, MAX_RESULT_CHARS)}…` : result };
}

function withoutUndefined(partial: { user?: string | undefined; assistant?: string | undefined }) {
  return {
    ...(partial.user === undefined ? {} : { user: partial.user }),
    ...(partial.assistant === undefined ? {} : { assistant: partial.assistant }),
  };
}
