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
});
