import { describe, expect, it } from 'vitest';
import {
  initialLiveState,
  KEPT,
  type LiveCallInfo,
  type LiveEvent,
  type LiveMessage,
  type LiveState,
  liveReducer,
  MAX_RESULT_CHARS,
  parseLiveMessage,
} from '../src/pages/live/live-state.ts';

const call = (id: string, startedAt = '2026-12-07T10:00:00.000Z'): LiveCallInfo => ({
  id,
  agentId: 'demo',
  agentName: 'Demo',
  provider: 'twilio',
  direction: 'inbound',
  from: '+15551230000',
  to: '+15557654321',
  startedAt,
});

const ev = (
  type: string,
  data: Record<string, unknown> = {},
  at = '2026-12-07T10:00:01.000Z',
): LiveEvent => ({
  type,
  at,
  data,
});

const fold = (messages: LiveMessage[], state: LiveState = initialLiveState) =>
  messages.reduce(liveReducer, state);
const on = (callId: string, event: LiveEvent): LiveMessage => ({ kind: 'event', callId, event });

describe('liveReducer', () => {
  it('starts from a snapshot, folding each call’s recent events, newest call first', () => {
    const state = fold([
      {
        kind: 'snapshot',
        calls: [
          { call: call('a', '2026-12-07T10:00:00.000Z'), events: [ev('user_spoke', { text: 'hello' })] },
          { call: call('b', '2026-12-07T10:05:00.000Z'), events: [ev('node_entered', { node: 'greet' })] },
        ],
      },
    ]);
    expect(state.ready).toBe(true);
    expect(state.calls.map((c) => c.call.id)).toEqual(['b', 'a']);
    expect(state.calls[1]!.transcript.map((l) => [l.role, l.text])).toEqual([['user', 'hello']]);
    expect(state.calls[0]!.node).toBe('greet');
  });

  it('a new snapshot replaces every call (after a reconnect)', () => {
    const before = fold([{ kind: 'snapshot', calls: [{ call: call('a'), events: [] }] }]);
    const after = liveReducer(before, { kind: 'snapshot', calls: [] });
    expect(after.calls).toEqual([]);
  });

  it('adds started calls, removes ended ones, and ignores events of unknown calls', () => {
    let state = fold([
      { kind: 'snapshot', calls: [] },
      { kind: 'call_started', call: call('a') },
    ]);
    expect(state.calls).toHaveLength(1);
    const unchanged = liveReducer(state, on('zzz', ev('user_spoke', { text: 'x' })));
    expect(unchanged).toBe(state);
    state = liveReducer(state, { kind: 'call_ended', callId: 'a' });
    expect(state.calls).toEqual([]);
  });

  it('shows words as they are spoken, then the completed line in their place', () => {
    const state = fold([
      { kind: 'snapshot', calls: [{ call: call('a'), events: [] }] },
      on('a', ev('transcript_partial', { role: 'assistant', text: 'Hello there.' })),
      on('a', ev('transcript_partial', { role: 'assistant', text: 'How can I help?' })),
      on('a', ev('transcript_partial', { role: 'user', text: 'I want' })),
      on('a', ev('transcript_partial', { role: 'user', text: 'I want to book' })),
    ]);
    expect(state.calls[0]!.partial).toEqual({
      assistant: 'Hello there. How can I help?',
      user: 'I want to book',
    });
    const next = fold(
      [
        on('a', ev('agent_spoke', { text: 'Hello there. How can I help?', interrupted: true })),
        on('a', ev('user_spoke', { text: 'I want to book a table' })),
      ],
      state,
    );
    const view = next.calls[0]!;
    expect(view.partial).toEqual({});
    expect(view.transcript.map((l) => [l.role, l.text, l.interrupted])).toEqual([
      ['assistant', 'Hello there. How can I help?', true],
      ['user', 'I want to book a table', false],
    ]);
    expect(new Set(view.transcript.map((l) => l.key)).size).toBe(2);
  });

  it('follows the flow node through entries and transitions', () => {
    const state = fold([
      { kind: 'snapshot', calls: [{ call: call('a'), events: [] }] },
      on('a', ev('node_entered', { node: 'greet', respondImmediately: true })),
      on('a', ev('node_transition', { from: 'greet', to: 'booking', functionName: 'to_booking' })),
    ]);
    expect(state.calls[0]!.node).toBe('booking');
  });

  it('tracks tool calls from start to result, cutting long results', () => {
    const long = 'x'.repeat(MAX_RESULT_CHARS + 50);
    const state = fold([
      { kind: 'snapshot', calls: [{ call: call('a'), events: [] }] },
      on(
        'a',
        ev('tool_called', { toolCallId: 't1', name: 'lookup', arguments: '{}' }, '2026-12-07T10:00:02.000Z'),
      ),
      on('a', ev('tool_called', { toolCallId: 't2', name: 'book' }, '2026-12-07T10:00:03.000Z')),
    ]);
    expect(state.calls[0]!.tools.map((t) => [t.name, t.endedAt])).toEqual([
      ['lookup', undefined],
      ['book', undefined],
    ]);
    const done = fold(
      [
        on(
          'a',
          ev('tool_result', { toolCallId: 't1', name: 'lookup', ok: true, durationMs: 420, result: long }),
        ),
        on('a', ev('tool_result', { toolCallId: 't2', name: 'book', ok: false, cancelled: 'interrupted' })),
      ],
      state,
    );
    const [lookup, book] = done.calls[0]!.tools;
    expect(lookup).toMatchObject({ ok: true, durationMs: 420, startedAt: '2026-12-07T10:00:02.000Z' });
    expect(lookup!.result).toHaveLength(MAX_RESULT_CHARS + 1);
    expect(book).toMatchObject({ ok: false, result: 'cancelled: interrupted' });
  });

  it('keeps the last turns’ voice timing with only numeric steps', () => {
    const turns = Array.from({ length: KEPT.turns + 2 }, (_, i) =>
      on('a', ev('turn', { turn: i + 1, outcome: 'played', sttFinalMs: 100 + i, llmFirstTokenMs: 'soon' })),
    );
    const state = fold([{ kind: 'snapshot', calls: [{ call: call('a'), events: [] }] }, ...turns]);
    const kept = state.calls[0]!.turns;
    expect(kept.map((t) => t.turn)).toEqual([3, 4, 5, 6, 7]);
    expect(kept.at(-1)).toEqual({ turn: 7, outcome: 'played', steps: { sttFinalMs: 106 } });
  });

  it('records errors and who asked to end the call', () => {
    const state = fold([
      { kind: 'snapshot', calls: [{ call: call('a'), events: [] }] },
      on('a', ev('error', { message: 'LLM timed out', source: 'llm' })),
      on('a', ev('ended_by', { type: 'user', id: '1', name: 'ada' })),
    ]);
    expect(state.calls[0]!.errors.map((e) => e.message)).toEqual(['LLM timed out']);
    expect(state.calls[0]!.endedBy).toBe('ada');
  });

  it('does not change the state it is given', () => {
    const state = fold([{ kind: 'snapshot', calls: [{ call: call('a'), events: [] }] }]);
    const frozen = structuredClone(state);
    liveReducer(state, on('a', ev('user_spoke', { text: 'hi' })));
    expect(state).toEqual(frozen);
  });
});

describe('parseLiveMessage', () => {
  it('accepts stream messages and rejects anything else', () => {
    expect(parseLiveMessage(JSON.stringify({ kind: 'call_ended', callId: 'a' }))).toEqual({
      kind: 'call_ended',
      callId: 'a',
    });
    expect(parseLiveMessage('not json')).toBeUndefined();
    expect(parseLiveMessage(JSON.stringify({ kind: 'call_ended' }))).toBeUndefined();
    expect(parseLiveMessage(JSON.stringify({ kind: 'other', callId: 'a' }))).toBeUndefined();
  });
});
