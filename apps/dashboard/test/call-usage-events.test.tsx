import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { EventTimeline } from '../src/pages/calls/EventTimeline.tsx';
import type { CallEvent, CallUsage } from '../src/pages/calls/types.ts';
import { UsagePanel } from '../src/pages/calls/UsagePanel.tsx';

/**
 * A call's `usage` as the server stores it (`UsageCollector.summary()` and `estimateCost` of
 * `@parley/pipeline`): one STT, one LLM, two TTS vendors (the second a failover the price
 * table does not know). Prices: Deepgram nova-3 0.0043 EUR/min, gpt-4.1-mini 0.4 / 1.6 EUR per
 * million input / output tokens, Cartesia 40 EUR per million characters.
 */
const USAGE: CallUsage = {
  summary: {
    stt: [
      {
        provider: 'deepgram',
        model: 'nova-3',
        requests: 3,
        ttfbMs: { p50: 180, max: 240 },
        audioSeconds: 42.5,
      },
    ],
    llm: [
      {
        provider: 'openai',
        model: 'gpt-4.1-mini',
        requests: 3,
        ttfbMs: { p50: 420, max: 910 },
        promptTokens: 1830,
        completionTokens: 96,
      },
    ],
    tts: [
      {
        provider: 'cartesia',
        model: 'sonic-2',
        requests: 4,
        ttfbMs: { p50: 150, max: 210 },
        characters: 312,
      },
      { provider: 'elevenlabs', requests: 0, ttfbMs: null, characters: 40 },
    ],
  },
  cost: {
    currency: 'EUR',
    // 42.5 / 60 × 0.0043 + (1830 × 0.4 + 96 × 1.6) / 10⁶ + 312 × 40 / 10⁶
    total: 0.003045833 + 0.0008856 + 0.01248,
    lines: [
      { service: 'stt', provider: 'deepgram', model: 'nova-3', cost: 0.003045833 },
      { service: 'llm', provider: 'openai', model: 'gpt-4.1-mini', cost: 0.0008856 },
      { service: 'tts', provider: 'cartesia', model: 'sonic-2', cost: 0.01248 },
    ],
    unpriced: [{ service: 'tts', provider: 'elevenlabs' }],
  },
};

/** The cells of the usage table's row for `provider`, in column order (the row header first). */
function usageRow(provider: RegExp): string[] {
  const cell = screen.getByRole('cell', { name: provider });
  const row = cell.closest('tr');
  if (row === null) throw new Error('no row');
  return [...row.querySelectorAll('th, td')].map((c) => c.textContent ?? '');
}

/** Money in euros whatever the test machine's locale: `0,0164 €`, `€0.0164`. */
const euros = (digits: string) => new RegExp(`(€|EUR)\\s?0[.,]${digits}(?!\\d)|0[.,]${digits}\\s?(€|EUR)`);

