import { AudioFormatError } from './audio-errors.ts';

/** True when this machine stores multi-byte numbers little-endian (every platform Node ships on today). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Read 16-bit signed PCM from bytes (e.g. a WebSocket payload or a WAV data chunk).
 *
 * Layout: 2 bytes per sample, little-endian unless `bigEndian`; channels stay interleaved.
 *
 * No copy is made when the bytes are little-endian and start at an even byte offset: the
 * result is then a view over `bytes`' memory (changes to one show in the other, and the view
 * keeps the whole underlying `ArrayBuffer` alive, e.g. Node's 8 KB pool slab for small
 * Buffers). Otherwise (odd `byteOffset`, big-endian data) the samples are copied.
 *
 * @param bytes PCM16 bytes; `byteLength` must be even.
 * @param bigEndian true for big-endian samples (e.g. AIFF, RTP L16); default little-endian.
 * @returns `bytes.byteLength / 2` samples.
 * @throws AudioFormatError when `bytes.byteLength` is odd.
 */
export function pcmFromBytes(bytes: Uint8Array, bigEndian = false): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new AudioFormatError(`PCM16 needs an even byte count, got ${bytes.byteLength} bytes`);
  }
  const n = bytes.byteLength / 2;
  const native = bigEndian !== HOST_LITTLE_ENDIAN;
  if (native && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Int16Array(n);
  if (native) {
    // Unaligned but same byte order: a byte copy into an aligned buffer.
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = !bigEndian;
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, littleEndian);
  return out;
}

/**
 * Bytes of 16-bit signed little-endian PCM (the wire format of Exotel, Vobiz and WAV files).
 *
 * No copy on little-endian hosts: the result is a view over `pcm`'s memory, so do not change
 * `pcm` while the bytes are in use (e.g. queued on a socket). On a big-endian host the samples
 * are byte-swapped into a new buffer.
 *
 * @param pcm samples, any channel layout (kept as is).
 * @returns `pcm.length * 2` bytes.
 */
export function pcmToBytes(pcm: Int16Array): Uint8Array {
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const out = new Uint8Array(pcm.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i]!, true);
  return out;
}
