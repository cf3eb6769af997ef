/**
 * A bounded first-in first-out queue of 16-bit samples on a fixed ring buffer (no allocation
 * after construction). When a write would exceed the capacity, the oldest samples are
 * dropped to make room, and the count is returned, so a slow consumer never makes it grow.
 */
export class SampleFifo {
  private readonly ring: Int16Array;
  private head = 0;
  private size = 0;

  /**
   * @param capacity most samples held.
   * @throws RangeError when `capacity` is not a positive integer.
   */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.ring = new Int16Array(capacity);
  }

  /** Samples waiting. */
  get length(): number {
    return this.size;
  }

  /**
   * Append samples, dropping the oldest ones if they do not fit.
   * @returns how many samples were dropped (old ones, or the start of `samples` when it alone exceeds the capacity).
   */
  write(samples: Int16Array): number {
    let input = samples;
    let dropped = 0;
    if (input.length > this.capacity) {
      dropped += input.length - this.capacity;
      input = input.subarray(input.length - this.capacity);
    }
    const overflow = this.size + input.length - this.capacity;
    if (overflow > 0) {
      this.head = (this.head + overflow) % this.capacity;
      this.size -= overflow;
      dropped += overflow;
    }
    const tail = (this.head + this.size) % this.capacity;
    const first = Math.min(input.length, this.capacity - tail);
    this.ring.set(input.subarray(0, first), tail);
    if (first < input.length) this.ring.set(input.subarray(first), 0);
    this.size += input.length;
    return dropped;
  }

  /**
   * Move exactly `into.length` samples, oldest first, into `into`.
   * @returns false (and takes nothing) when fewer samples are waiting.
   */
  read(into: Int16Array): boolean {
    const n = into.length;
    if (n > this.size) return false;
    const first = Math.min(n, this.capacity - this.head);
    into.set(this.ring.subarray(this.head, this.head + first), 0);
    if (first < n) into.set(this.ring.subarray(0, n - first), first);
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
    return true;
  }

  /** Drop everything waiting. */
  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}
