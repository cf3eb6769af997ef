import { describe, expect, it } from 'vitest';
import {
  type Direction,
  type Frame,
  FrameProcessor,
  type FrameType,
  frame,
  type HandlerResult,
  isAbortError,
  Pipeline,
  PipelineTask,
  ProcessorHarness,
} from '../src/index.ts';

/** Handles `llm_text` slowly (awaits a gate per frame); records what it handled. */
class SlowProcessor extends FrameProcessor {
  readonly handled: string[] = [];
  readonly aborted: string[] = [];
  private gates: Array<() => void> = [];

  release(): void {
    for (const g of this.gates.splice(0)) g();
  }

  protected override processFrame(f: Frame, d: Direction, signal: AbortSignal): HandlerResult {
    if (f.type !== 'llm_text') {
      if (f.type === 'transcription' || f.type === 'user_started_speaking') this.handled.push(f.type);
      this.push(f, d);
      return;
    }
    return new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => {
        this.aborted.push(f.text);
        const e = new Error('aborted');
        e.name = 'AbortError';
        reject(e);
      });
      this.gates.push(() => {
        if (signal.aborted) return;
        this.handled.push(f.text);
        this.push(f, d);
        resolve();
      });
    });
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FrameProcessor', () => {
  it('processes nothing before the start frame', async () => {
    const h = new ProcessorHarness(new SlowProcessor());
    h.send(frame('transcription', { text: 'early' }));
    h.send(frame('user_started_speaking'));
    await h.start();
    expect(h.processor.handled).toEqual([]);
    expect(h.types()).toEqual(['start']);
  });

  it('passes a cancel that comes before the start on and ignores a later start', async () => {
    let started = false;
    class Engine extends FrameProcessor {
      protected override onStart(): HandlerResult {
        started = true;
      }
    }
    const h = new ProcessorHarness(new Engine());
    h.send(frame('cancel', { reason: 'hung up' }));
    h.send(frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {} }));
    await tick();
    expect(started).toBe(false);
    expect(h.types()).toEqual(['cancel']);
  });

  it('waits for an async onStart before handling frames that arrived meanwhile, in order', async () => {
    let release!: () => void;
    class SlowStart extends FrameProcessor {
      protected override onStart(): HandlerResult {
        return new Promise<void>((r) => {
          release = r;
        });
      }
    }
    const h = new ProcessorHarness(new SlowStart());
    h.send(frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {} }));
    h.send(frame('transcription', { text: 'a' }));
    h.send(frame('user_started_speaking'));
    await tick();
    expect(h.downstream).toEqual([]);
    release();
    await h.waitFor('user_started_speaking');
    expect(h.types()).toEqual(['start', 'transcription', 'user_started_speaking']);
  });

  it('lets system frames overtake queued data frames', async () => {
    const p = new SlowProcessor();
    const h = new ProcessorHarness(p);
    await h.start();
    h.send(frame('llm_text', { text: 'one' }));
    h.send(frame('transcription', { text: 'queued' }));
    h.send(frame('user_started_speaking'));
    await tick();
    // The system frame went through while 'one' is still in flight and 'queued' waits.
    expect(h.types()).toEqual(['start', 'user_started_speaking']);
    p.release();
    await h.waitFor('transcription');
    expect(h.types()).toEqual(['start', 'user_started_speaking', 'llm_text', 'transcription']);
  });

  it('keeps data frames in order through async handlers', async () => {
    const p = new SlowProcessor();
    const h = new ProcessorHarness(p);
    await h.start();
    for (const t of ['a', 'b', 'c']) h.send(frame('llm_text', { text: t }));
    for (let i = 0; i < 3; i++) {
      await tick();
      p.release();
    }
    await h.waitFor('llm_text', { count: 3 });
    expect(h.ofType('llm_text').map((f) => f.text)).toEqual(['a', 'b', 'c']);
  });

  it('on interruption aborts the handler in flight and drops queued interruptible frames', async () => {
    const p = new SlowProcessor();
    const h = new ProcessorHarness(p);
    await h.start();
    h.send(frame('llm_text', { text: 'in-flight' }));
    h.send(frame('llm_text', { text: 'queued' }));
    h.send(frame('function_call_result', { toolCallId: 't1', name: 'f', result: 'ok' }));
    h.send(frame('llm_text', { text: 'kept', uninterruptible: true }));
    await tick();
    h.send(frame('interruption'));
    await h.waitFor('function_call_result');
    await tick();
    p.release();
    await h.waitFor('llm_text');
    expect(p.aborted).toEqual(['in-flight']);
    expect(h.types()).toEqual(['start', 'interruption', 'function_call_result', 'llm_text']);
    expect(h.ofType('llm_text').map((f) => f.text)).toEqual(['kept']);
  });

  it('forwards the frame types it declares without calling processFrame, lifecycle frames excepted', async () => {
    const seen: string[] = [];
    let reason: unknown;
    class Declares extends FrameProcessor {
      protected override get forwardedFrameTypes(): readonly FrameType[] {
        return ['input_audio', 'transcription', 'interruption'];
      }
      protected override processFrame(f: Frame, d: Direction, signal: AbortSignal): HandlerResult {
        seen.push(f.type);
        signal.addEventListener('abort', () => {
          reason = signal.reason;
        });
        this.push(f, d);
      }
    }
    const h = new ProcessorHarness(new Declares());
    await h.start();
    const audio = { audio: new Int16Array(160), sampleRateHz: 8000, channels: 1 };
    h.send(frame('input_audio', audio));
    h.send(frame('input_audio', audio), 'upstream');
    h.send(frame('transcription', { text: 'hi' }));
    h.send(frame('llm_text', { text: 'handled' }));
    h.send(frame('interruption'));
    expect(h.types('downstream', [])).toEqual([
      'start',
      'input_audio',
      'transcription',
      'llm_text',
      'interruption',
    ]);
    expect(h.types('upstream', [])).toEqual(['input_audio']);
    // Only the undeclared frame and the interruption (a lifecycle frame) reached the handler;
    // the interruption aborted the earlier handler's signal with an AbortError.
    expect(seen).toEqual(['llm_text', 'interruption']);
    expect(isAbortError(reason)).toBe(true);
  });

  it('keeps a declared data frame behind the handler in flight', async () => {
    class SlowForwarding extends SlowProcessor {
      protected override get forwardedFrameTypes(): readonly FrameType[] {
        return ['transcription'];
      }
    }
    const p = new SlowForwarding();
    const h = new ProcessorHarness(p);
    await h.start();
    h.send(frame('llm_text', { text: 'one' }));
    h.send(frame('transcription', { text: 'after one' }));
    await tick();
    expect(h.types()).toEqual(['start']);
    p.release();
    await h.waitFor('transcription');
    expect(h.types()).toEqual(['start', 'llm_text', 'transcription']);
    expect(p.handled).toEqual(['one']); // SlowProcessor records transcriptions it handles: none
  });

  it('still delivers an end frame queued before an interruption', async () => {
    const p = new SlowProcessor();
    const h = new ProcessorHarness(p);
    await h.start();
    h.send(frame('llm_text', { text: 'x' }));
    h.send(frame('end', { reason: 'done' }));
    await tick();
    h.send(frame('interruption'));
    await h.waitFor('end');
    expect(h.types()).toEqual(['start', 'interruption', 'end']);
  });

  it('turns a throwing handler into an error frame upstream and keeps going', async () => {
    class Thrower extends FrameProcessor {
      protected override processFrame(f: Frame, d: Direction): HandlerResult {
        if (f.type === 'transcription' && f.text === 'bad') throw new Error('boom');
        this.push(f, d);
      }
    }
    const h = new ProcessorHarness(new Thrower('thrower'));
    await h.start();
    h.send(frame('transcription', { text: 'bad' }));
    h.send(frame('transcription', { text: 'good' }));
    const err = await h.waitFor('error', { side: 'upstream' });
    expect(err).toMatchObject({ message: 'boom', source: 'thrower', fatal: false });
    expect(h.ofType('transcription').map((f) => f.text)).toEqual(['good']);
  });

  it('runs onStop once and forwards cancel at once, dropping the queue', async () => {
    let stops = 0;
    class Stopper extends SlowProcessor {
      protected override onStop(): HandlerResult {
        stops++;
      }
    }
    const p = new Stopper();
    const h = new ProcessorHarness(p);
    await h.start();
    h.send(frame('llm_text', { text: 'slow' }));
    h.send(frame('llm_text', { text: 'dropped' }));
    h.send(frame('cancel', { reason: 'test' }));
    h.send(frame('end', { reason: 'late' }));
    await h.waitFor('cancel');
    expect(stops).toBe(1);
    expect(p.aborted).toEqual(['slow']);
    expect(h.types()).toEqual(['start', 'cancel']);
  });
});

