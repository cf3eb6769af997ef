import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LivePage } from '../src/pages/live/LivePage.tsx';

/** A stand-in for the browser's EventSource: the test pushes messages. */
class FakeEventSource {
  static readonly CLOSED = 2;
  static last: FakeEventSource | undefined;
  readyState = 1;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((event: MessageEvent<string>) => void) | null = null;
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  push(message: unknown): void {
    act(() => this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(message) })));
  }
  close(): void {}
}

/** The virtual clock's start. */
const NOW = Date.parse('2026-12-07T10:01:05.000Z');
const iso = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString();

const CALL = {
  id: '6f1c1a9e-0000-4000-8000-000000000002',
  agentId: 'bistro',
  agentName: 'Bistro bookings',
  provider: 'twilio',
  direction: 'inbound',
  from: '+15551230000',
  to: '+15557654321',
  // 65 s before the clock's start.
  startedAt: iso(65_000),
};

function ev(type: string, msBeforeNow: number, data: Record<string, unknown>) {
  return { type, at: iso(msBeforeNow), data };
}

/** The events of the call so far, as the snapshot of `GET /api/live` carries them. */
const HISTORY = [
  ev('node_entered', 60_000, { node: 'greeting' }),
  ev('user_spoke', 40_000, { text: 'A table for two tonight, please.' }),
  ev('turn', 39_000, {
    turn: 1,
    outcome: 'played',
    sttFinalMs: 120,
    llmFirstTokenMs: 480,
    firstSentenceMs: 900,
    ttsFirstAudioMs: 1100,
    firstAudioSentMs: 1150,
    firstSentencePlayedMs: 1400,
  }),
  ev('node_transition', 30_000, { from: 'greeting', to: 'booking', functionName: 'start_booking' }),
  ev('tool_called', 20_000, { toolCallId: 't1', name: 'lookup_menu' }),
  ev('tool_result', 19_500, {
    toolCallId: 't1',
    name: 'lookup_menu',
    ok: true,
    durationMs: 412,
    result: '{"dishes":3}',
  }),
  ev('turn', 10_000, { turn: 2, outcome: 'interrupted', sttFinalMs: 95, llmFirstTokenMs: 610 }),
  ev('tool_called', 3_000, { toolCallId: 't2', name: 'check_availability' }),
];

function renderLive() {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () =>
      Response.json({ principal: { type: 'user', id: '1', name: 'pat', role: 'viewer' }, csrfToken: 'c' }),
    ),
  );
  vi.stubGlobal('EventSource', FakeEventSource);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <LivePage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  const source = FakeEventSource.last!;
  source.push({ kind: 'snapshot', calls: [{ call: CALL, events: HISTORY }] });
  return { source, card: screen.getByRole('article', { name: /Bistro bookings/ }) };
}

/** The text of each cell of the table under the heading `heading`, row by row (header row first). */
function tableUnder(card: HTMLElement, heading: string): string[][] {
  const table = within(card).getByRole('heading', { name: heading }).nextElementSibling;
  if (!(table instanceof HTMLTableElement)) throw new Error(`no table under ${heading}`);
  return [...table.rows].map((row) => [...row.cells].map((cell) => cell.textContent ?? ''));
}

/** The value of the fact `label` of the card (Elapsed, Node, …). */
function fact(card: HTMLElement, label: string): string {
  const term = within(card).getByText(label, { selector: 'dt' });
  return term.nextElementSibling?.textContent ?? '';
}

/** Moves the virtual clock on by `ms`, running the page's once-a-second tick. */
function advance(ms: number): void {
  act(() => vi.advanceTimersByTime(ms));
}

beforeEach(() => {
  // Only the clock the page reads (Date, and the interval of its tick): React and the test's
  // own waits keep real timeouts.
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'], now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('a live call card', () => {
  it('shows the elapsed time and the current node, following the clock and the stream', () => {
    const { source, card } = renderLive();
    expect(fact(card, 'Elapsed')).toBe('1:05');
    expect(fact(card, 'Node')).toBe('booking');
    expect(fact(card, 'Direction')).toBe('inbound via twilio');

    advance(60_000);
    expect(fact(card, 'Elapsed')).toBe('2:05');
    advance(3_600_000);
    expect(fact(card, 'Elapsed')).toBe('1:02:05');

    source.push({
      kind: 'event',
      callId: CALL.id,
      event: {
        type: 'node_transition',
        at: new Date().toISOString(),
        data: { from: 'booking', to: 'confirm' },
      },
    });
    expect(fact(card, 'Node')).toBe('confirm');
  });

  it('shows a running tool call with its elapsed time, then its duration and result when it ends', () => {
    const { source, card } = renderLive();
    const tools = () => tableUnder(card, 'Tool calls').map(([name, , time, result]) => [name, time, result]);
    expect(tools()).toEqual([
      ['Tool', 'Time', 'Result'],
      ['lookup_menu', '412 ms', 'ok: {"dishes":3}'],
      ['check_availability', '0:03 running', '…'],
    ]);

    advance(62_000);
    expect(tools()[2]).toEqual(['check_availability', '1:05 running', '…']);

    source.push({
      kind: 'event',
      callId: CALL.id,
      event: {
        type: 'tool_result',
        at: new Date().toISOString(),
        data: { toolCallId: 't2', name: 'check_availability', ok: false, durationMs: 65_020 },
      },
    });
    expect(tools()[2]).toEqual(['check_availability', '65020 ms', 'failed']);
    // An ended tool no longer counts up.
    advance(10_000);
    expect(tools()[2]).toEqual(['check_availability', '65020 ms', 'failed']);
  });

  it("shows each turn's voice timing per step, with a dash for the steps it did not reach", () => {
    const { source, card } = renderLive();
    const heading = 'Voice timing (ms after the caller stopped)';
    expect(tableUnder(card, heading)).toEqual([
      [
        'Turn',
        'STT final',
        'LLM first token',
        'First sentence',
        'TTS first audio',
        'Sent',
        'Played',
        'Outcome',
      ],
      ['1', '120', '480', '900', '1100', '1150', '1400', 'played'],
      ['2', '95', '610', '–', '–', '–', '–', 'interrupted'],
    ]);

    source.push({
      kind: 'event',
      callId: CALL.id,
      event: {
        type: 'turn',
        at: new Date().toISOString(),
        data: {
          turn: 3,
          outcome: 'played',
          sttFinalMs: 101,
          llmFirstTokenMs: 455,
          firstSentencePlayedMs: 1320,
        },
      },
    });
    expect(tableUnder(card, heading).at(-1)).toEqual(['3', '101', '455', '–', '–', '–', '1320', 'played']);
  });
});
