import { describe, expect, it } from 'vitest';
import {
  type Direction,
  type ErrorFrame,
  type Frame,
  FrameProcessor,
  frame,
  type HandlerResult,
  PipelineTask,
} from '../src/index.ts';
import type { FrameProcessorOptions } from '../src/processors/frame-processor.ts';

/** Fails on a transcription saying `bad`, after a tick (so the frames after it wait in its queue). */
class Fragile extends FrameProcessor {
  constructor(name: string, options?: FrameProcessorOptions) {
    super(name, options);
  }
  protected override async processFrame(f: Frame, d: Direction): Promise<void> {
    if (f.type === 'transcription' && f.text === 'bad') {
      await new Promise((r) => setImmediate(r));
      throw new Error('engine broke');
    }
    this.push(f, d);
  }
}

/** Counts the transcriptions reaching the end of the pipeline. */
class Sink extends FrameProcessor {
  readonly texts: string[] = [];
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    if (f.type === 'transcription') this.texts.push(f.text);
    this.push(f, d);
  }
}

function run(processors: FrameProcessor[], options: ConstructorParameters<typeof PipelineTask>[1] = {}) {
  const task = new PipelineTask(processors, options);
  const errors: ErrorFrame[] = [];
  task.errors$.subscribe((e) => errors.push(e));
  const done = task.run();
  return { task, errors, done };
}

describe('processor error policy', () => {
  it("'continue' (the default) reports a non-fatal error and keeps the call going", async () => {
    const sink = new Sink();
    const { task, errors, done } = run([new Fragile('stt'), sink]);
    task.queueFrames([frame('transcription', { text: 'bad' }), frame('transcription', { text: 'good' })]);
    task.end('done');
    expect(await done).toEqual({ how: 'end', reason: 'done' });
    expect(errors.map((e) => [e.message, e.fatal, e.source])).toEqual([['engine broke', false, 'stt']]);
    expect(sink.texts).toEqual(['good']);
  });

  it("'end' ends the call gracefully: what was queued before still goes through", async () => {
    const sink = new Sink();
    const { task, errors, done } = run([new Fragile('stt', { onError: 'end' }), sink]);
    task.queueFrames([frame('transcription', { text: 'bad' }), frame('transcription', { text: 'queued' })]);
    expect(await done).toEqual({ how: 'end', reason: 'error: engine broke' });
    expect(errors.map((e) => e.fatal)).toEqual([false]);
    expect(sink.texts).toEqual(['queued']);
  });

  it("'cancel' stops the call at once with the error marked fatal", async () => {
    const { task, errors, done } = run([new Fragile('stt', { onError: 'cancel' }), new Sink()]);
    task.queueFrame(frame('transcription', { text: 'bad' }));
    expect(await done).toEqual({ how: 'cancel', reason: 'error: engine broke' });
    expect(errors.map((e) => [e.message, e.fatal])).toEqual([['engine broke', true]]);
  });

  it('takes policies by processor name from the task options', async () => {
    const stt = new Fragile('stt');
    const { task, done } = run([stt, new Sink()], { errorPolicies: { stt: 'cancel' } });
    expect(stt.errorPolicy).toBe('cancel');
    task.queueFrame(frame('transcription', { text: 'bad' }));
    expect((await done).how).toBe('cancel');
  });

  it('rejects a policy for a processor the pipeline does not have', () => {
    expect(() => new PipelineTask([new Sink('sink')], { errorPolicies: { stt: 'end' } })).toThrow(
      /errorPolicies names "stt", which is not in the pipeline \(sink\)/,
    );
  });

  it('a fatal error cancels whatever the policy', async () => {
    class Fatal extends FrameProcessor {
      protected override processFrame(f: Frame, d: Direction): HandlerResult {
        if (f.type === 'transcription') this.pushError(new Error('socket gone'), true);
        else this.push(f, d);
      }
    }
    const { task, done } = run([new Fatal('tts')]);
    task.queueFrame(frame('transcription', { text: 'x' }));
    expect(await done).toEqual({ how: 'cancel', reason: 'error: socket gone' });
  });
});
