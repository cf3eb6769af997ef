import { type Observable, Subject } from 'rxjs';
import { type Clock, systemClock, type TimerHandle } from '../clock/clock.ts';
import { type AudioSettings, type ErrorFrame, type Frame, type FrameType, frame } from '../frames/frames.ts';
import type { Direction, ErrorPolicy, FrameProcessor } from './frame-processor.ts';
import { Pipeline } from './pipeline.ts';
import { PipelineStallError } from './task-errors.ts';

/** One frame pushed by one processor, as seen by an observer. */
export interface FrameEvent {
  readonly frame: Frame;
  readonly direction: Direction;
  /** The processor that pushed it. */
  readonly source: FrameProcessor;
}

/**
 * Watches every frame pushed inside a task (recorders, tracers, metrics). Must not throw or block.
 * A frame is seen once per processor that pushes it: dedupe by frame id where that matters.
 */
export interface TaskObserver {
  /**
   * The frame types this observer handles; absent: every frame. Declaring them spares the
   * per-push dispatch of the others (audio frames, pushed by every processor, are most of a
   * call's traffic).
   */
  readonly frameTypes?: readonly FrameType[];
  onFrame(event: FrameEvent): void;
  /** Called once when the task finishes. */
  onEnd?(result: TaskResult): void;
}

/** How a task finished. */
export interface TaskResult {
  /** `end`: drained gracefully; `stop`: stopped after what was queued, without playing out audio; `cancel`: stopped at once. */
  readonly how: 'end' | 'stop' | 'cancel';
  /** Why, e.g. `caller_hung_up`, `idle_timeout`, `error: …`. */
  readonly reason: string;
}

/** Options of a {@link PipelineTask}. */
export interface PipelineTaskOptions {
  /** Audio settings announced by the start frame. Default 8000 Hz in and out. */
  readonly audio?: Partial<AudioSettings>;
  /** Metadata for the start frame (call id, agent id, …). */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** End the task after this long without activity, ms (on {@link clock}); 0 disables. Default 0. */
  readonly idleTimeoutMs?: number;
  /** Frames (reaching either end of the pipeline) that count as activity. */
  readonly idleResetFrames?: readonly FrameType[];
  /** How long a graceful end (or stop) may take before the task cancels, ms (system time). Default 15000. */
  readonly endTimeoutMs?: number;
  /** How long a cancel may take to reach the end before the task gives up waiting, ms (system time). Default 2000. */
  readonly cancelTimeoutMs?: number;
  readonly observers?: readonly TaskObserver[];
  /** Clock for processors' timing rules, the idle timeout and heartbeats (a `VirtualClock` in tests). Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Send a `heartbeat` frame down the pipeline every this many ms (on {@link clock}); 0 or
   * absent disables heartbeats and the stall alarm. E.g. 1000.
   */
  readonly heartbeatMs?: number;
  /**
   * When heartbeats (the start frame counts as the first) have been waiting this long without
   * one reaching the end of the pipeline, ms, the task emits a non-fatal error on {@link PipelineTask.errors$} whose
   * `cause` is a {@link PipelineStallError} (once per stall; checked at each heartbeat).
   * Default 5000.
   */
  readonly stallAlarmMs?: number;
  /**
   * Error policies by processor name, applied to the pipeline's processors when the task is
   * made (see {@link ErrorPolicy}); e.g. `{ OpenAILLM: 'end' }`.
   */
  readonly errorPolicies?: Readonly<Record<string, ErrorPolicy>>;
}

const DEFAULT_IDLE_RESET: readonly FrameType[] = [
  'user_started_speaking',
  'user_stopped_speaking',
  'bot_started_speaking',
  'bot_stopped_speaking',
  'transcription',
];

