import { describe, expect, it } from 'vitest';
import { AudioFormatError } from '../src/audio/audio-errors.ts';
import { pcmFromBytes, pcmToBytes } from '../src/audio/pcm16.ts';

const LE_BYTES = [0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]; // 1, -1, -32768, 32767

describe('PCM16 bytes', () => {
  it('views aligned little-endian bytes without copying', () => {
    const bytes = new Uint8Array(LE_BYTES);
    const pcm = pcmFromBytes(bytes);
    expect(Array.from(pcm)).toEqual([1, -1, -32768, 32767]);
    expect(pcm.buffer).toBe(bytes.buffer);
    bytes[0] = 2;
    expect(pcm[0]).toBe(2);
  });

  it('reads bytes that start at an odd offset correctly (by copying)', () => {
    const backing = new Uint8Array([0xaa, ...LE_BYTES, 0xbb]);
    const pcm = pcmFromBytes(backing.subarray(1, 1 + LE_BYTES.length));
    expect(Array.from(pcm)).toEqual([1, -1, -32768, 32767]);
    expect(pcm.buffer).not.toBe(backing.buffer);
  });

  it('reads a Node Buffer sliced at an odd offset', () => {
    const buf = Buffer.from([0x00, ...LE_BYTES]).subarray(1);
    expect(Array.from(pcmFromBytes(buf))).toEqual([1, -1, -32768, 32767]);
  });

  it('reads big-endian samples, aligned or not', () => {
    const be = [0x00, 0x01, 0xff, 0xff, 0x80, 0x00, 0x7f, 0xff];
    expect(Array.from(pcmFromBytes(new Uint8Array(be), true))).toEqual([1, -1, -32768, 32767]);
    const odd = new Uint8Array([0, ...be]).subarray(1);
    expect(Array.from(pcmFromBytes(odd, true))).toEqual([1, -1, -32768, 32767]);
  });

  it('rejects an odd byte count', () => {
    expect(() => pcmFromBytes(new Uint8Array(3))).toThrow(AudioFormatError);
  });

  it('writes little-endian bytes as a view over the samples', () => {
    const pcm = new Int16Array([0, 1, -1, -32768, 32767]).subarray(1);
    const bytes = pcmToBytes(pcm);
    expect(Array.from(bytes)).toEqual(LE_BYTES);
    expect(bytes.buffer).toBe(pcm.buffer);
    expect(bytes.byteOffset).toBe(2);
    expect(Array.from(pcmFromBytes(bytes))).toEqual(Array.from(pcm));
  });
});
