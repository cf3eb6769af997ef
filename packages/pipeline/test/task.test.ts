import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Direction,
  type Frame,
  FrameProcessor,
  frame,
  type HandlerResult,
  PipelineTask,
  VirtualClock,
} from '../src/index.ts';
import type { StopReason } from '../src/processors/frame-processor.ts';

class Pass extends FrameProcessor {}

/** Records how it was stopped and the texts it handled; `llm_text` handlers await `release()`. */
class Worker extends FrameProcessor {
  readonly stops: StopReason[] = [];
  readonly texts: string[] = [];
  private waiting: Array<() => void> = [];
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  protected override onStop(reason: StopReason): HandlerResult {
    this.stops.push(reason);
  }
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    if (f.type !== 'llm_text') {
      this.push(f, d);
      return;
    }
    return new Promise<void>((resolve) => {
      this.waiting.push(() => {
        this.texts.push(f.text);
        this.push(f, d);
        resolve();
      });
    });
  }
}

const tick = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('PipelineTask', () => {
  it('stop() stops after what is queued, tells processors it was a stop, and keeps the reason', async () => {
    const worker = new Worker();
    const task = new PipelineTask([worker, new Pass()]);
    const done = task.run();
    task.queueFrame(frame('llm_text', { text: 'last words' }));
    task.stop('transfer');
    await tick();
    expect(task.finished).toBe(false);
    worker.release();
    expect(await done).toEqual({ how: 'stop', reason: 'transfer' });
    expect(worker.texts).toEqual(['last words']);
    expect(worker.stops).toEqual(['stop']);
  });

  it('a cancel does not wait for a processor whose start hangs: it aborts the start, then releases it', async () => {
    const log: string[] = [];
    let finishStart!: () => void;
    class HangingStart extends FrameProcessor {
      protected override onStart(): HandlerResult {
        this.signal.addEventListener('abort', () => log.push('start aborted'));
        return new Promise<void>((r) => {
          finishStart = r;
        });
      }
      protected override onStop(reason: StopReason): HandlerResult {
        log.push(`stopped: ${reason}`);
      }
    }
    const task = new PipelineTask([new HangingStart(), new Pass()], { cancelTimeoutMs: 60_000 });
    const done = task.run();
    await tick();
    task.cancel('caller_hung_up');
    expect(await done).toEqual({ how: 'cancel', reason: 'caller_hung_up' });
    expect(log).toEqual(['start aborted']);
    finishStart(); // what the start set up is released only once it settled
    await tick();
    expect(log).toEqual(['start aborted', 'stopped: cancel']);
  });

  it.each(['cancel', 'end', 'stop'] as const)(
    'starts nothing when %s() came before run() (a caller who hung up while the call loaded)',
    async (how) => {
      const starts: string[] = [];
      class Engine extends FrameProcessor {
        protected override onStart(): HandlerResult {
          starts.push(this.name); // would spawn a process or open a file
        }
      }
      const task = new PipelineTask([new Engine('a'), new Engine('b')]);
      task[how]('caller_hung_up');
      expect(task.finished).toBe(true);
      expect(await task.run()).toEqual({ how, reason: 'caller_hung_up' });
      await tick();
      expect(starts).toEqual([]);
    },
  );

  it('ends on idle timeout measured on the task clock, postponed by activity', async () => {
    const clock = new VirtualClock();
    const task = new PipelineTask([new Pass()], { clock, idleTimeoutMs: 10_000 });
    const done = task.run();
    await clock.advance(8000);
    task.queueFrame(frame('user_started_speaking'));
    await clock.advance(8000);
    expect(task.finished).toBe(false);
    await clock.advance(2000);
    expect(await done).toEqual({ how: 'end', reason: 'idle_timeout' });
    expect(clock.pending).toBe(0);
  });

  it('leaves no system timer behind after a hang-up (no CPU after the call)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const worker = new Worker();
    const task = new PipelineTask([worker], { heartbeatMs: 1000, idleTimeoutMs: 30_000 });
    const done = task.run();
    task.queueFrame(frame('llm_text', { text: 'in flight' }));
    vi.advanceTimersByTime(2500);
    expect(vi.getTimerCount()).toBe(2); // heartbeat and idle
    task.end('bye');
    expect(vi.getTimerCount()).toBe(1); // only the end deadline
    task.cancel('caller_hung_up');
    expect(await done).toEqual({ how: 'cancel', reason: 'caller_hung_up' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancels when a graceful end takes longer than endTimeoutMs', async () => {
    const worker = new Worker();
    const task = new PipelineTask([worker], { endTimeoutMs: 20 });
    const done = task.run();
    task.queueFrame(frame('llm_text', { text: 'never released' }));
    task.end('bye');
    expect(await done).toEqual({ how: 'cancel', reason: 'bye (end timed out)' });
    expect(worker.stops).toEqual(['cancel']);
  });
});
