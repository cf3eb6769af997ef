import { describe, expect, it } from 'vitest';
import { frame, type LLMToolCall } from '../src/frames/frames.ts';
import { MaxDurationProcessor } from '../src/turns/max-duration-processor.ts';
import { UserIdleProcessor } from '../src/turns/user-idle-processor.ts';
import { f, onVirtualClock } from './turn-harness.ts';

describe('UserIdleProcessor', () => {
  it('prompts after 15 s of silence, again after the prompt, then hangs up after 2 prompts', async () => {
    const { h, upAt, clock } = await onVirtualClock(new UserIdleProcessor());
    const spoken = () => h.ofType('tts_speak').map((t) => t.text);
    await clock.advance(14_999);
    expect(spoken()).toEqual([]);
    await clock.advance(1);
    expect(spoken()).toEqual(['Are you still there?']);
    await upAt(15_500, f.botStarted()); // the prompt plays for 1.5 s
    await upAt(17_000, f.botStopped());
    await clock.advance(14_999);
    expect(spoken()).toHaveLength(1);
    await clock.advance(1); // 15 s after the first prompt was said
    expect(spoken()).toEqual(['Are you still there?', 'Are you still there?']);
    await upAt(32_500, f.botStarted());
    await upAt(34_000, f.botStopped());
    await clock.advance(14_999);
    expect(h.ofType('end_task', 'upstream')).toEqual([]);
    await clock.advance(1);
    expect(h.ofType('end_task', 'upstream')).toMatchObject([{ reason: 'user_idle' }]);
    expect(spoken()).toHaveLength(2);
    await clock.advance(60_000);
    expect(h.ofType('end_task', 'upstream')).toHaveLength(1);
  });

  it('does not count while someone speaks, and the caller speaking resets the prompts', async () => {
    const p = new UserIdleProcessor({
      timeoutSecs: 10,
      maxPrompts: 1,
      prompt: 'Hello?',
      goodbye: 'Goodbye.',
    });
    const { h, at, upAt, clock } = await onVirtualClock(p);
    await upAt(0, f.botStarted()); // a long greeting
    await upAt(30_000, f.botStopped());
    await clock.advance(10_000);
    expect(h.ofType('tts_speak').map((t) => t.text)).toEqual(['Hello?']);
    await at(41_000, frame('user_started_speaking'));
    expect(p.promptsSaid).toBe(0);
    await clock.advance(30_000); // the caller talks for a long time
    await at(71_000, frame('user_stopped_speaking'));
    await upAt(72_000, f.botStarted());
    await upAt(75_000, f.botStopped());
    await clock.advance(10_000);
    expect(h.ofType('tts_speak').map((t) => t.text)).toEqual(['Hello?', 'Hello?']);
    await clock.advance(10_000);
    expect(h.ofType('tts_speak').map((t) => t.text)).toEqual(['Hello?', 'Hello?', 'Goodbye.']);
    expect(h.ofType('end_task', 'upstream')).toMatchObject([{ reason: 'user_idle' }]);
  });

  it('does not prompt while a function call runs', async () => {
    const call: LLMToolCall = { id: 'c1', type: 'function', function: { name: 'slow', arguments: '{}' } };
    const { h, upAt, clock } = await onVirtualClock(new UserIdleProcessor({ timeoutSecs: 5 }));
    await upAt(1000, frame('function_calls_started', { calls: [call] }));
    await clock.advance(20_000);
    expect(h.ofType('tts_speak')).toEqual([]);
    await upAt(21_000, frame('function_call_result', { toolCallId: 'c1', name: 'slow', result: 'ok' }));
    await clock.advance(5000);
    expect(h.ofType('tts_speak')).toHaveLength(1);
  });

  it('stops its clock when the pipeline ends', async () => {
    const { h, clock } = await onVirtualClock(new UserIdleProcessor({ timeoutSecs: 1 }));
    h.send(frame('end', { reason: 'done' }));
    await h.waitFor('end');
    expect(clock.pending).toBe(0);
  });
});

describe('MaxDurationProcessor', () => {
  it('ends the call with reason max_duration after maxDurationSecs, saying goodbye first', async () => {
    const p = new MaxDurationProcessor({ maxDurationSecs: 600, goodbye: 'Sorry, we are out of time.' });
    const { h, clock } = await onVirtualClock(p);
    await clock.advance(599_999);
    expect(h.ofType('end_task', 'upstream')).toEqual([]);
    await clock.advance(1);
    expect(h.ofType('tts_speak').map((t) => t.text)).toEqual(['Sorry, we are out of time.']);
    expect(h.ofType('end_task', 'upstream')).toMatchObject([{ reason: 'max_duration' }]);
  });

  it('rejects a duration that is not positive', () => {
    expect(() => new MaxDurationProcessor({ maxDurationSecs: 0 })).toThrow(RangeError);
  });
});
