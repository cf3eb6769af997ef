import { type Observable, Subject } from 'rxjs';
import { type Clock, systemClock } from '../clock/clock.ts';
import {
  type Frame,
  type FrameType,
  frame,
  isSystemFrame,
  isUninterruptible,
  type ServiceKind,
  type StartFrame,
} from '../frames/frames.ts';

/** Which way a frame travels: towards the output (`downstream`) or back to the input (`upstream`). */
export type Direction = 'downstream' | 'upstream';

/**
 * What a processor's handler returns: nothing when it finished synchronously, or a promise
 * when it awaits (the processor then waits before handling its next queued frame).
 */
export type HandlerResult = void | Promise<void>;

/** Sees a frame pushed by `source` (see {@link FrameProcessor.setTap}). Must not throw. */
export type FrameTap = (f: Frame, direction: Direction, source: FrameProcessor) => void;

/**
 * Lifecycle of a processor: `idle` before the start frame, `starting` while `onStart` runs,
 * `started` until `end`/`stop`/`cancel`, then `stopped`.
 */
export type ProcessorState = 'idle' | 'starting' | 'started' | 'stopped';

/** Why a processor stopped: a graceful `end`, a `stop` (like end, without playing out queued audio), or `cancel`. */
export type StopReason = 'end' | 'stop' | 'cancel';

/**
 * What a task does when a processor reports a non-fatal error:
 * - `continue` (default): the error frame goes upstream and is recorded; the call goes on;
 * - `end`: the call ends gracefully (the processor also pushes `end_task` upstream, reason `error: …`);
 * - `cancel`: the call stops at once (the error frame is marked `fatal`).
 *
 * A fatal error cancels the call whatever the policy.
 */
export type ErrorPolicy = 'continue' | 'end' | 'cancel';

/** Options every processor accepts. */
export interface FrameProcessorOptions {
  /** What the task does when this processor fails (see {@link ErrorPolicy}). Default `continue`. */
  readonly onError?: ErrorPolicy;
}

/** A snapshot of a processor's scheduling state, for diagnostics (stall alarms, debugging). */
export interface ProcessorSnapshot {
  /** The processor's name. */
  readonly name: string;
  /** Where it is in its lifecycle. */
  readonly state: ProcessorState;
  /** A data or control handler is in flight (the queue waits for it). */
  readonly handling: boolean;
  /** Types of the frames waiting in the queue, oldest first. */
  readonly queued: readonly FrameType[];
}

/**
 * A stage of a pipeline. Frames arrive through {@link queueFrame}; the processor handles
 * them in {@link processFrame} and passes frames on with {@link push}. Its outputs are
 * RxJS subjects ({@link downstream$}, {@link upstream$}); {@link link} wires two processors.
 *
 * Scheduling rules:
 * - nothing is processed before the start frame, and nothing else until `onStart` settles
 *   (frames arriving meanwhile wait, in order; a `cancel` aborts the start's signal and passes
 *   on at once, and `onStop('cancel')` runs when the start settled); frames before `start`
 *   are dropped, except a `cancel`, which passes on and stops the processor (a later `start`
 *   is ignored);
 * - system frames are handled at once, even while a data handler is awaiting;
 * - data and control frames queue and are handled one at a time, in order; a synchronous
 *   handler costs no promise;
 * - an `interruption` aborts the in-flight handler's `AbortSignal` and drops queued frames
 *   except uninterruptible ones; the next queued frame waits until the aborted handler settles;
 * - `cancel` aborts and drops everything; `end` and `stop` (downstream) stop the processor
 *   after everything before them was handled; each runs `onStop` once;
 * - a handler that throws or rejects sends an `error` frame upstream (and, by the processor's
 *   {@link ErrorPolicy}, may end or cancel the call); `AbortError`s after an abort are expected
 *   and ignored.
 *
 * Forwarding is explicit: the default {@link processFrame} passes every frame on in the
 * direction it came. Subclasses handle the frames they know and `push` the rest.
 */
