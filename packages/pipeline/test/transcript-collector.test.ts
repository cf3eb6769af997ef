import { describe, expect, it } from 'vitest';
import {
  type Frame,
  FrameProcessor,
  frame,
  PipelineTask,
  TranscriptCollector,
  type TranscriptEntry,
  VirtualClock,
} from '../src/index.ts';

class Pass extends FrameProcessor {}

describe('TranscriptCollector', () => {
  it("times entries on the start frame's clock, from the start frame", async () => {
    const clock = new VirtualClock();
    await clock.advance(5000); // the clock reads 5 s before the call starts
    const seen: TranscriptEntry[] = [];
    const collector = new TranscriptCollector((e) => seen.push(e));
    const task = new PipelineTask([new Pass('a'), new Pass('b')], { clock, observers: [collector] });
    const done = task.run();
    const at = async (ms: number, ...frames: Frame[]) => {
      await clock.advance(5000 + ms - clock.now());
      task.queueFrames(frames);
    };
    await at(1200, frame('transcription', { text: 'hello' }));
    await at(1500, frame('spoken_text', { text: 'Hi there.', partial: false }));
    await at(1900, frame('spoken_text', { text: 'How can I help?', partial: false }));
    await at(2300, frame('bot_stopped_speaking'));
    await at(3000, frame('spoken_text', { text: 'Let me', partial: true }));
    await at(3100, frame('interruption'));
    await clock.advance(100);
    task.cancel('test');
    await done;
    const expected: TranscriptEntry[] = [
      { role: 'user', text: 'hello', atMs: 1200 },
      { role: 'assistant', text: 'Hi there. How can I help?', atMs: 1500 },
      { role: 'assistant', text: 'Let me', atMs: 3000, interrupted: true },
    ];
    expect(collector.entries).toEqual(expected);
    expect(seen).toEqual(expected);
  });

  it("times the bot's line when its audio started, never before the line above it", async () => {
    const clock = new VirtualClock();
    const collector = new TranscriptCollector();
    const task = new PipelineTask([new Pass('a')], { clock, observers: [collector] });
    const done = task.run();
    const at = async (ms: number, ...frames: Frame[]) => {
      await clock.advance(ms - clock.now());
      task.queueFrames(frames);
    };
    await at(1000, frame('bot_started_speaking'));
    await at(2500, frame('spoken_text', { text: 'Hello, this is Parley.', partial: false }));
    await at(2600, frame('bot_stopped_speaking'));
    await at(4000, frame('bot_started_speaking'));
    await at(4200, frame('transcription', { text: 'hi' })); // the caller talks over the reply
    await at(5000, frame('spoken_text', { text: 'How can I help?', partial: false }));
    await at(5100, frame('bot_stopped_speaking'));
    await clock.advance(100);
    task.cancel('test');
    await done;
    expect(collector.entries).toEqual([
      { role: 'assistant', text: 'Hello, this is Parley.', atMs: 1000 },
      { role: 'user', text: 'hi', atMs: 4200 },
      { role: 'assistant', text: 'How can I help?', atMs: 4200 },
    ]);
  });
});