describe('Pipeline and PipelineTask', () => {
  class Upper extends FrameProcessor {
    protected override processFrame(f: Frame, d: Direction): HandlerResult {
      this.push(f.type === 'llm_text' ? frame('llm_text', { text: f.text.toUpperCase() }) : f, d);
    }
  }
  class Exclaim extends FrameProcessor {
    protected override processFrame(f: Frame, d: Direction): HandlerResult {
      this.push(f.type === 'llm_text' ? frame('llm_text', { text: `${f.text}!` }) : f, d);
    }
  }

  it('chains processors, and nested pipelines act as one processor', async () => {
    const h = new ProcessorHarness(new Pipeline([new Upper(), new Pipeline([new Exclaim()])]));
    await h.start();
    h.send(frame('llm_text', { text: 'hi' }));
    expect(h.ofType('llm_text')[0]?.text).toBe('HI!');
  });

  it('runs until the end frame drained, and observers see every push', async () => {
    const seen: string[] = [];
    const task = new PipelineTask([new Upper('upper'), new Exclaim('exclaim')], {
      observers: [
        { onFrame: (e) => e.frame.type === 'llm_text' && seen.push(`${e.source.name}:${e.frame.text}`) },
      ],
    });
    const done = task.run();
    task.queueFrame(frame('llm_text', { text: 'a' }));
    task.end('finished');
    expect(await done).toEqual({ how: 'end', reason: 'finished' });
    expect(seen).toEqual(['upper:A', 'exclaim:A!']);
  });

  it('shows an observer that declares its frame types only those, and the others every frame', async () => {
    const declared: string[] = [];
    const all: string[] = [];
    const task = new PipelineTask([new Upper('upper')], {
      observers: [
        { frameTypes: ['llm_text'], onFrame: (e) => declared.push(e.frame.type) },
        { onFrame: (e) => all.push(e.frame.type) },
      ],
    });
    const done = task.run();
    task.queueFrame(frame('input_audio', { audio: new Int16Array(160), sampleRateHz: 8000, channels: 1 }));
    task.queueFrame(frame('llm_text', { text: 'a' }));
    task.end('finished');
    await done;
    expect(declared).toEqual(['llm_text']);
    expect(all).toEqual(expect.arrayContaining(['start', 'input_audio', 'llm_text', 'end']));
  });

  it('cancels on a fatal error and reports it', async () => {
    class Fatal extends FrameProcessor {
      protected override processFrame(f: Frame, d: Direction): HandlerResult {
        if (f.type === 'transcription') this.pushError(new Error('engine died'), true);
        else this.push(f, d);
      }
    }
    const task = new PipelineTask([new Fatal()]);
    const errors: string[] = [];
    task.errors$.subscribe((e) => errors.push(e.message));
    const done = task.run();
    task.queueFrame(frame('transcription', { text: 'x' }));
    const result = await done;
    expect(result.how).toBe('cancel');
    expect(result.reason).toContain('engine died');
    expect(errors).toEqual(['engine died']);
  });

  it('ends on idle timeout', async () => {
    const task = new PipelineTask([new Upper()], { idleTimeoutMs: 30 });
    expect(await task.run()).toEqual({ how: 'end', reason: 'idle_timeout' });
  });

  it('ends when a processor pushes end_task upstream', async () => {
    class HangUp extends FrameProcessor {
      protected override processFrame(f: Frame, d: Direction): HandlerResult {
        if (f.type === 'dtmf_input') this.push(frame('end_task', { reason: 'caller pressed #' }), 'upstream');
        this.push(f, d);
      }
    }
    const task = new PipelineTask([new HangUp()]);
    const done = task.run();
    task.queueFrame(frame('dtmf_input', { digit: '#' }));
    expect(await done).toEqual({ how: 'end', reason: 'caller pressed #' });
  });
});
