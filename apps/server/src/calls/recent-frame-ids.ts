/** Frame ids remembered (a frame is seen once per processor that pushes it, a few hops apart). */
const RECENT_IDS = 64;

/** Tells an observer whether it sees a frame for the first time, remembering the last 64 ids. */
export class RecentFrameIds {
  private readonly recent: number[] = [];

  /** True the first time `id` is passed (within the last 64 ids), false after. */
  firstSight(id: number): boolean {
    if (this.recent.includes(id)) return false;
    this.recent.push(id);
    if (this.recent.length > RECENT_IDS) this.recent.shift();
    return true;
  }
}
