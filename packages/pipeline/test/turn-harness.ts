import { VirtualClock } from '../src/clock/virtual-clock.ts';
import { type Frame, type FrameType, frame } from '../src/frames/frames.ts';
import type { Direction, FrameProcessor } from '../src/processors/frame-processor.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';

/** A processor under test on a virtual clock, with helpers to play a timed script. */
export interface ClockedHarness<P extends FrameProcessor> {
  readonly h: ProcessorHarness<P>;
  readonly clock: VirtualClock;
  /** Advance the clock to `ms` (from the start), then deliver `frames` downstream. */
  at(ms: number, ...frames: Frame[]): Promise<void>;
  /** Advance the clock to `ms`, then deliver `frames` upstream (as from the output transport). */
  upAt(ms: number, ...frames: Frame[]): Promise<void>;
  /** Frame types pushed downstream so far, without audio and without `start`. */
  decisions(): FrameType[];
}

/** Starts `processor` with a start frame carrying a fresh {@link VirtualClock} (at 0 ms). */
export async function onVirtualClock<P extends FrameProcessor>(processor: P): Promise<ClockedHarness<P>> {
  const clock = new VirtualClock();
  const h = new ProcessorHarness(processor);
  h.send(
    frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {}, clock }),
  );
  await h.waitFor('start');
  const deliver = async (ms: number, direction: Direction, frames: Frame[]) => {
    if (ms < clock.now()) throw new Error(`the script goes back in time: ${ms} < ${clock.now()}`);
    await clock.advance(ms - clock.now());
    for (const f of frames) h.send(f, direction);
  };
  return {
    h,
    clock,
    at: (ms, ...frames) => deliver(ms, 'downstream', frames),
    upAt: (ms, ...frames) => deliver(ms, 'upstream', frames),
    decisions: () => h.types().filter((t) => t !== 'start'),
  };
}

/** Shorthands for the frames a turn script uses. */
export const f = {
  vadStart: () => frame('vad_user_started_speaking'),
  vadStop: () => frame('vad_user_stopped_speaking'),
  final: (text: string, endOfUtterance?: boolean) =>
    frame('transcription', endOfUtterance === undefined ? { text } : { text, endOfUtterance }),
  interim: (text: string) => frame('interim_transcription', { text }),
  botStarted: () => frame('bot_started_speaking'),
  botStopped: () => frame('bot_stopped_speaking'),
};
