import { describe, expect, it } from 'vitest';
import { UserContextAggregator } from '../src/aggregators/user-context.ts';
import { LLMContext } from '../src/context/llm-context.ts';
import { frame } from '../src/frames/frames.ts';
import { Pipeline } from '../src/processors/pipeline.ts';
import { UserTurnProcessor, type UserTurnProcessorOptions } from '../src/turns/user-turn-processor.ts';
import { f, onVirtualClock } from './turn-harness.ts';

// VAD defaults: the start edge comes 0.2 s after speech began, the stop edge 0.2 s after it ended.
const turns = (options: UserTurnProcessorOptions = {}) => onVirtualClock(new UserTurnProcessor(options));

describe('UserTurnProcessor: turn start', () => {
  it('starts a turn on the VAD’s speech start: user_started_speaking, then interruption', async () => {
    const { at, decisions, h } = await turns();
    await at(200, f.vadStart());
    expect(decisions()).toEqual(['user_started_speaking', 'interruption']);
    expect(h.ofType('vad_user_started_speaking')).toEqual([]); // raw edges are consumed
  });

  it('starts a turn from a transcript while the VAD hears nothing, and ends it after the delay', async () => {
    const { at, decisions, clock } = await turns();
    await at(1000, f.final('hello there'));
    expect(decisions()).toEqual(['user_started_speaking', 'interruption', 'transcription']);
    await clock.advance(499);
    expect(decisions()).not.toContain('user_stopped_speaking');
    await clock.advance(1);
    expect(decisions().at(-1)).toBe('user_stopped_speaking');
  });

  it('starts a turn from an interim transcript too', async () => {
    const { at, decisions } = await turns();
    await at(300, f.interim('hel'));
    expect(decisions()).toEqual(['user_started_speaking', 'interruption', 'interim_transcription']);
  });

  it('treats user_*_speaking edges from a VAD-less source upstream like the VAD’s', async () => {
    const { at, decisions, h } = await turns();
    const edge = frame('user_started_speaking');
    await at(200, edge);
    expect(decisions()).toEqual(['user_started_speaking', 'interruption']);
    expect(h.downstream).not.toContain(edge); // re-decided, not forwarded
  });
});

describe('UserTurnProcessor: turn end', () => {
  it('ends on VAD silence and a final transcript, the minimum delay (+ VAD startSecs) after the speech ended', async () => {
    const { at, decisions, clock } = await turns();
    await at(200, f.vadStart());
    await at(1200, f.vadStop()); // speech ended at 1000
    await at(1300, f.final('book a table'));
    await clock.advance(1699 - 1300); // 1000 + 500 + 200
    expect(decisions()).not.toContain('user_stopped_speaking');
    await clock.advance(1);
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'transcription',
      'user_stopped_speaking',
    ]);
  });

  it('waits for the final transcript, so user_stopped_speaking never overtakes it', async () => {
    const { at, decisions, clock } = await turns();
    await at(200, f.vadStart());
    await at(1200, f.vadStop());
    await clock.advance(1000); // far past the 0.5 s delay, but no transcript yet
    expect(decisions()).toEqual(['user_started_speaking', 'interruption']);
    await at(2600, f.final('book a table'));
    expect(decisions().slice(-2)).toEqual(['transcription', 'user_stopped_speaking']);
  });

  it('ends at once on the STT’s end-of-utterance', async () => {
    const { at, decisions } = await turns();
    await at(200, f.vadStart());
    await at(1200, f.vadStop());
    await at(1210, f.final('book a table', true));
    expect(decisions().slice(-2)).toEqual(['transcription', 'user_stopped_speaking']);
  });

  it('without a final transcript, ends maxDelaySecs after the speech ended', async () => {
    const { at, decisions, clock } = await turns({ endpointing: { maxDelaySecs: 3 } });
    await at(200, f.vadStart());
    await at(1200, f.vadStop(), f.interim('book a'));
    await clock.advance(4199 - 1200);
    expect(decisions()).not.toContain('user_stopped_speaking');
    await clock.advance(1); // 1000 + 3000 + 200
    expect(decisions().at(-1)).toBe('user_stopped_speaking');
  });

  it('keeps the turn open when the caller resumes within the delay, then learns the pause', async () => {
    const p = new UserTurnProcessor();
    const { at, decisions, clock } = await onVirtualClock(p);
    await at(200, f.vadStart());
    await at(1200, f.vadStop(), f.final('I would like'));
    await at(1600, f.vadStart()); // speech resumed at 1400: a 0.4 s pause (the turn would end at 1700)
    await at(2700, f.vadStop(), f.final('a table for two'));
    const delayMs = (0.3 * 0.4 + 0.7 * 0.25 + 0.25) * 1000; // the 0.4 s pause, averaged in: 545 ms
    expect(p.endpointingDelaySecs * 1000).toBeCloseTo(delayMs);
    await clock.advance(2500 + delayMs + 200 - 1 - 2700);
    expect(decisions().filter((t) => t === 'user_stopped_speaking')).toEqual([]);
    await clock.advance(1);
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'transcription',
      'transcription',
      'user_stopped_speaking',
    ]);
  });

  it('raises the delay when the caller goes on after their turn was ended, up to the maximum', async () => {
    const p = new UserTurnProcessor({ endpointing: { minDelaySecs: 0.5, maxDelaySecs: 3 } });
    const { at, clock, decisions } = await onVirtualClock(p);
    expect(p.endpointingDelaySecs).toBe(0.5);
    await at(200, f.vadStart());
    await at(1200, f.vadStop(), f.final('my number is'));
    await clock.advance(1700 - 1200);
    expect(decisions().at(-1)).toBe('user_stopped_speaking'); // ended (too early, as it turns out)
    await at(2400, f.vadStart()); // speech resumed at 2200: the caller paused 1.2 s mid-turn
    expect(p.endpointingDelaySecs).toBeCloseTo(0.3 * 1.2 + 0.7 * 0.25 + 0.25); // 0.785
    const eager = new UserTurnProcessor({ endpointing: { maxDelaySecs: 1, smoothing: 1 } });
    const e = await onVirtualClock(eager);
    await e.at(200, f.vadStart());
    await e.at(1200, f.vadStop(), f.final('my number is'));
    await e.at(2000, f.vadStart()); // a 0.8 s pause, ended early
    expect(eager.endpointingDelaySecs).toBe(1); // 0.8 + 0.25 clamped to the maximum
  });

  it('does not learn from a pause after a turn the bot already answered', async () => {
    const p = new UserTurnProcessor();
    const { at, upAt } = await onVirtualClock(p);
    await at(200, f.vadStart());
    await at(1200, f.vadStop(), f.final('hi')); // the turn ends at 1700
    await upAt(1800, f.botStarted());
    await upAt(2000, f.botStopped());
    await at(2200, f.vadStart());
    expect(p.endpointingDelaySecs).toBe(0.5);
  });

  it('with a user aggregator after it, runs the LLM once per turn with the whole turn’s text', async () => {
    const context = new LLMContext([{ role: 'system', content: 'sys' }]);
    const { at, h, clock } = await onVirtualClock(
      new Pipeline([new UserTurnProcessor(), new UserContextAggregator(context)]),
    );
    await at(200, f.vadStart());
    await at(1200, f.vadStop(), f.final('book a table'));
    await at(1300, f.vadStart());
    await at(2200, f.vadStop(), f.final('for two'));
    await clock.advance(3000);
    expect(h.ofType('llm_context')).toHaveLength(1);
    expect(context.messages.at(-1)).toEqual({ role: 'user', content: 'book a table for two' });
  });
});
