/**
 * What the call page reads from a call's events (see `apps/server/src/calls/event-recorder.ts`
 * and `call-flow.ts` for their data): the flow path, the tool calls, one line per event.
 */
import type { CallEvent } from './types.ts';

/** One step of the flow path: a node the call entered, and the function that moved it there. */
export interface FlowStep {
  readonly node: string;
  /** The function the LLM called to get here; null for the first node or a move without one. */
  readonly functionName: string | null;
  readonly at: string;
  /** The event's position in the call (unique). */
  readonly seq: number;
}

/** The nodes the call went through, in order, from its `node_transition` events. */
export function flowPath(events: readonly CallEvent[]): FlowStep[] {
  return events.flatMap((e) =>
    e.type === 'node_transition' && typeof e.data.to === 'string'
      ? [
          {
            node: e.data.to,
            functionName: typeof e.data.functionName === 'string' ? e.data.functionName : null,
            at: e.at,
            seq: e.seq,
          },
        ]
      : [],
  );
}

/** One tool call: `tool_called` and, once it finished, its `tool_result`. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly at: string;
  /** The arguments as the LLM sent them (a JSON string, usually). */
  readonly arguments: string;
  /** `ok`, `failed`, `cancelled` (with the reason) or `running` (no result recorded). */
  readonly status: 'ok' | 'failed' | 'cancelled' | 'running';
  readonly cancelled?: string;
  readonly durationMs: number | null;
  readonly result?: string;
  /** The server's error for a failed tool, when it gave one. */
  readonly error?: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value);

/** The call's tool calls in the order they were made, each matched with its result by `toolCallId`. */
export function toolCalls(events: readonly CallEvent[]): ToolCall[] {
  const results = new Map<string, CallEvent>();
  for (const e of events) {
    if (e.type === 'tool_result' && typeof e.data.toolCallId === 'string') results.set(e.data.toolCallId, e);
  }
  return events.flatMap((e): ToolCall[] => {
    if (e.type !== 'tool_called' || typeof e.data.toolCallId !== 'string') return [];
    const result = results.get(e.data.toolCallId)?.data;
    const cancelled = typeof result?.cancelled === 'string' ? result.cancelled : undefined;
    const status =
      result === undefined
        ? 'running'
        : cancelled !== undefined
          ? 'cancelled'
          : result.ok === true
            ? 'ok'
            : 'failed';
    const resultText = text(result?.result);
    const error = text(result?.error);
    return [
      {
        id: e.data.toolCallId,
        name: typeof e.data.name === 'string' ? e.data.name : '(unnamed)',
        at: e.at,
        arguments: text(e.data.arguments) ?? '',
        status,
        durationMs: typeof result?.durationMs === 'number' ? result.durationMs : null,
        ...(cancelled === undefined ? {} : { cancelled }),
        ...(resultText === undefined ? {} : { result: resultText }),
        ...(error === undefined ? {} : { error }),
      },
    ];
  });
}

/** A short, readable line for an event in the timeline. */
export function describeEvent(event: CallEvent): string {
  const d = event.data;
  const s = (key: string) => (typeof d[key] === 'string' || typeof d[key] === 'number' ? String(d[key]) : '');
  switch (event.type) {
    case 'call_started':
      return `Call started (${s('provider')}${s('agentId') === '' ? '' : `, agent ${s('agentId')}`})`;
    case 'call_ended':
      return `Call ended: ${s('reason') || 'no reason given'}`;
    case 'user_spoke':
      return `Caller: ${s('text')}`;
    case 'agent_spoke':
      return `Bot: ${s('text')}${d.interrupted === true ? ' (interrupted)' : ''}`;
    case 'tool_called':
      return `Tool ${s('name')} called`;
    case 'tool_result':
      return `Tool ${s('name')} ${typeof d.cancelled === 'string' ? 'cancelled' : d.ok === true ? 'answered' : 'failed'}${
        typeof d.durationMs === 'number' ? ` in ${d.durationMs} ms` : ''
      }`;
    case 'node_transition':
      return `Flow: ${s('from') || 'start'} → ${s('to')}${s('functionName') === '' ? '' : ` (${s('functionName')})`}`;
    case 'node_entered':
      return `Entered node ${s('node')}`;
    case 'turn':
      return `Turn ${s('turn')} timing: ${s('outcome')}`;
    case 'error':
      return `Error: ${s('message')}`;
    case 'service_switched':
      return `${s('service')} switched from ${s('from')} to ${s('to')}${s('reason') === '' ? '' : ` (${s('reason')})`}`;
    default:
      return event.type.replaceAll('_', ' ');
  }
}
