import { describe, expect, it } from 'vitest';
import {
  type Direction,
  type ErrorFrame,
  type Frame,
  FrameProcessor,
  frame,
  type HandlerResult,
  PipelineTask,
  VirtualClock,
} from '../src/index.ts';
import { PipelineStallError } from '../src/processors/task-errors.ts';

class Pass extends FrameProcessor {}

/** Its start never settles until `release()`. */
class StuckStart extends FrameProcessor {
  release: () => void = () => {};
  protected override onStart(): HandlerResult {
    return new Promise<void>((r) => {
      this.release = r;
    });
  }
}

/** Forgets to forward heartbeats. */
class Swallower extends FrameProcessor {
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    if (f.type !== 'heartbeat') this.push(f, d);
  }
}

/** Its handler of the first `llm_text` never settles until `release()`. */
class StuckHandler extends FrameProcessor {
  release: () => void = () => {};
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    if (f.type !== 'llm_text') {
      this.push(f, d);
      return;
    }
    return new Promise<void>((r) => {
      this.release = () => {
        this.push(f, d);
        r();
      };
    });
  }
}

function heartbeatTask(processors: FrameProcessor[], clock: VirtualClock, heartbeats: Frame[] = []) {
  const task = new PipelineTask([...processors, new Pass('sink')], {
    clock,
    heartbeatMs: 1000,
    stallAlarmMs: 5000,
    observers: [
      {
        onFrame: (e) => e.frame.type === 'heartbeat' && e.source.name === 'sink' && heartbeats.push(e.frame),
      },
    ],
  });
  const errors: ErrorFrame[] = [];
  task.errors$.subscribe((e) => errors.push(e));
  return { task, errors };
}

describe('PipelineTask heartbeats', () => {
  it('sends a heartbeat down the pipeline on the clock and raises no alarm while they arrive', async () => {
    const clock = new VirtualClock();
    const heartbeats: Frame[] = [];
    const { task, errors } = heartbeatTask([new Pass()], clock, heartbeats);
    const done = task.run();
    await clock.advance(10_000);
    expect(heartbeats.map((f) => (f.type === 'heartbeat' ? f.sentAtMs : -1))).toEqual([
      1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000,
    ]);
    expect(errors).toEqual([]);
    task.cancel('test');
    await done;
  });

  it('warns once, naming the processor, when a processor that never finishes starting holds them', async () => {
    const clock = new VirtualClock();
    const stuck = new StuckStart('stt');
    const { task, errors } = heartbeatTask([new Pass(), stuck], clock);
    const done = task.run();
    await clock.advance(4000);
    expect(errors).toEqual([]);
    await clock.advance(1000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ fatal: false, source: 'PipelineTask' });
    expect(errors[0]?.message).toMatch(
      /pipeline stalled: .*5000 ms.*stt \(still starting, 4 frames queued\)/,
    );
    const cause = errors[0]?.cause;
    expect(cause).toBeInstanceOf(PipelineStallError);
    expect((cause as PipelineStallError).heldBy?.name).toBe('stt');
    await clock.advance(10_000);
    expect(errors).toHaveLength(1); // once per stall

    // The pipeline flows again; a later stall warns again.
    stuck.release();
    await clock.advance(2000);
    expect(task.finished).toBe(false);
    expect(errors).toHaveLength(1);
    task.cancel('test');
    await done;
  });

  it('warns when a processor drops heartbeats, saying no processor holds one', async () => {
    const clock = new VirtualClock();
    const { task, errors } = heartbeatTask([new Swallower('filter')], clock);
    const done = task.run();
    await clock.advance(6000);
    expect(errors.map((e) => e.message)).toEqual([
      'pipeline stalled: no heartbeat reached the end of the pipeline for 5000 ms; no processor holds one (a processor may have dropped it)',
    ]);
    task.cancel('test');
    await done;
  });

  it('warns when a data handler blocks and heartbeats queue behind it', async () => {
    const clock = new VirtualClock();
    const stuck = new StuckHandler('llm');
    const { task, errors } = heartbeatTask([stuck], clock);
    const done = task.run();
    task.queueFrame(frame('llm_text', { text: 'never done' }));
    await clock.advance(5000);
    expect(errors).toEqual([]); // the first heartbeat stuck behind it left at 1000 ms
    await clock.advance(1000);
    expect(errors[0]?.message).toMatch(/one waits in llm \(a handler in flight/);
    stuck.release();
    task.cancel('test');
    await done;
  });

  it('sends no heartbeat when heartbeatMs is 0 or absent', async () => {
    const clock = new VirtualClock();
    const task = new PipelineTask([new Pass()], { clock, heartbeatMs: 0 });
    const done = task.run();
    expect(clock.pending).toBe(0);
    task.cancel('test');
    await done;
  });

  it('leaves no timer on the clock once cancelled or ended, even while the end drains', async () => {
    for (const close of ['cancel', 'end'] as const) {
      const clock = new VirtualClock();
      const stuck = new StuckHandler('tts');
      const task = new PipelineTask([stuck], { clock, heartbeatMs: 1000, idleTimeoutMs: 30_000 });
      const done = task.run();
      task.queueFrame(frame('llm_text', { text: 'long sentence' }));
      await clock.advance(1500);
      expect(clock.pending).toBe(2); // heartbeat and idle
      if (close === 'cancel') task.cancel('caller_hung_up');
      else task.end('bye');
      expect(clock.pending).toBe(0);
      stuck.release();
      expect((await done).reason).toBe(close === 'cancel' ? 'caller_hung_up' : 'bye');
      expect(clock.pending).toBe(0);
    }
  });
});
