import type { Subscription } from 'rxjs';
import type { Frame } from '../frames/frames.ts';
import { type Direction, FrameProcessor } from './frame-processor.ts';
import { Pipeline } from './pipeline.ts';

/**
 * Branches that each receive every frame, side by side, and whose outputs merge: a frame
 * entering downstream goes to the first processor of every branch, a frame entering upstream
 * to the last processor of every branch, and whatever any branch pushes out leaves the
 * parallel pipeline in the same direction.
 *
 * - A frame that passes through several branches leaves once (the first branch to push it
 *   wins; later copies of the same frame object are dropped, like Pipecat's dedupe by frame id).
 *   Frames a branch makes itself leave as they are.
 * - `start` leaves once, after every branch passed it; downstream frames that a branch pushes
 *   before that are held and follow the start in order (processors after the parallel
 *   pipeline must not see frames before the start).
 * - `end`, `stop` and `cancel` leave once, after every branch passed one of them (for `end`,
 *   after every branch drained); when branches differ, `cancel` wins over `stop` over `end`.
 *   A branch that already stopped counts as having passed a later `cancel`.
 *
 * Like {@link Pipeline} it adds no queue and no hop: frames are handed to the branches at once.
 * Observers see the branches' processors (see {@link leaves}). Merging costs one `WeakSet`
 * look-up per frame leaving a branch.
 *
 * @example
 * new Pipeline([input, new ParallelPipeline([[stt, userAggregator], [recorder]]), output]);
 */
export class ParallelPipeline extends FrameProcessor {
  /** The branches, each a pipeline (never empty). */
  readonly branches: readonly Pipeline[];
  private readonly subs: Subscription[] = [];
  private readonly leftDown = new WeakSet<Frame>();
  private readonly leftUp = new WeakSet<Frame>();
  private readonly started: boolean[];
  private startsPending: number;
  /** Downstream frames pushed by a branch before the merged start left. */
  private held: Frame[] = [];
  private readonly stopped: boolean[];
  private stopsPending: number;
  private terminal: Frame | undefined;

  /**
   * @param branches Each branch's processors in downstream order (an empty branch passes frames through).
   * @throws RangeError when `branches` is empty.
   */
  constructor(branches: ReadonlyArray<readonly FrameProcessor[]>, name = 'ParallelPipeline') {
    super(name);
    if (branches.length === 0) throw new RangeError('a ParallelPipeline needs at least one branch');
    this.branches = branches.map((b, i) => new Pipeline(b, `${name}[${i}]`));
    const n = this.branches.length;
    this.started = new Array<boolean>(n).fill(false);
    this.stopped = new Array<boolean>(n).fill(false);
    this.startsPending = n;
    this.stopsPending = n;
    this.branches.forEach((b, i) => {
      this.subs.push(b.downstream$.subscribe((f) => this.fromBranch(i, f, 'downstream')));
      this.subs.push(b.upstream$.subscribe((f) => this.fromBranch(i, f, 'upstream')));
    });
  }

  override get isRunning(): boolean {
    return this.branches.some((b) => b.isRunning);
  }

  override inlet(direction: Direction): (f: Frame) => void {
    return (f) => this.queueFrame(f, direction);
  }

  override queueFrame(f: Frame, direction: Direction): void {
    const branches = this.branches;
    for (let i = 0; i < branches.length; i++) branches[i]!.queueFrame(f, direction);
  }

  /** Every leaf processor of every branch, branch by branch. */
  override leaves(): FrameProcessor[] {
    return this.branches.flatMap((b) => b.leaves());
  }

  private fromBranch(i: number, f: Frame, direction: Direction): void {
    if (direction === 'downstream') {
      switch (f.type) {
        case 'start':
          this.onBranchStarted(i, f);
          return;
        case 'end':
        case 'stop':
        case 'cancel':
          this.onBranchStopped(i, f);
          return;
      }
      if (this.startsPending > 0) {
        this.held.push(f);
        return;
      }
      if (this.leftDown.has(f)) return;
      this.leftDown.add(f);
      this.push(f, 'downstream');
      return;
    }
    if (this.leftUp.has(f)) return;
    this.leftUp.add(f);
    this.push(f, 'upstream');
  }

  private onBranchStarted(i: number, f: Frame): void {
    if (this.started[i]) return;
    this.started[i] = true;
    if (--this.startsPending > 0) return;
    this.push(f, 'downstream');
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (this.leftDown.has(h)) continue;
      this.leftDown.add(h);
      this.push(h, 'downstream');
    }
  }

  private onBranchStopped(i: number, f: Frame): void {
    if (f.type === 'cancel') this.held = [];
    if (!this.terminal || rank(f) > rank(this.terminal)) this.terminal = f;
    if (this.stopped[i]) return;
    this.stopped[i] = true;
    // A branch that stopped before it started (a cancel before the start) will never start.
    if (!this.started[i]) {
      this.started[i] = true;
      this.startsPending--;
    }
    if (--this.stopsPending > 0) return;
    this.push(this.terminal, 'downstream');
  }
}

function rank(f: Frame): number {
  return f.type === 'cancel' ? 2 : f.type === 'stop' ? 1 : 0;
}