export abstract class FrameProcessor {
  /** Name used in errors, metrics and logs. */
  readonly name: string;
  /** The per-frame state, in an object of one class for every processor (see {@link ProcessorCore}). */
  private readonly core = new ProcessorCore(this);
  private abort = new AbortController();
  private clockSource: Clock = systemClock;
  private policy: ErrorPolicy;

  /**
   * @param name Name used in errors, metrics and logs (default: the class name).
   * @param options See {@link FrameProcessorOptions}.
   */
  constructor(name?: string, options: FrameProcessorOptions = {}) {
    this.name = name ?? this.constructor.name;
    this.policy = options.onError ?? 'continue';
  }

  /** What happens to the call when this processor reports a non-fatal error. */
  get errorPolicy(): ErrorPolicy {
    return this.policy;
  }

  /** Change {@link errorPolicy} (a {@link PipelineTask}'s `errorPolicies` option does this by name). */
  setErrorPolicy(policy: ErrorPolicy): void {
    this.policy = policy;
  }

  /** Frames this processor pushes downstream. */
  get downstream$(): Observable<Frame> {
    return this.core.down;
  }

  /** Frames this processor pushes upstream. */
  get upstream$(): Observable<Frame> {
    return this.core.up;
  }

  /** True between a handled `start` and the `end`/`cancel`. */
  get isRunning(): boolean {
    return this.core.state === 'started';
  }

  /** The clock for timing rules, from the start frame (the system clock by default). */
  protected get clock(): Clock {
    return this.clockSource;
  }

  /** The signal of the current handler generation; aborted by interruption and cancel. */
  protected get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Frame types this processor never handles, in either direction: they are pushed on as they
   * come (a data or control frame still waits its turn behind queued frames), without a call to
   * {@link processFrame}. A fast path for the caller's audio, which crosses every processor of a
   * call 50 times a second but concerns only a few. Read once, at the start frame; a subclass
   * that handles one of these types must override this getter. Lifecycle frames (`start`,
   * `cancel`, `interruption`, `end`, `stop`) are always handled. Default: none.
   */
  protected get forwardedFrameTypes(): readonly FrameType[] {
    return [];
  }

  /**
   * Deliver a frame to this processor. Never throws: failures become error frames.
   */
  queueFrame(f: Frame, direction: Direction): void {
    const core = this.core;
    if (core.state === 'started') {
      if (!isSystemFrame(f)) this.enqueue(f, direction);
      else if (core.forwarded.has(f.type)) core.push(f, direction);
      else this.handleSystem(f, direction);
      return;
    }
    if (core.state === 'idle') {
      if (f.type === 'start') this.begin(f);
      else if (f.type === 'cancel') {
        // A cancel before start reaches the end, and a start after it is ignored: nothing may
        // open engines, files or processes for a call that is already over.
        core.state = 'stopped';
        core.push(f, direction);
      }
      return; // nothing is processed before start
    }
    if (core.state === 'starting') {
      if (f.type === 'cancel') {
        // Do not wait for a start that may hang (e.g. a provider that never answers): abort it
        // and pass the cancel on; onStop runs once the start settled (see afterStart).
        this.abort.abort();
        this.clearQueue();
        core.state = 'stopped';
        core.push(f, direction);
      } else this.enqueue(f, direction);
    } else if (direction === 'upstream') core.push(f, direction); // stopped: let late errors reach the task
  }

  /**
   * Handle one frame. The default forwards it unchanged. `signal` aborts when an
   * interruption or cancel arrives while the handler runs.
   */
  protected processFrame(f: Frame, direction: Direction, _signal: AbortSignal): HandlerResult {
    this.push(f, direction);
  }

  /** Called once when the start frame arrives, before it is forwarded; may await set-up. */
  protected onStart(_f: StartFrame): HandlerResult {}

