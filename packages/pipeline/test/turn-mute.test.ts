import { describe, expect, it } from 'vitest';
import { frame, type LLMToolCall } from '../src/frames/frames.ts';
import { FirstSpeechMuteStrategy } from '../src/turns/mute-first-speech.ts';
import { FunctionCallMuteStrategy } from '../src/turns/mute-function-call.ts';
import { UserTurnProcessor } from '../src/turns/user-turn-processor.ts';
import { f, onVirtualClock } from './turn-harness.ts';

const call = (id: string): LLMToolCall => ({
  id,
  type: 'function',
  function: { name: 'lookup', arguments: '{}' },
});
const audio = () => frame('input_audio', { audio: new Int16Array(160), sampleRateHz: 8000, channels: 1 });

describe('UserTurnProcessor: mute strategies', () => {
  it('mutes the caller during the greeting (the first speech), and only then', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FirstSpeechMuteStrategy()] });
    const { at, upAt, clock, decisions, h } = await onVirtualClock(p);
    await upAt(0, f.botStarted());
    expect(p.isMuted).toBe(true);
    const a = audio();
    await at(1200, f.vadStart(), a);
    await at(2000, f.interim('hello hello'));
    await at(2200, f.vadStop(), f.final('hello hello'));
    await clock.advance(3000);
    expect(decisions()).toEqual([]); // no pause, no interruption, no turn, no transcription
    expect(h.downstream).toContain(a); // the caller's audio still flows (to the recorder)
    await upAt(6000, f.botStopped());
    expect(p.isMuted).toBe(false);
    await upAt(7000, f.botStarted()); // the next speech can be interrupted
    await at(8200, f.vadStart(), f.interim('stop please'));
    expect(decisions()).toEqual(['user_started_speaking', 'interruption', 'interim_transcription']);
  });

  it('with beforeFirstSpeech, mutes from the start of the call until the greeting ends', async () => {
    const s = new FirstSpeechMuteStrategy({ beforeFirstSpeech: true });
    const { at, upAt, decisions } = await onVirtualClock(new UserTurnProcessor({ muteStrategies: [s] }));
    await at(200, f.vadStart());
    await at(400, f.vadStop(), f.final('hello?'));
    expect(decisions()).toEqual([]);
    await upAt(500, f.botStarted());
    await upAt(3000, f.botStopped());
    await at(3500, f.vadStart());
    expect(decisions()).toEqual(['user_started_speaking', 'interruption']);
  });

  it('mutes the caller while a function call runs, until its result', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { at, upAt, clock, decisions } = await onVirtualClock(p);
    await upAt(0, frame('function_calls_started', { calls: [call('a'), call('b')] }));
    await at(1200, f.vadStart());
    await at(2200, f.vadStop(), f.final('are you there'));
    await clock.advance(3000);
    expect(decisions()).toEqual([]);
    await upAt(6000, frame('function_call_result', { toolCallId: 'a', name: 'lookup', result: '{}' }));
    expect(p.isMuted).toBe(true); // b still runs
    await upAt(6100, frame('function_call_cancel', { toolCallId: 'b', name: 'lookup', reason: 'timeout' }));
    expect(p.isMuted).toBe(false);
    await at(7200, f.vadStart());
    expect(decisions()).toEqual(['user_started_speaking', 'interruption']);
  });

  it('counts function_call_in_progress as a running call too', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { upAt } = await onVirtualClock(p);
    await upAt(0, frame('function_call_in_progress', { call: call('x'), cancelOnInterruption: true }));
    expect(p.isMuted).toBe(true);
    await upAt(10, frame('function_call_result', { toolCallId: 'x', name: 'lookup', result: 'ok' }));
    expect(p.isMuted).toBe(false);
  });

  it('abandons tentative speech when muting begins, resuming a paused bot', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { at, upAt, decisions } = await onVirtualClock(p);
    await upAt(0, f.botStarted());
    await at(1200, f.vadStart());
    await at(1600); // paused at 1500
    await upAt(1700, frame('function_calls_started', { calls: [call('c')] }));
    await at(2000, f.final('what was that'));
    expect(decisions()).toEqual(['output_pause', 'output_resume']);
  });

  it('lets a turn that was already open finish while muted', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { at, upAt, clock, decisions } = await onVirtualClock(p);
    await at(200, f.vadStart());
    await upAt(500, frame('function_calls_started', { calls: [call('d')] }));
    await at(1200, f.vadStop(), f.final('never mind'));
    await clock.advance(1000);
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'transcription',
      'user_stopped_speaking',
    ]);
  });
});