/**
 * Runs a pipeline: sends the start frame, feeds frames in, ends it gracefully
 * ({@link end}: an `end` frame that drains; {@link stop}: a `stop` frame that does not play out
 * queued audio) or at once ({@link cancel}), enforces the idle timeout, sends heartbeats and
 * raises the stall alarm, reports errors and feeds observers.
 *
 * Upstream frames reaching the task: `error` frames are emitted on {@link errors$} (a fatal
 * one cancels the task); `end_task` ends it. Once `end`, `stop` or `cancel` is called the
 * task's own clock timers (idle, heartbeat) are cleared; the last one (the end/cancel
 * deadline) is cleared when the task finishes, so a finished task leaves no timer behind.
 */
export class PipelineTask {
  readonly pipeline: Pipeline;
  private readonly errorsSubject = new Subject<ErrorFrame>();
  /** Disconnect the task from the pipeline's two ends. */
  private readonly disconnects: (() => void)[] = [];
  private readonly observers: TaskObserver[];
  private readonly idleReset: ReadonlySet<FrameType>;
  private readonly clock: Clock;
  private idleTimer: TimerHandle | undefined;
  private lastActivityMs = 0;
  private heartbeatTimer: TimerHandle | undefined;
  private lastHeartbeatSentMs = Number.NEGATIVE_INFINITY;
  /** Since when heartbeats have been waiting to reach the end (undefined: none is). */
  private heartbeatWaitingSinceMs: number | undefined;
  private stallAlarmed = false;
  private startSentAtMs = 0;
  private finishTimer: NodeJS.Timeout | undefined;
  private resolveRun: ((r: TaskResult) => void) | undefined;
  private result: TaskResult | undefined;
  private ending = false;
  private leaves: FrameProcessor[] = [];
  private tapped = false;
  private started = false;
  private readonly done: Promise<TaskResult>;

  /**
   * @param pipeline The pipeline, a processor, or processors to chain.
   * @param options See {@link PipelineTaskOptions}.
   * @throws RangeError when `errorPolicies` names no processor of the pipeline.
   */
  constructor(
    pipeline: FrameProcessor | readonly FrameProcessor[],
    private readonly options: PipelineTaskOptions = {},
  ) {
    this.pipeline =
      pipeline instanceof Pipeline ? pipeline : new Pipeline(Array.isArray(pipeline) ? pipeline : [pipeline]);
    this.observers = [...(options.observers ?? [])];
    this.idleReset = new Set(options.idleResetFrames ?? DEFAULT_IDLE_RESET);
    this.clock = options.clock ?? systemClock;
    this.leaves = this.pipeline.leaves();
    if (options.errorPolicies) this.applyErrorPolicies(options.errorPolicies);
    this.done = new Promise((resolve) => {
      this.resolveRun = resolve;
    });
    this.disconnects.push(
      this.pipeline.onPush('downstream', (f) => this.onDownstreamEnd(f)),
      this.pipeline.onPush('upstream', (f) => this.onUpstreamEnd(f)),
    );
  }

  /** Errors that reached the task, and the task's own warnings (stall alarms). */
  get errors$(): Observable<ErrorFrame> {
    return this.errorsSubject;
  }

  /** True once the task finished. */
  get finished(): boolean {
    return this.result !== undefined;
  }

  /** Add an observer; call before {@link run}. */
  addObserver(observer: TaskObserver): void {
    this.observers.push(observer);
  }

  /**
   * Start the pipeline and wait until it finishes. Resolves (never rejects) with how it ended.
   */
  run(): Promise<TaskResult> {
    if (this.started) return this.done;
    this.started = true;
    // Ended before it ran (e.g. the caller hung up while the call loaded): start nothing, or
    // the processors would open engines, files and processes that no end frame ever stops.
    if (this.result) return this.done;
    if (this.observers.length > 0) this.attachObservers();
    const idleMs = this.options.idleTimeoutMs ?? 0;
    if (idleMs > 0) {
      this.lastActivityMs = this.clock.now();
      this.idleTimer = this.clock.setTimeout(this.checkIdle, idleMs);
    }
    const heartbeatMs = this.options.heartbeatMs ?? 0;
    if (heartbeatMs > 0) {
      // The start frame is the first heartbeat: a pipeline that never finishes starting stalls too.
      this.startSentAtMs = this.clock.now();
      this.lastHeartbeatSentMs = this.startSentAtMs;
      this.heartbeatWaitingSinceMs = this.startSentAtMs;
      this.heartbeatTimer = this.clock.setTimeout(this.beat, heartbeatMs);
    }
    const audio: AudioSettings = {
      inputSampleRateHz: this.options.audio?.inputSampleRateHz ?? 8000,
      outputSampleRateHz: this.options.audio?.outputSampleRateHz ?? 8000,
    };
    const start = frame('start', {
      audio,
      metadata: this.options.metadata ?? {},
      ...(this.options.clock ? { clock: this.options.clock } : {}),
    });
    this.pipeline.queueFrame(start, 'downstream');
    return this.done;
  }

