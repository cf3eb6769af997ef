import { pcmFromBytes } from '@parley/pipeline';

/** Joins streamed PCM16 bytes into whole samples (a chunk may end inside a sample). */
export class PcmAssembler {
  private carry: number | undefined;

  /** The whole samples of `bytes` (after any byte carried from the previous chunk). */
  push(bytes: Uint8Array): Int16Array {
    let data = bytes;
    if (this.carry !== undefined && bytes.length > 0) {
      data = new Uint8Array(bytes.length + 1);
      data[0] = this.carry;
      data.set(bytes, 1);
      this.carry = undefined;
    }
    if (data.length % 2 === 1) {
      this.carry = data[data.length - 1];
      data = data.subarray(0, data.length - 1);
    }
    // A copy: the SDK's decoded buffer may be a view into a shared pool.
    return pcmFromBytes(new Uint8Array(data));
  }
}