  /**
   * Called once on `end`, `stop` or `cancel`, after in-flight work was aborted (for cancel);
   * release resources here. On `end` a processor may finish what it holds (e.g. play out
   * queued audio); on `stop` and `cancel` it should not.
   */
  protected onStop(_reason: StopReason): HandlerResult {}

  /** Called when an interruption arrives, after the signal was aborted and the queue pruned. */
  protected onInterruption(): void {}

  /**
   * Set the function that sees every frame this processor pushes, before it is passed on
   * (used by {@link PipelineTask} for observers). `undefined` removes it.
   */
  setTap(tap: FrameTap | undefined): void {
    this.core.tap = tap;
  }

  /** Pass a frame to the next processor in `direction` (default downstream). */
  push(f: Frame, direction: Direction = 'downstream'): void {
    this.core.push(f, direction);
  }

  /**
   * The function that delivers frames travelling in `direction` to this processor: what
   * {@link link} connects. Like {@link queueFrame}, but a frame this processor forwards
   * unhandled (see {@link forwardedFrameTypes}) is passed on without a call through the
   * processor's class. Composites return their first (downstream) or last (upstream) member's.
   */
  inlet(direction: Direction): (f: Frame) => void {
    const core = this.core;
    return (f) => core.deliver(f, direction);
  }

  /**
   * Calls `receiver` synchronously with each frame this processor pushes in `direction`, before
   * the subscribers of {@link downstream$} / {@link upstream$}. This is how {@link link} joins
   * processors: a plain call per frame, where an rxjs subscription costs several. Nested
   * pipelines forward it to their last (downstream) or first (upstream) processor.
   * @returns A function that disconnects `receiver`.
   */
  onPush(direction: Direction, receiver: (f: Frame) => void): () => void {
    const core = this.core;
    const key = direction === 'downstream' ? 'downReceivers' : 'upReceivers';
    core[key] = [...core[key], receiver];
    return () => {
      core[key] = core[key].filter((r) => r !== receiver);
    };
  }

  /**
   * The processors that push frames, in downstream order: the processor itself; composites
   * ({@link Pipeline}, `ParallelPipeline`) return their members' leaves.
   */
  leaves(): FrameProcessor[] {
    return [this];
  }

  /** The processor's scheduling state, for diagnostics. Scans the queue: not for the hot path. */
  inspect(): ProcessorSnapshot {
    return {
      name: this.name,
      state: this.core.state,
      handling: this.core.busy,
      queued: this.core.queue.slice(this.core.queueHead).map((f) => f.type),
    };
  }

  /**
   * The kind of service this processor is, for its `error` frames' `service`;
   * `undefined` for processors that are not STT, LLM or TTS services.
   */
  protected get serviceKind(): ServiceKind | undefined {
    return undefined;
  }

  /**
   * Report a failure upstream as an error frame, applying the {@link errorPolicy}: with
   * `cancel` the frame is marked fatal; with `end` an `end_task` frame follows it. A service's
   * frame carries its {@link serviceKind}.
   */
  protected pushError(error: unknown, fatal = false): void {
    const message = error instanceof Error ? error.message : String(error);
    const policy = fatal ? 'cancel' : this.policy;
    const service = this.serviceKind;
    this.push(
      frame('error', {
        message,
        fatal: policy === 'cancel',
        source: this.name,
        ...(service ? { service } : {}),
        cause: error,
      }),
      'upstream',
    );
    if (policy === 'end') this.push(frame('end_task', { reason: `error: ${message}` }), 'upstream');
  }

  private begin(f: StartFrame): void {
    this.core.state = 'starting';
    if (f.clock) this.clockSource = f.clock;
    const forwarded = this.forwardedFrameTypes.filter((t) => !LIFECYCLE.has(t));
    if (forwarded.length > 0) this.core.forwarded = new Set(forwarded);
    let r: HandlerResult;
    try {
      r = this.onStart(f);
    } catch (e) {
      this.afterStart(f, e);
      return;
    }
    if (r)
      r.then(
        () => this.afterStart(f),
        (e: unknown) => this.afterStart(f, e),
      );
    else this.afterStart(f);
  }

