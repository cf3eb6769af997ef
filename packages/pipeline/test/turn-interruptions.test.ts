import { describe, expect, it } from 'vitest';
import { UserContextAggregator } from '../src/aggregators/user-context.ts';
import { LLMContext } from '../src/context/llm-context.ts';
import { Pipeline } from '../src/processors/pipeline.ts';
import type { InterruptionOptions } from '../src/turns/interruption-options.ts';
import { UserTurnProcessor } from '../src/turns/user-turn-processor.ts';
import { f, onVirtualClock } from './turn-harness.ts';

/** A turn processor whose bot started speaking at 0 ms. VAD edges lag speech by 0.2 s. */
async function botSpeaking(interruptions: InterruptionOptions = {}) {
  const c = await onVirtualClock(new UserTurnProcessor({ interruptions }));
  await c.upAt(0, f.botStarted());
  return c;
}

describe('UserTurnProcessor: interruptions while the bot speaks', () => {
  it('ignores speech shorter than minSpeechSecs that brings no words', async () => {
    const { at, clock, decisions } = await botSpeaking();
    await at(1200, f.vadStart()); // speech began at 1000
    await at(1400, f.vadStop()); // and ended at 1200: 0.2 s
    await clock.advance(5000);
    expect(decisions()).toEqual([]);
  });

  it('pauses the bot once wordless speech lasts minSpeechSecs', async () => {
    const { at, clock, decisions } = await botSpeaking({ minSpeechSecs: 0.5 });
    await at(1200, f.vadStart());
    await clock.advance(1499 - 1200);
    expect(decisions()).toEqual([]);
    await clock.advance(1); // 1000 + 500
    expect(decisions()).toEqual(['output_pause']);
  });

  it('resumes the bot falseInterruptionTimeoutSecs after the caller went silent without words', async () => {
    const { at, clock, decisions } = await botSpeaking({ falseInterruptionTimeoutSecs: 2 });
    await at(1200, f.vadStart());
    await at(2200, f.vadStop());
    await clock.advance(4199 - 2200);
    expect(decisions()).toEqual(['output_pause']);
    await clock.advance(1);
    expect(decisions()).toEqual(['output_pause', 'output_resume']); // no interruption, no turn
  });

  it('makes a paused interruption real when words come, and the caller’s turn goes on', async () => {
    const { at, clock, decisions, h } = await botSpeaking();
    await at(1200, f.vadStart());
    await at(2200, f.vadStop());
    await at(2400, f.final('wait, I have a question'));
    expect(decisions()).toEqual(['output_pause', 'user_started_speaking', 'interruption', 'transcription']);
    await clock.advance(2700 - 2400); // speech ended at 2000: + 0.5 s + 0.2 s
    expect(decisions().at(-1)).toBe('user_stopped_speaking');
    expect(h.ofType('output_resume')).toEqual([]); // the interruption clears the pause instead
  });

  it('interrupts on words at once, even before minSpeechSecs', async () => {
    const { at, decisions } = await botSpeaking();
    await at(1200, f.vadStart());
    await at(1300, f.interim('stop'));
    expect(decisions()).toEqual(['user_started_speaking', 'interruption', 'interim_transcription']);
  });

  it('needs minWords words, and then never pauses on wordless speech', async () => {
    const { at, clock, decisions } = await botSpeaking({ minWords: 3 });
    await at(1200, f.vadStart());
    await clock.advance(2000);
    expect(decisions()).toEqual([]);
    await at(3300, f.interim('no wait'));
    expect(decisions()).toEqual([]);
    await at(3500, f.interim('no wait stop'));
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'interim_transcription',
      'interim_transcription',
    ]);
  });

  it('with falseInterruptionTimeoutSecs 0, wordless speech of minSpeechSecs interrupts', async () => {
    const { at, clock, decisions } = await botSpeaking({ falseInterruptionTimeoutSecs: 0 });
    await at(1200, f.vadStart());
    await clock.advance(300);
    expect(decisions()).toEqual(['user_started_speaking', 'interruption']);
  });

  it('lets nothing through when interruptions are off', async () => {
    const { at, clock, decisions } = await botSpeaking({ enabled: false });
    await at(1200, f.vadStart());
    await at(2000, f.interim('stop talking'));
    await at(2200, f.vadStop(), f.final('stop talking'));
    await clock.advance(5000);
    expect(decisions()).toEqual([]);
  });

  it('starts a turn from words when the bot stopped on its own while the caller spoke', async () => {
    const { at, upAt, decisions } = await botSpeaking();
    await at(1200, f.vadStart());
    await upAt(1300, f.botStopped());
    await at(2000, f.final('what about tuesday'));
    expect(decisions()).toEqual(['user_started_speaking', 'interruption', 'transcription']);
  });

  it('releases a pause when the bot stops just as it was paused', async () => {
    const { at, upAt, decisions } = await botSpeaking();
    await at(1200, f.vadStart());
    await at(1500);
    await upAt(1510, f.botStopped());
    expect(decisions()).toEqual(['output_pause', 'output_resume']);
  });
});

describe('UserTurnProcessor: backchannels while the bot speaks', () => {
  it('neither interrupts nor replies to a short “mhm”', async () => {
    const context = new LLMContext([{ role: 'system', content: 'sys' }]);
    const c = await onVirtualClock(
      new Pipeline([new UserTurnProcessor(), new UserContextAggregator(context)]),
    );
    await c.upAt(0, f.botStarted());
    await c.at(1200, f.vadStart());
    await c.at(1400, f.vadStop()); // 0.2 s of speech: too short to pause the bot
    await c.at(1700, f.final('Mhm.'));
    await c.clock.advance(5000);
    expect(c.decisions()).toEqual([]);
    expect(c.h.ofType('llm_context')).toEqual([]);
    expect(context.messages).toHaveLength(1);
  });

  it('resumes at once when the speech that paused the bot was “okay, yeah”', async () => {
    const { at, decisions } = await botSpeaking();
    await at(1200, f.vadStart());
    await at(1900, f.vadStop());
    await at(2100, f.final('Okay, yeah.'));
    expect(decisions()).toEqual(['output_pause', 'output_resume']);
  });

  it('waits for the caller’s silence before judging “uh-huh”: “uh-huh, but wait” interrupts', async () => {
    const { at, decisions } = await botSpeaking();
    await at(1200, f.vadStart());
    await at(1300, f.final('Uh-huh'));
    expect(decisions()).toEqual([]);
    await at(1400, f.interim('but wait'));
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'transcription',
      'interim_transcription',
    ]);
  });

  it('drops a backchannel even if the bot stopped on its own meanwhile', async () => {
    const { at, upAt, clock, decisions } = await botSpeaking();
    await at(1200, f.vadStart());
    await upAt(1300, f.botStopped());
    await at(1400, f.vadStop(), f.final('right'));
    await clock.advance(5000);
    expect(decisions()).toEqual([]);
  });

  it('treats “mhm” as a turn when the bot is not speaking', async () => {
    const { at, decisions } = await onVirtualClock(new UserTurnProcessor());
    await at(1200, f.vadStart());
    await at(1400, f.vadStop(), f.final('mhm'));
    expect(decisions().slice(0, 3)).toEqual(['user_started_speaking', 'interruption', 'transcription']);
  });
});
