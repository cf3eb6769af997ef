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
    expect(decisions()).toEqual([]); // no pause, no interruption, no turn, no transcription yet
    expect(h.downstream).toContain(a); // the caller's audio still flows (to the recorder)
    await upAt(6000, f.botStopped());
    expect(p.isMuted).toBe(false);
    h.downstream.length = 0;
    await upAt(7000, f.botStarted()); // the next speech can be interrupted
    await at(8200, f.vadStart(), f.interim('stop please'));
    expect(decisions()).toEqual(['user_started_speaking', 'interruption', 'interim_transcription']);
  });

  it('answers speech over the greeting once the greeting ends, as a turn starting then', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FirstSpeechMuteStrategy()] });
    const { at, upAt, clock, decisions, h } = await onVirtualClock(p);
    await upAt(0, f.botStarted());
    await at(500, f.vadStart());
    await at(2000, f.interim('hi yes I am calling'));
    await at(4000, f.vadStop(), f.final('hi yes I am calling about my order'));
    await clock.advance(1000);
    expect(decisions()).toEqual([]);
    await upAt(6000, f.botStopped());
    // The caller finished long ago with a final transcription: the turn ends at once.
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'interim_transcription',
      'transcription',
      'user_stopped_speaking',
    ]);
    const final = h.downstream.find((x) => x.type === 'transcription');
    expect(final).toMatchObject({ text: 'hi yes I am calling about my order' });
  });

  it('lets speech still going on when the greeting ends run as a turn that started then', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FirstSpeechMuteStrategy()] });
    const { at, upAt, clock, decisions } = await onVirtualClock(p);
    await upAt(0, f.botStarted());
    await at(4000, f.vadStart(), f.interim('so I wanted'));
    await upAt(5000, f.botStopped());
    expect(decisions()).toEqual(['user_started_speaking', 'interruption', 'interim_transcription']);
    await at(6000, f.vadStop(), f.final('so I wanted to ask'));
    await clock.advance(400);
    expect(decisions()).not.toContain('user_stopped_speaking'); // the endpointing delay still runs
    await clock.advance(2000);
    expect(decisions().slice(-2)).toEqual(['transcription', 'user_stopped_speaking']);
  });

  it('drops kept speech that was only a backchannel or wordless noise', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FirstSpeechMuteStrategy()] });
    const { at, upAt, clock, decisions } = await onVirtualClock(p);
    await upAt(0, f.botStarted());
    await at(1000, f.vadStart());
    await at(1600, f.vadStop(), f.final('mhm'));
    await at(2500, f.vadStart()); // a cough: no words
    await at(2900, f.vadStop());
    await upAt(4000, f.botStopped());
    await clock.advance(5000);
    expect(decisions()).toEqual([]);
  });

  it('with beforeFirstSpeech, mutes from the start of the call until the greeting ends', async () => {
    const s = new FirstSpeechMuteStrategy({ beforeFirstSpeech: true });
    const { at, upAt, decisions } = await onVirtualClock(new UserTurnProcessor({ muteStrategies: [s] }));
    await at(200, f.vadStart());
    await at(400, f.vadStop(), f.final('hello?'));
    expect(decisions()).toEqual([]);
    await upAt(500, f.botStarted());
    expect(decisions()).toEqual([]);
    await upAt(3000, f.botStopped()); // the kept "hello?" is answered now
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'transcription',
      'user_stopped_speaking',
    ]);
    await at(3500, f.vadStart());
    expect(decisions().slice(4)).toEqual(['user_started_speaking', 'interruption']);
  });

  it('mutes the caller while a function call runs, and answers what they said after its result', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { at, upAt, clock, decisions } = await onVirtualClock(p);
    await upAt(0, frame('function_calls_started', { calls: [call('a'), call('b')] }));
    await at(1200, f.vadStart());
    await at(2200, f.vadStop(), f.final('are you there'));
    await clock.advance(3000);
    expect(decisions()).toEqual([]);
    await upAt(6000, frame('function_call_result', { toolCallId: 'a', name: 'lookup', result: '{}' }));
    expect(p.isMuted).toBe(true); // b still runs
    expect(decisions()).toEqual([]);
    await upAt(6100, frame('function_call_cancel', { toolCallId: 'b', name: 'lookup', reason: 'timeout' }));
    expect(p.isMuted).toBe(false);
    expect(decisions()).toEqual([
      'user_started_speaking',
      'interruption',
      'transcription',
      'user_stopped_speaking',
    ]);
  });

  it('judges kept speech as tentative when the bot is speaking as muting ends', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { at, upAt, decisions } = await onVirtualClock(p);
    await upAt(0, f.botStarted(), frame('function_calls_started', { calls: [call('e')] }));
    await at(500, f.vadStart());
    await at(1500, f.vadStop(), f.final('mhm'));
    await upAt(2000, frame('function_call_result', { toolCallId: 'e', name: 'lookup', result: '{}' }));
    expect(decisions()).toEqual([]); // a backchannel while the bot speaks: no interruption
    await at(2500, f.vadStart());
    await at(3200, f.vadStop(), f.final('wait what'));
    expect(decisions()).toEqual(['output_pause', 'user_started_speaking', 'interruption', 'transcription']);
  });

  it('counts function_call_in_progress as a running call too', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { upAt } = await onVirtualClock(p);
    await upAt(0, frame('function_call_in_progress', { call: call('x'), cancelOnInterruption: true }));
    expect(p.isMuted).toBe(true);
    await upAt(10, frame('function_call_result', { toolCallId: 'x', name: 'lookup', result: 'ok' }));
    expect(p.isMuted).toBe(false);
  });

  it('keeps tentative speech when muting begins, resuming a paused bot, and answers it after', async () => {
    const p = new UserTurnProcessor({ muteStrategies: [new FunctionCallMuteStrategy()] });
    const { at, upAt, decisions } = await onVirtualClock(p);
    await upAt(0, f.botStarted());
    await at(1200, f.vadStart());
    await at(1600); // paused at 1500
    await upAt(1700, frame('function_calls_started', { calls: [call('c')] }));
    await at(2000, f.vadStop(), f.final('what was that'));
    expect(decisions()).toEqual(['output_pause', 'output_resume']);
    await upAt(2500, f.botStopped());
    await upAt(3000, frame('function_call_result', { toolCallId: 'c', name: 'lookup', result: '{}' }));
    expect(decisions().slice(2)).toEqual([
      'user_started_speaking',
      'interruption',
      'transcription',
      'user_stopped_speaking',
    ]);
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