  private afterStart(f: StartFrame, error?: unknown): void {
    if (this.core.state !== 'starting') {
      // Cancelled while starting: release what the start set up, now that it settled.
      this.releaseAfterCancelledStart();
      return;
    }
    this.core.state = 'started';
    if (error !== undefined) this.pushError(error, true);
    this.push(f, 'downstream');
    // Frames that arrived while starting: system ones are handled now, in their order.
    const pending = this.core.queue.slice(this.core.queueHead);
    const dirs = this.core.queueDirs.slice(this.core.queueHead);
    this.clearQueue();
    for (let i = 0; i < pending.length; i++) this.queueFrame(pending[i]!, dirs[i]!);
  }

  private releaseAfterCancelledStart(): void {
    let r: HandlerResult;
    try {
      r = this.onStop('cancel');
    } catch (e) {
      this.pushError(e);
      return;
    }
    r?.catch((e: unknown) => this.pushError(e));
  }

  private handleSystem(f: Frame, direction: Direction): void {
    switch (f.type) {
      case 'interruption':
        this.interrupt();
        break;
      case 'cancel':
        this.abort.abort();
        this.clearQueue();
        this.stop('cancel', f, direction);
        return;
      case 'start':
        return; // a second start is ignored
    }
    this.run(f, direction);
  }

  private interrupt(): void {
    this.abort.abort(INTERRUPTED);
    this.abort = new AbortController();
    // Keep only uninterruptible frames, in order.
    const keptFrames: Frame[] = [];
    const keptDirs: Direction[] = [];
    for (let i = this.core.queueHead; i < this.core.queue.length; i++) {
      const q = this.core.queue[i]!;
      if (isUninterruptible(q)) {
        keptFrames.push(q);
        keptDirs.push(this.core.queueDirs[i]!);
      }
    }
    this.core.queue = keptFrames;
    this.core.queueDirs = keptDirs;
    this.core.queueHead = 0;
    try {
      this.onInterruption();
    } catch (e) {
      this.pushError(e);
    }
  }

  private enqueue(f: Frame, direction: Direction): void {
    const core = this.core;
    if (!core.busy && core.state === 'started' && core.queueHead === core.queue.length) {
      // Idle with nothing queued (the usual case): handle it now, without the queue's arrays.
      if ((f.type === 'end' || f.type === 'stop') && direction === 'downstream')
        this.stop(f.type, f, direction);
      else if (core.forwarded.has(f.type)) core.push(f, direction);
      else this.run(f, direction);
      return;
    }
    core.queue.push(f);
    core.queueDirs.push(direction);
    if (!core.busy && core.state === 'started') this.drain();
  }

  private drain(): void {
    const core = this.core;
    while (!core.busy && core.queueHead < core.queue.length && core.state === 'started') {
      const f = core.queue[core.queueHead]!;
      const d = core.queueDirs[core.queueHead]!;
      core.queueHead++;
      if (core.queueHead === core.queue.length) this.clearQueue();
      if ((f.type === 'end' || f.type === 'stop') && d === 'downstream') {
        this.stop(f.type, f, d);
        return;
      }
      if (core.forwarded.has(f.type)) core.push(f, d);
      else this.run(f, d);
    }
  }

  /** Runs a handler; for async handlers marks the processor busy until it settles. */
  private run(f: Frame, direction: Direction): void {
    const signal = this.abort.signal;
    let r: HandlerResult;
    try {
      r = this.processFrame(f, direction, signal);
    } catch (e) {
      this.fail(e, signal);
      return;
    }
    if (!r) return;
    if (isSystemFrame(f)) {
      r.catch((e: unknown) => this.fail(e, signal));
      return;
    }
    this.core.busy = true;
    r.then(
      () => this.settle(),
      (e: unknown) => {
        this.fail(e, signal);
        this.settle();
      },
    );
  }

