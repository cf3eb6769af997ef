import { pcmFromBytes } from '@parley/pipeline';

/**
 * Turns the base64 `linear16` audio of Sarvam's TTS messages into 16-bit PCM samples. A chunk
 * may split a sample (its odd byte is kept for the next one) or, defensively, start with a WAV
 * header (skipped up to its `data` chunk).
 */
export class Linear16Decoder {
  private carry: number | undefined;

  /** @returns the whole samples in `base64` (with a byte carried over from the previous chunk). */
  decode(base64: string): Int16Array {
    let bytes: Uint8Array = skipWavHeader(Buffer.from(base64, 'base64'));
    if (this.carry !== undefined) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      bytes = joined;
      this.carry = undefined;
    }
    if (bytes.length % 2 === 1) {
      this.carry = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    return pcmFromBytes(bytes);
  }

  /** Forget a carried byte (a new utterance starts). */
  reset(): void {
    this.carry = undefined;
  }
}

/** `bytes` without a RIFF/WAVE header, if it starts with one. */
function skipWavHeader(bytes: Buffer): Buffer {
  if (
    bytes.length < 12 ||
    bytes.toString('ascii', 0, 4) !== 'RIFF' ||
    bytes.toString('ascii', 8, 12) !== 'WAVE'
  ) {
    return bytes;
  }
  for (let off = 12; off + 8 <= bytes.length; ) {
    const size = bytes.readUInt32LE(off + 4);
    if (bytes.toString('ascii', off, off + 4) === 'data') return bytes.subarray(off + 8);
    off += 8 + size + (size % 2);
  }
  return bytes.subarray(bytes.length);
}
