import { pcmFromBytes, pcmToMulaw } from '@parley/pipeline';
import { base64Length, decodeBase64Strict, encodeBase64 } from './base64.ts';

/** Why {@link decodeAudioPayload} refused a payload; `detail` holds no payload text. */
export interface PayloadIssue {
  readonly problem: 'invalid_message' | 'invalid_audio';
  readonly detail: string;
}

/**
 * Checks and decodes a `media.payload` value: a base64 string of 1 to `maxBytes` bytes whose
 * length is a multiple of `bytesPerSample` (2 for 16-bit PCM, 1 for µ-law).
 *
 * @returns The bytes, or why the payload is not acceptable: `invalid_message` when it is not a
 *   string; `invalid_audio` when it is empty, longer than `maxBytes`, not base64, or an odd
 *   number of bytes for 16-bit audio.
 */
export function decodeAudioPayload(
  payload: unknown,
  maxBytes: number,
  bytesPerSample: 1 | 2,
): Buffer | PayloadIssue {
  if (typeof payload !== 'string')
    return { problem: 'invalid_message', detail: 'media.payload is not a string' };
  if (payload.length === 0) return { problem: 'invalid_audio', detail: 'media.payload is empty' };
  if (payload.length > base64Length(maxBytes)) {
    return {
      problem: 'invalid_audio',
      detail: `media.payload of ${payload.length} characters is over 1 s of audio`,
    };
  }
  const bytes = decodeBase64Strict(payload);
  if (bytes === undefined) return { problem: 'invalid_audio', detail: 'media.payload is not base64' };
  if (bytes.length > maxBytes)
    return { problem: 'invalid_audio', detail: 'media.payload is over 1 s of audio' };
  if (bytes.length % bytesPerSample !== 0) {
    return {
      problem: 'invalid_audio',
      detail: `media.payload of ${bytes.length} bytes is not whole 16-bit samples`,
    };
  }
  return bytes;
}

/**
 * 16-bit PCM samples from wire bytes, in a fresh `Int16Array` (never a view over `bytes`, which
 * may be a slice of Node's shared buffer pool).
 *
 * @param bytes - An even number of bytes.
 * @param bigEndian - The wire byte order (Vobiz L16 inbound is big-endian; Exotel is
 *   little-endian).
 */
export function pcm16FromWire(bytes: Uint8Array, bigEndian: boolean): Int16Array {
  const pcm = pcmFromBytes(bytes, bigEndian);
  return pcm.buffer === bytes.buffer ? pcm.slice() : pcm;
}

/** µ-law bytes of the chunk being encoded: used and dropped within one {@link mulawBase64} call. */
let mulawScratch = new Uint8Array(4096);

/**
 * Base64 of `pcm` encoded as G.711 µ-law: a `media` payload for Twilio or Vobiz. The µ-law
 * bytes go through a scratch array, not a new one per 20 ms chunk.
 */
export function mulawBase64(pcm: Int16Array): string {
  if (mulawScratch.length < pcm.length) mulawScratch = new Uint8Array(pcm.length);
  return encodeBase64(pcmToMulaw(pcm, mulawScratch));
}
