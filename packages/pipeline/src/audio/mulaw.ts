import alawmulaw from 'alawmulaw';

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
 * Decode G.711 µ-law (Twilio's `audio/x-mulaw`, 8 kHz) to 16-bit PCM.
 *
 * @param bytes one µ-law byte per sample (mono, or interleaved channels).
 * @returns a new Int16Array with `bytes.length` samples, range −32124..32124.
 */
export function mulawToPcm(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = DECODE_TABLE[bytes[i]!]!;
  return out;
}

/**
 * Encode 16-bit PCM to G.711 µ-law with `alawmulaw` (ITU-T G.711 with the standard bias of
 * 0x84 and clipping at 32635; about 1 sample in 80 differs from sox by one code, from rounding).
 *
 * @param pcm samples (mono, or interleaved channels).
 * @returns a new Uint8Array with one byte per sample (0 encodes to 0xFF).
 */
export function pcmToMulaw(pcm: Int16Array): Uint8Array {
  // `encode` writes into a Uint8Array, which masks `encodeSample`'s unmasked negative results.
  return mulaw.encode(pcm);
}
