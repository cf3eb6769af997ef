/**
 * Small sample arrays carved out of a slab, as Node's `Buffer` pool does for small buffers. A
 * typed array with its own backing store costs about a microsecond and GC work, and V8 counts the
 * store as external memory, which only a major collection frees once the array was promoted
 * (audio queued for playback is); 64 MB of it since the last one starts the next. A view of a
 * slab costs neither, and a slab's store is one for many arrays.
 *
 * One slab per stream (a call's inbound decoder, its output transport): a view keeps its whole
 * slab alive, so a slab shared by many calls would be kept by any one call's held frame.
 */
export class SampleSlab {
  private slab: Int16Array;
  private used = 0;

  /**
   * @param slabSamples Samples per slab. Default 4096 (8 KiB: 0.5 s at 8 kHz).
   * @throws RangeError when `slabSamples` is not a positive integer.
   */
  constructor(private readonly slabSamples = 4096) {
    if (!Number.isInteger(slabSamples) || slabSamples < 1) {
      throw new RangeError(`slabSamples must be a positive integer, got ${slabSamples}`);
    }
    this.slab = new Int16Array(slabSamples);
  }

  /**
   * `n` zeroed 16-bit samples that no one else writes. Up to a quarter of a slab, a view of the
   * current slab: read its bytes with `byteOffset`/`byteLength`, and never transfer or detach
   * its `buffer`. Longer, an array of its own.
   */
  alloc(n: number): Int16Array {
    if (n > this.slabSamples / 4) return new Int16Array(n);
    if (this.used + n > this.slabSamples) {
      this.slab = new Int16Array(this.slabSamples);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }
}