  /** Feed a frame into the pipeline, downstream. */
  queueFrame(f: Frame): void {
    if (!this.result) this.pipeline.queueFrame(f, 'downstream');
  }

  /** Feed frames in order. */
  queueFrames(frames: Iterable<Frame>): void {
    for (const f of frames) this.queueFrame(f);
  }

  /**
   * End gracefully: an `end` frame follows everything queued. Falls back to cancel after
   * `endTimeoutMs`. Before {@link run}, the task finishes at once and `run` starts nothing.
   */
  end(reason = 'ended'): void {
    this.close('end', reason);
  }

  /**
   * Stop after what is queued, like {@link end}, but without playing out queued audio (the
   * output transport gets `onStop('stop')`). Falls back to cancel after `endTimeoutMs`.
   */
  stop(reason = 'stopped'): void {
    this.close('stop', reason);
  }

  /**
   * Stop at once: processors abort their work and drop what is queued. Before {@link run},
   * the task finishes at once and `run` then starts nothing.
   */
  cancel(reason = 'cancelled'): void {
    if (this.result) return;
    if (!this.started) {
      this.finish({ how: 'cancel', reason });
      return;
    }
    this.ending = true;
    this.clearClockTimers();
    // Armed first: the frame may finish the task synchronously, which clears it.
    this.armFinishTimer(this.options.cancelTimeoutMs ?? 2_000, () => this.finish({ how: 'cancel', reason }));
    this.pipeline.queueFrame(frame('cancel', { reason }), 'downstream');
  }

  private close(type: 'end' | 'stop', reason: string): void {
    if (this.ending || this.result) return;
    if (!this.started) {
      this.finish({ how: type, reason }); // nothing to drain; run() then starts nothing
      return;
    }
    this.ending = true;
    this.clearClockTimers();
    this.armFinishTimer(this.options.endTimeoutMs ?? 15_000, () =>
      this.cancel(`${reason} (${type} timed out)`),
    );
    this.pipeline.queueFrame(frame(type, { reason }), 'downstream');
  }

  private armFinishTimer(ms: number, action: () => void): void {
    clearTimeout(this.finishTimer);
    this.finishTimer = setTimeout(action, ms);
    this.finishTimer.unref();
  }

