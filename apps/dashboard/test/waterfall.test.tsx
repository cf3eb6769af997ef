import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Waterfall } from '../src/pages/calls/Waterfall.tsx';
import { callWaterfalls, turnWaterfall, WATERFALL_STAGES } from '../src/pages/calls/waterfall.ts';

/** A `turn` event's data as the server stores it (a pipeline `TurnTiming`). */
const played = {
  turn: 1,
  atMs: 4200,
  outcome: 'played',
  vadStoppedMs: -200,
  sttFinalMs: 150,
  llmRequestMs: 160,
  llmFirstTokenMs: 600,
  firstSentenceMs: 750,
  ttsFirstAudioMs: 900,
  firstAudioSentMs: 920,
  firstSentencePlayedMs: 1800,
};

describe('turnWaterfall', () => {
  it('counts every stage from when the caller stopped, with each step since the previous stage', () => {
    const w = turnWaterfall(played);
    expect(w).toMatchObject({ turn: 1, callAtMs: 4200, outcome: 'played', origin: 'caller_stopped' });
    expect(w?.rows.map((r) => [r.key, r.atMs, r.stepMs])).toEqual([
      ['vadStoppedMs', 0, 0],
      ['sttFinalMs', 350, 350],
      ['llmFirstTokenMs', 800, 450],
      ['firstSentenceMs', 950, 150],
      ['ttsFirstAudioMs', 1100, 150],
      ['firstAudioSentMs', 1120, 20],
      ['firstSentencePlayedMs', 2000, 880],
    ]);
    expect(w?.totalMs).toBe(2000);
    expect(w?.maxMs).toBe(2000);
    expect(w?.minMs).toBe(0);
  });

  it('keeps a missing stage as a row without time and bridges the next bar over it', () => {
    const { ttsFirstAudioMs: _tts, firstSentencePlayedMs: _played, ...rest } = played;
    const w = turnWaterfall({ ...rest, outcome: 'interrupted' });
    const tts = w?.rows.find((r) => r.key === 'ttsFirstAudioMs');
    expect(tts).toMatchObject({ present: false, atMs: null, stepMs: null, startMs: null });
    // "sent" is measured from the first sentence, the last stage that happened before it.
    expect(w?.rows.find((r) => r.key === 'firstAudioSentMs')).toMatchObject({
      startMs: 950,
      atMs: 1120,
      stepMs: 170,
    });
    expect(w?.totalMs).toBeNull();
    expect(w?.rows).toHaveLength(WATERFALL_STAGES.length);
  });

  it('counts from the end of the turn when the VAD stop was not measured, and flags early stages', () => {
    const w = turnWaterfall({ turn: 2, atMs: 0, outcome: 'played', sttFinalMs: -40, llmFirstTokenMs: 300 });
    expect(w?.origin).toBe('turn_end');
    expect(w?.rows.find((r) => r.key === 'sttFinalMs')).toMatchObject({ atMs: -40, stepMs: -40 });
    expect(w?.minMs).toBe(-40);
    expect(w?.maxMs).toBe(300);
  });

  it('reports a failed turn with its service error, and ignores data that is not a turn', () => {
    const w = turnWaterfall({ turn: 3, outcome: 'failed', error: { service: 'llm', message: 'timed out' } });
    expect(w?.error).toBe('llm: timed out');
    expect(w?.rows.every((r) => !r.present)).toBe(true);
    expect(turnWaterfall({ outcome: 'played' })).toBeUndefined();
    expect(turnWaterfall({ turn: 4, sttFinalMs: 'soon' })?.rows[1]?.present).toBe(false);
  });
});

describe('callWaterfalls', () => {
  it('keeps only turn events, ordered by turn whatever the event order', () => {
    const turns = callWaterfalls([
      { type: 'turn', data: { ...played, turn: 2 } },
      { type: 'user_spoke', data: { text: 'hi', turn: 9 } },
      { type: 'turn', data: played },
      { type: 'turn', data: { nonsense: true } },
    ]);
    expect(turns.map((t) => t.turn)).toEqual([1, 2]);
  });
});

describe('<Waterfall>', () => {
  it('draws one table per turn, stages in pipeline order with ms labels, and says which are missing', () => {
    const { ttsFirstAudioMs: _tts, ...rest } = played;
    render(
      <Waterfall
        turns={callWaterfalls([
          { type: 'turn', data: rest },
          { type: 'turn', data: { ...played, turn: 2 } },
        ])}
      />,
    );
    const tables = screen.getAllByRole('table');
    expect(tables).toHaveLength(2);
    const first = tables[0] as HTMLElement;
    expect(within(first).getByText(/Turn 1/)).toBeTruthy();
    expect(first.querySelector('caption')?.textContent).toContain('2000 ms to first sentence played');
    const rows = within(first).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual(
      WATERFALL_STAGES.map((s) => s.label),
    );
    expect(rows[1]?.textContent).toContain('+350 ms');
    expect(rows[2]?.textContent).toContain('800 ms');
    expect(rows[4]?.textContent).toContain('missing');
    expect(rows[4]?.querySelector('.waterfall-bar')).toBeNull();
    expect(rows[5]?.textContent).toContain('+170 ms');
    // Bars are placed on the turn's scale: played ends at the right edge.
    const playedBar = rows[6]?.querySelector<HTMLElement>('.waterfall-bar');
    expect(playedBar?.style.left).toBe('56%');
  });

  it('says so when no turn was timed', () => {
    render(<Waterfall turns={[]} />);
    expect(screen.getByText('No turn timings were recorded for this call.')).toBeTruthy();
  });
});
