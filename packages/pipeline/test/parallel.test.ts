import { describe, expect, it } from 'vitest';
import {
  type Direction,
  type Frame,
  FrameProcessor,
  frame,
  type HandlerResult,
  PipelineTask,
  ProcessorHarness,
} from '../src/index.ts';
import { ParallelPipeline } from '../src/processors/parallel-pipeline.ts';

/** Replaces each `llm_text` with a new one tagged `<tag>:`; passes everything else. */
class Tagger extends FrameProcessor {
  readonly seen: string[] = [];
  constructor(private readonly tag: string) {
    super(`tagger-${tag}`);
  }
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    this.seen.push(`${d}:${f.type}`);
    this.push(f.type === 'llm_text' ? frame('llm_text', { text: `${this.tag}:${f.text}` }) : f, d);
  }
}

/** Passes frames on, but awaits `release()` before each `llm_text`. */
class Gate extends FrameProcessor {
  private waiting: Array<() => void> = [];
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    if (f.type !== 'llm_text') {
      this.push(f, d);
      return;
    }
    return new Promise<void>((resolve) => {
      this.waiting.push(() => {
        this.push(f, d);
        resolve();
      });
    });
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ParallelPipeline', () => {
  it('gives every frame to every branch, both ways, and merges their outputs without duplicates', async () => {
    const a = new Tagger('a');
    const b = new Tagger('b');
    const h = new ProcessorHarness(new ParallelPipeline([[a], [b]]));
    await h.start();
    h.send(frame('llm_text', { text: 'x' }));
    h.send(frame('transcription', { text: 'hello' }));
    h.send(frame('error', { message: 'late', fatal: false }), 'upstream');

    expect(a.seen).toEqual(['downstream:llm_text', 'downstream:transcription', 'upstream:error']);
    expect(b.seen).toEqual(a.seen);
    // Frames each branch made leave as they are; the transcription both passed on leaves once.
    expect(h.ofType('llm_text').map((f) => f.text)).toEqual(['a:x', 'b:x']);
    expect(h.types()).toEqual(['start', 'llm_text', 'llm_text', 'transcription']);
    expect(h.ofType('error', 'upstream').map((f) => f.message)).toEqual(['late']);
  });

  it('lets the start out once, after every branch started, followed by what a faster branch pushed meanwhile', async () => {
    let release!: () => void;
    class SlowStart extends FrameProcessor {
      protected override onStart(): HandlerResult {
        return new Promise<void>((r) => {
          release = r;
        });
      }
      protected override processFrame(f: Frame, d: Direction): HandlerResult {
        if (f.type !== 'transcription') this.push(f, d); // swallows transcriptions
      }
    }
    const h = new ProcessorHarness(new ParallelPipeline([[new Tagger('fast')], [new SlowStart()]]));
    h.send(frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {} }));
    h.send(frame('transcription', { text: 'early' }));
    await tick();
    expect(h.downstream).toEqual([]);
    release();
    await h.waitFor('transcription');
    expect(h.types()).toEqual(['start', 'transcription']);
  });

  it('lets the end out once, after every branch drained', async () => {
    const gate = new Gate();
    const h = new ProcessorHarness(new ParallelPipeline([[new Tagger('a')], [gate]]));
    await h.start();
    h.send(frame('llm_text', { text: 'slow' }));
    h.send(frame('end', { reason: 'done' }));
    await tick();
    // Branch a passed the end already; the gated branch still holds its text.
    expect(h.types()).toEqual(['start', 'llm_text']);
    gate.release();
    await h.waitFor('end');
    expect(h.types()).toEqual(['start', 'llm_text', 'llm_text', 'end']);
    expect(h.ofType('llm_text').map((f) => f.text)).toEqual(['a:slow', 'slow']);
  });

  it('lets a cancel out once, and counts a branch that ended already as done', async () => {
    const gate = new Gate();
    const h = new ProcessorHarness(new ParallelPipeline([[new Tagger('a')], [gate]]));
    await h.start();
    h.send(frame('llm_text', { text: 'stuck' }));
    h.send(frame('end', { reason: 'done' }));
    await tick();
    h.send(frame('cancel', { reason: 'hang-up' }));
    await h.waitFor('cancel');
    expect(h.types()).toEqual(['start', 'llm_text', 'cancel']);
  });

  it('runs in a task: observers see the branch processors, and the task ends when every branch drained', async () => {
    const seen: string[] = [];
    const gate = new Gate('gate');
    const task = new PipelineTask(
      [new Tagger('in'), new ParallelPipeline([[new Tagger('a')], [gate]]), new Tagger('out')],
      {
        observers: [
          { onFrame: (e) => e.frame.type === 'llm_text' && seen.push(`${e.source.name}:${e.frame.text}`) },
        ],
      },
    );
    const done = task.run();
    task.queueFrame(frame('llm_text', { text: 'x' }));
    task.end('finished');
    await tick();
    expect(task.finished).toBe(false);
    gate.release();
    expect(await done).toEqual({ how: 'end', reason: 'finished' });
    expect(seen).toEqual([
      'tagger-in:in:x',
      'tagger-a:a:in:x',
      'tagger-out:out:a:in:x',
      'gate:in:x',
      'tagger-out:out:in:x',
    ]);
  });
});
