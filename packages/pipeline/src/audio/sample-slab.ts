/**
 * Small sample arrays carved out of shared slabs, as Node's `Buffer` pool does for small buffers.
 * A typed array with its own backing store costs about a microsecond and GC work, and V8 counts
 * the store as external memory, which only a major collection frees once the array was promoted
 * (audio queued for playback is); 64 MB of it since the last one starts the next. A view of a
 * slab costs neither, and a slab's store is one for many arrays.
 */

/** Samples per slab (16 KiB). */
const SLAB_SAMPLES = 8192;
let slab = new Int16Array(SLAB_SAMPLES);
let used = 0;

/**
 * `n` zeroed 16-bit samples that no one else writes. Up to 2048 samples, a view of a shared
 * 16 KiB slab (like a small Node `Buffer`): read its bytes with `byteOffset`/`byteLength`, and
 * never transfer or detach its `buffer`. Longer, an array of its own.
 */
export function allocSamples(n: number): Int16Array {
  if (n > SLAB_SAMPLES / 4) return new Int16Array(n);
  if (used + n > SLAB_SAMPLES) {
    slab = new Int16Array(SLAB_SAMPLES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  used += n;
  return out;
}