describe('UsagePanel', () => {
  it("shows each service's requests, amount used, time to first byte and cost, and the total", () => {
    render(<UsagePanel usage={USAGE} />);
    const stt = usageRow(/^deepgram/);
    expect(stt.slice(0, 5)).toEqual([
      'Speech to text',
      'deepgram / nova-3',
      '3',
      '42.5 s of audio',
      '180 / 240 ms',
    ]);
    expect(stt[5]).toMatch(euros('003'));

    const llm = usageRow(/^openai/);
    expect(llm.slice(0, 5)).toEqual([
      'LLM',
      'openai / gpt-4.1-mini',
      '3',
      '1830 prompt + 96 completion tokens',
      '420 / 910 ms',
    ]);
    expect(llm[5]).toMatch(euros('0009'));

    const tts = usageRow(/^cartesia/);
    expect(tts.slice(0, 5)).toEqual([
      'Text to speech',
      'cartesia / sonic-2',
      '4',
      '312 characters',
      '150 / 210 ms',
    ]);
    expect(tts[5]).toMatch(euros('0125'));

    // The failover vendor: no model, no request measured, no price.
    expect(usageRow(/^elevenlabs$/)).toEqual([
      'Text to speech',
      'elevenlabs',
      '0',
      '40 characters',
      '—',
      'no price',
    ]);

    const total = screen.getByText(/^Estimated cost:/);
    expect(total.textContent).toMatch(euros('0164'));
    expect(screen.getByText(/some usage has no price and is not counted/)).toBeTruthy();
  });

  it('says there is no estimate when the server has no price table', () => {
    const { cost: _, ...withoutCost } = USAGE;
    render(<UsagePanel usage={withoutCost} />);
    expect(usageRow(/^openai/)[5]).toBe('—');
    expect(screen.getByText(/No cost estimate: the server has no price table/)).toBeTruthy();
    expect(screen.queryByText(/Estimated cost/)).toBeNull();
  });

  it('says so when nothing was recorded', () => {
    render(<UsagePanel usage={null} />);
    expect(screen.getByText(/No usage recorded/)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });
});

const START = Date.parse('2026-03-02T12:00:01.000Z');
let seq = 0;
/** An event `ms` after the call's first one. */
function event(ms: number, type: string, data: Record<string, unknown> = {}): CallEvent {
  seq += 1;
  return { id: 100 + seq, seq, type, at: new Date(START + ms).toISOString(), data };
}

describe('EventTimeline', () => {
  it('lists every event in order with its offset from the first and a readable line', () => {
    const events = [
      event(0, 'call_started', { provider: 'twilio', agentId: 'demo' }),
      event(40, 'node_transition', { from: null, to: 'greeting', functionName: null }),
      event(1_200, 'agent_spoke', { text: 'Hello, how can I help?', interrupted: true }),
      event(4_500, 'user_spoke', { text: 'What are your opening hours?' }),
      event(5_100, 'tool_called', { toolCallId: 't1', name: 'lookup_hours' }),
      event(5_412, 'tool_result', { toolCallId: 't1', name: 'lookup_hours', ok: true, durationMs: 312 }),
      event(9_000, 'tool_result', { toolCallId: 't2', name: 'book', ok: false }),
      event(9_500, 'tool_result', { toolCallId: 't3', name: 'book', cancelled: 'caller interrupted' }),
      event(12_000, 'node_transition', { from: 'greeting', to: 'hours', functionName: 'ask_hours' }),
      event(20_000, 'service_switched', { service: 'llm', from: 'openai', to: 'groq', reason: 'timeout' }),
      event(21_000, 'turn', { turn: 2, outcome: 'played' }),
      event(30_000, 'error', { message: 'TTS refused the text' }),
      event(64_900, 'voicemail_detected', {}),
      event(65_000, 'call_ended', { reason: 'caller_hung_up' }),
    ];
    render(<EventTimeline events={events} />);
    const items = screen.getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      '0:00 call_started Call started (twilio, agent demo)',
      '0:00 node_transition Flow: start → greeting',
      '0:01 agent_spoke Bot: Hello, how can I help? (interrupted)',
      '0:04 user_spoke Caller: What are your opening hours?',
      '0:05 tool_called Tool lookup_hours called',
      '0:05 tool_result Tool lookup_hours answered in 312 ms',
      '0:09 tool_result Tool book failed',
      '0:09 tool_result Tool book cancelled',
      '0:12 node_transition Flow: greeting → hours (ask_hours)',
      '0:20 service_switched llm switched from openai to groq (timeout)',
      '0:21 turn Turn 2 timing: played',
      '0:30 error Error: TTS refused the text',
      '1:04 voicemail_detected voicemail detected',
      '1:05 call_ended Call ended: caller_hung_up',
    ]);
    // The exact instant is kept for machines and for the tooltip.
    const time = within(items[5] as HTMLElement).getByText('0:05');
    expect(time.getAttribute('dateTime')).toBe('2026-03-02T12:00:06.412Z');
  });

  it('counts from the first event, not from zero', () => {
    const late = [event(90_000, 'call_started', { provider: 'browser' }), event(92_500, 'call_ended', {})];
    render(<EventTimeline events={late} />);
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      '0:00 call_started Call started (browser)',
      '0:02 call_ended Call ended: no reason given',
    ]);
  });

  it('says so when there are no events', () => {
    render(<EventTimeline events={[]} />);
    expect(screen.getByText('No events were recorded.')).toBeTruthy();
  });
});
