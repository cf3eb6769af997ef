import alawmulaw from 'alawmulaw';
import { allocSamples } from './sample-slab.ts';

const { mulaw } = alawmulaw;

/**
 * The G.711 µ-law byte for silence (PCM 0). Use it to pad gaps in telephony audio.
 */
export const MULAW_SILENCE = 0xff;

/**
 * µ-law byte → PCM sample, built once from `alawmulaw`'s decoder. Faster than decoding
 * each byte with bit operations, and `| 0` turns its `-0` (for 0x7F) into 0.
 */
const DECODE_TABLE = (() => {
  const table = new Int16Array(256);
  for (let b = 0; b < 256; b++) table[b] = mulaw.decodeSample(b) | 0;
  return table;
})();

/**
 * PCM sample (as an unsigned 16-bit index) → µ-law byte, built once (64 KiB) from `alawmulaw`'s
 * encoder, so the output is the same byte for byte; a lookup beats its bit operations.
 */
const ENCODE_TABLE = (() => {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = mulaw.encodeSample((i << 16) >> 16) & 0xff;
  return table;
})();

/**
 * Decode G.711 µ-law (Twilio's `audio/x-mulaw`, 8 kHz) to 16-bit PCM.
 *
 * @param bytes one µ-law byte per sample (mono, or interleaved channels).
 * @returns `bytes.length` samples, range −32124..32124, in memory no one else writes: for short
 *   inputs (up to 2048 samples) a view of a shared 16 KiB slab, like a small Node `Buffer`. Read
 *   its bytes with `byteOffset`/`byteLength`, and never transfer or detach its `buffer`.
 */
export function mulawToPcm(bytes: Uint8Array): Int16Array {
  const out = allocSamples(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = DECODE_TABLE[bytes[i]!]!;
  return out;
}

/**
 * Encode 16-bit PCM to G.711 µ-law, byte for byte as `alawmulaw` does (ITU-T G.711 with the
 * standard bias of 0x84 and clipping at 32635; about 1 sample in 80 differs from sox by one
 * code, from rounding).
 *
 * @param pcm samples (mono, or interleaved channels).
 * @param out where to write, when the bytes are used at once and dropped (e.g. base64-encoded
 *   into a message): a scratch array of at least `pcm.length` bytes, reused call after call.
 * @returns one byte per sample (0 encodes to 0xFF): a new `Uint8Array`, or a view of `out`.
 * @throws RangeError when `out` is shorter than `pcm`.
 */
export function pcmToMulaw(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  if (out !== undefined && out.length < pcm.length) {
    throw new RangeError(`pcmToMulaw: out holds ${out.length} bytes, ${pcm.length} needed`);
  }
  const bytes = out === undefined ? new Uint8Array(pcm.length) : out.subarray(0, pcm.length);
  for (let i = 0; i < pcm.length; i++) bytes[i] = ENCODE_TABLE[pcm[i]! & 0xffff]!;
  return bytes;
}