  private clearClockTimers(): void {
    this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private readonly checkIdle = (): void => {
    this.idleTimer = undefined;
    if (this.ending || this.result) return;
    const idleMs = this.options.idleTimeoutMs ?? 0;
    const quietMs = this.clock.now() - this.lastActivityMs;
    if (quietMs >= idleMs) this.end('idle_timeout');
    else this.idleTimer = this.clock.setTimeout(this.checkIdle, idleMs - quietMs);
  };

  private readonly beat = (): void => {
    this.heartbeatTimer = undefined;
    if (this.ending || this.result) return;
    const now = this.clock.now();
    this.checkStall(now);
    this.lastHeartbeatSentMs = now;
    this.heartbeatWaitingSinceMs ??= now;
    this.pipeline.queueFrame(frame('heartbeat', { sentAtMs: now }), 'downstream');
    if (!this.ending && !this.result)
      this.heartbeatTimer = this.clock.setTimeout(this.beat, this.options.heartbeatMs ?? 0);
  };

  private onHeartbeatArrived(sentAtMs: number): void {
    // Heartbeats sent after this one may still be on their way: count from now.
    this.heartbeatWaitingSinceMs = sentAtMs >= this.lastHeartbeatSentMs ? undefined : this.clock.now();
    this.stallAlarmed = false;
  }

  private checkStall(now: number): void {
    if (this.heartbeatWaitingSinceMs === undefined || this.stallAlarmed) return;
    const stalledForMs = now - this.heartbeatWaitingSinceMs;
    if (stalledForMs < (this.options.stallAlarmMs ?? 5_000)) return;
    this.stallAlarmed = true;
    let heldBy: ReturnType<FrameProcessor['inspect']> | undefined;
    for (const p of this.leaves) {
      const snapshot = p.inspect();
      if (snapshot.queued.includes('heartbeat')) {
        heldBy = snapshot;
        break;
      }
    }
    const cause = new PipelineStallError(stalledForMs, heldBy);
    this.errorsSubject.next(
      frame('error', { message: cause.message, fatal: false, source: 'PipelineTask', cause }),
    );
  }

  private onDownstreamEnd(f: Frame): void {
    switch (f.type) {
      case 'end':
      case 'stop':
      case 'cancel':
        this.finish({ how: f.type, reason: f.reason });
        return;
      case 'heartbeat':
        this.onHeartbeatArrived(f.sentAtMs);
        return;
      case 'start':
        if (this.heartbeatWaitingSinceMs !== undefined) this.onHeartbeatArrived(this.startSentAtMs);
        return;
    }
    if (this.idleReset.has(f.type)) this.lastActivityMs = this.clock.now();
  }

  private onUpstreamEnd(f: Frame): void {
    if (f.type === 'error') {
      this.errorsSubject.next(f);
      if (f.fatal) this.cancel(`error: ${f.message}`);
    } else if (f.type === 'end_task') {
      this.end(f.reason);
    } else if (this.idleReset.has(f.type)) {
      this.lastActivityMs = this.clock.now();
    }
  }

  private applyErrorPolicies(policies: Readonly<Record<string, ErrorPolicy>>): void {
    for (const [name, policy] of Object.entries(policies)) {
      const matches = this.leaves.filter((p) => p.name === name);
      if (matches.length === 0) {
        const names = this.leaves.map((p) => p.name).join(', ');
        throw new RangeError(`errorPolicies names "${name}", which is not in the pipeline (${names})`);
      }
      for (const p of matches) p.setErrorPolicy(policy);
    }
  }

  private attachObservers(): void {
    const byType = new Map<FrameType, TaskObserver[]>();
    const observersOf = (type: FrameType): TaskObserver[] => {
      let list = byType.get(type);
      if (!list) {
        list = this.observers.filter((o) => !o.frameTypes || o.frameTypes.includes(type));
        byType.set(type, list);
      }
      return list;
    };
    const tap = (frame: Frame, direction: Direction, source: FrameProcessor) => {
      const observers = observersOf(frame.type);
      if (observers.length === 0) return;
      const event: FrameEvent = { frame, direction, source };
      for (const o of observers) {
        try {
          o.onFrame(event);
        } catch {
          // an observer must never break the call
        }
      }
    };
    for (const p of this.leaves) p.setTap(tap);
    this.tapped = true;
  }

  private finish(result: TaskResult): void {
    if (this.result) return;
    this.result = result;
    this.ending = true;
    this.clearClockTimers();
    clearTimeout(this.finishTimer);
    this.finishTimer = undefined;
    for (const o of this.observers) {
      try {
        o.onEnd?.(result);
      } catch {
        // an observer failing must not keep the task alive
      }
    }
    for (const disconnect of this.disconnects) disconnect();
    if (this.tapped) for (const p of this.leaves) p.setTap(undefined);
    this.errorsSubject.complete();
    this.resolveRun?.(result);
  }
}
