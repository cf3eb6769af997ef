import { describe, expect, it } from 'vitest';
import { type Frame, FrameProcessor, frame, LLMContext, PipelineTask, VirtualClock } from '../src/index.ts';
import { type TurnTiming, TurnTimingObserver } from '../src/observers/turn-timing.ts';

class Pass extends FrameProcessor {}

/**
 * A task of three pass-through processors (so the observer sees every frame three times) on a
 * virtual clock; `at(ms, ...frames)` feeds frames when the clock reads `ms`.
 */
async function scripted() {
  const clock = new VirtualClock();
  const started: number[] = [];
  const timings: TurnTiming[] = [];
  const observer = new TurnTimingObserver({
    onTurn: (t) => timings.push(t),
    onTurnStart: (n) => started.push(n),
  });
  const task = new PipelineTask([new Pass('a'), new Pass('b'), new Pass('c')], {
    clock,
    observers: [observer],
  });
  const done = task.run();
  const at = async (ms: number, ...frames: Frame[]) => {
    await clock.advance(ms - clock.now());
    task.queueFrames(frames);
  };
  return { task, done, at, timings, started, observer };
}

const context = new LLMContext([{ role: 'system', content: 'be brief' }]);
const audio = (contextId?: string) =>
  frame('output_audio', {
    audio: new Int16Array(160),
    sampleRateHz: 8000,
    channels: 1,
    ...(contextId ? { contextId } : {}),
  });

describe('TurnTimingObserver', () => {
  it('times each step of a reply from the moment the caller stopped speaking', async () => {
    const s = await scripted();
    await s.at(1000, frame('vad_user_started_speaking'), frame('user_started_speaking'));
    await s.at(2000, frame('vad_user_stopped_speaking'));
    await s.at(2200, frame('user_stopped_speaking'));
    await s.at(2500, frame('transcription', { text: 'what time is it' }));
    await s.at(2510, frame('llm_context', { context }));
    await s.at(2900, frame('llm_text', { text: 'It is' }));
    await s.at(2950, frame('llm_text', { text: ' noon.' }));
    await s.at(3000, frame('tts_speak', { text: 'It is noon.' }));
    await s.at(3010, frame('tts_started', { contextId: 'tts-1', text: 'It is noon.' }));
    await s.at(3200, audio('tts-1'), audio('tts-1'));
    await s.at(3210, audio(), audio());
    await s.at(4000, frame('playback_mark', { name: 'tts-1' }));
    await s.at(4010, frame('spoken_text', { text: 'It is noon.', partial: false }));
    expect(s.started).toEqual([1]);
    expect(s.timings).toEqual([
      {
        turn: 1,
        atMs: 2200,
        outcome: 'played',
        vadStoppedMs: -200,
        sttFinalMs: 300,
        llmRequestMs: 310,
        llmFirstTokenMs: 700,
        firstSentenceMs: 800,
        ttsFirstAudioMs: 1000,
        firstAudioSentMs: 1010,
        firstSentencePlayedMs: 1800,
      },
    ]);
    s.task.cancel('test');
    await s.done;
  });

  it('counts a turn end pushed both ways once, and a transcript that beat it as a negative offset', async () => {
    const s = await scripted();
    await s.at(1000, frame('user_started_speaking'));
    await s.at(1800, frame('transcription', { text: 'hello' }));
    await s.at(2000, frame('user_stopped_speaking'), frame('user_stopped_speaking'));
    await s.at(2100, frame('llm_context', { context }));
    await s.at(2400, frame('tts_speak', { text: 'Hi!' }));
    await s.at(2410, frame('tts_started', { contextId: 'tts-1', text: 'Hi!' }));
    await s.at(2600, audio('tts-1'));
    await s.at(2610, audio());
    await s.at(3000, frame('spoken_text', { text: 'Hi!', partial: false }));
    expect(s.started).toEqual([1]);
    expect(s.timings).toEqual([
      {
        turn: 1,
        atMs: 2000,
        outcome: 'played',
        sttFinalMs: -200,
        llmRequestMs: 100,
        firstSentenceMs: 400,
        ttsFirstAudioMs: 600,
        firstAudioSentMs: 610,
        firstSentencePlayedMs: 1000,
      },
    ]);
    s.task.cancel('test');
    await s.done;
  });

  it('closes a turn as interrupted when the caller barges in, and as ended when the call ends', async () => {
    const s = await scripted();
    await s.at(1000, frame('user_started_speaking'));
    await s.at(2000, frame('user_stopped_speaking'));
    await s.at(2300, frame('transcription', { text: 'book a table' }));
    await s.at(2310, frame('llm_context', { context }));
    await s.at(2600, frame('llm_text', { text: 'Sure' }));
    await s.at(2700, frame('user_started_speaking'), frame('interruption'));
    await s.at(3500, frame('user_stopped_speaking'));
    await s.at(3800, frame('transcription', { text: 'for two' }));
    s.task.end('caller_hung_up');
    await s.done;
    expect(s.timings).toEqual([
      {
        turn: 1,
        atMs: 2000,
        outcome: 'interrupted',
        sttFinalMs: 300,
        llmRequestMs: 310,
        llmFirstTokenMs: 600,
      },
      { turn: 2, atMs: 3500, outcome: 'ended', sttFinalMs: 300 },
    ]);
    expect(s.observer.turns).toEqual(s.timings);
  });

  it('does not count audio of another utterance (e.g. a greeting still playing) as the reply', async () => {
    const s = await scripted();
    await s.at(100, frame('tts_started', { contextId: 'greeting', text: 'Hello!' }), audio('greeting'));
    await s.at(1000, frame('user_started_speaking'));
    await s.at(1500, frame('user_stopped_speaking'));
    await s.at(1600, frame('transcription', { text: 'hi' }), frame('llm_context', { context }));
    await s.at(1700, audio('greeting'), audio());
    await s.at(
      1900,
      frame('tts_speak', { text: 'Hi.' }),
      frame('tts_started', { contextId: 'r', text: 'Hi.' }),
    );
    await s.at(2000, audio('r'));
    await s.at(2020, audio());
    await s.at(2500, frame('playback_mark', { name: 'greeting' }), frame('playback_mark', { name: 'r' }));
    expect(s.timings[0]).toMatchObject({
      outcome: 'played',
      ttsFirstAudioMs: 500,
      firstAudioSentMs: 520,
      firstSentencePlayedMs: 1000,
    });
    s.task.cancel('test');
    await s.done;
  });
});