  private settle(): void {
    this.core.busy = false;
    this.drain();
  }

  private fail(e: unknown, signal: AbortSignal): void {
    if (signal.aborted && isAbortError(e)) return;
    this.pushError(e);
  }

  private stop(reason: StopReason, f: Frame, direction: Direction): void {
    this.core.state = 'stopped';
    const forward = () => this.push(f, direction);
    let r: HandlerResult | undefined;
    try {
      r = this.onStop(reason);
    } catch (e) {
      this.pushError(e);
    }
    if (r)
      r.then(forward, (e: unknown) => {
        this.pushError(e);
        forward();
      });
    else forward();
  }

  private clearQueue(): void {
    this.core.queue.length = 0;
    this.core.queueDirs.length = 0;
    this.core.queueHead = 0;
  }
}

/**
 * What a processor needs for each frame, in one object of one class for every processor.
 * Base-class code reading fields of `this` sees as many hidden classes as there are processor
 * classes in a pipeline (over a dozen in a call): V8's inline caches go megamorphic and each
 * read becomes a global cache probe. Read here, the fields stay monomorphic, and a frame the
 * processor forwards unhandled crosses it without touching the processor object at all.
 */
class ProcessorCore {
  state: ProcessorState = 'idle';
  busy = false;
  queue: Frame[] = [];
  queueDirs: Direction[] = [];
  queueHead = 0;
  /** {@link FrameProcessor.forwardedFrameTypes}, set at the start frame. */
  forwarded: ReadonlySet<FrameType> = NONE;
  tap: FrameTap | undefined;
  /** Receivers connected by `onPush` (links), called directly: no rxjs per frame. Replaced, never mutated. */
  downReceivers: readonly ((f: Frame) => void)[] = [];
  upReceivers: readonly ((f: Frame) => void)[] = [];
  readonly down = new Subject<Frame>();
  readonly up = new Subject<Frame>();

  constructor(private readonly owner: FrameProcessor) {}

  push(f: Frame, direction: Direction): void {
    if (this.tap) this.tap(f, direction, this.owner);
    const receivers = direction === 'downstream' ? this.downReceivers : this.upReceivers;
    for (let i = 0; i < receivers.length; i++) receivers[i]!(f);
    const subject = direction === 'downstream' ? this.down : this.up;
    if (subject.observed) subject.next(f);
  }

  /** `queueFrame`, with the forwarding of unhandled frames done here (a data frame only when nothing waits before it). */
  deliver(f: Frame, direction: Direction): void {
    if (
      this.state === 'started' &&
      this.forwarded.has(f.type) &&
      (isSystemFrame(f) || (!this.busy && this.queueHead === this.queue.length))
    ) {
      this.push(f, direction);
    } else this.owner.queueFrame(f, direction);
  }
}

const NONE: ReadonlySet<FrameType> = new Set();

/** {@link FrameProcessor.forwardedFrameTypes} of the processors that never look at the caller's audio. */
export const CALLER_AUDIO: readonly FrameType[] = Object.freeze(['input_audio']);
/**
 * The abort reason of every interruption: one shared error, since a fresh `DOMException` per
 * processor per barge-in costs a stack capture each and nobody reads its stack.
 */
const INTERRUPTED = new DOMException('interrupted', 'AbortError');
/** Frames that drive a processor's lifecycle: never forwarded unhandled. */
const LIFECYCLE: ReadonlySet<FrameType> = new Set(['start', 'cancel', 'interruption', 'end', 'stop']);

/** True for the errors an aborted `AbortSignal` makes operations throw. */
export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'APIUserAbortError');
}

/**
 * Connect `a`'s downstream output to `b` and `b`'s upstream output to `a`.
 * Returns a function that disconnects them.
 */
export function link(a: FrameProcessor, b: FrameProcessor): () => void {
  const down = a.onPush('downstream', b.inlet('downstream'));
  const up = b.onPush('upstream', a.inlet('upstream'));
  return () => {
    down();
    up();
  };
}
