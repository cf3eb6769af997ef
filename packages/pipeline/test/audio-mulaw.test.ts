import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { MULAW_SILENCE, mulawToPcm, pcmToMulaw } from '../src/audio/mulaw.ts';
import { CLIPS_8K, snrDb, speechClip } from './fixtures/speech.ts';

describe('µ-law', () => {
  it('round-trips real 8 kHz speech with more than 30 dB SNR', () => {
    for (const clip of CLIPS_8K) {
      const pcm = speechClip(clip, 8000);
      const bytes = pcmToMulaw(pcm);
      expect(bytes).toHaveLength(pcm.length);
      expect(snrDb(pcm, mulawToPcm(bytes))).toBeGreaterThan(30);
    }
  });

  it('decodes every byte exactly like alawmulaw, without negative zero', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const ours = mulawToPcm(all);
    const theirs = alawmulaw.mulaw.decode(all);
    expect(Array.from(ours)).toEqual(Array.from(theirs));
    expect(Object.is(ours[0x7f], -0)).toBe(false);
  });

  it('encodes silence as 0xFF and decodes 0xFF as silence', () => {
    expect(Array.from(pcmToMulaw(new Int16Array([0, 0])))).toEqual([MULAW_SILENCE, MULAW_SILENCE]);
    expect(Array.from(mulawToPcm(new Uint8Array([MULAW_SILENCE])))).toEqual([0]);
  });

  it('clips full-scale samples instead of wrapping', () => {
    const decoded = mulawToPcm(pcmToMulaw(new Int16Array([32767, -32768])));
    expect(decoded[0]).toBe(32124);
    expect(decoded[1]).toBe(-32124);
  });

  it('keeps the sign of small samples', () => {
    const decoded = mulawToPcm(pcmToMulaw(new Int16Array([100, -100, 1000, -1000])));
    expect(Array.from(decoded).map(Math.sign)).toEqual([1, -1, 1, -1]);
  });

  it('encodes every 16-bit sample exactly like alawmulaw', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(Buffer.from(pcmToMulaw(all)).equals(Buffer.from(alawmulaw.mulaw.encode(all)))).toBe(true);
  });

  it('encodes into a scratch array when given one, and refuses one too short', () => {
    const scratch = new Uint8Array(400);
    const pcm = Int16Array.from({ length: 160 }, (_, i) => i * 100 - 8000);
    const bytes = pcmToMulaw(pcm, scratch);
    expect(bytes.buffer).toBe(scratch.buffer);
    expect(Array.from(bytes)).toEqual(Array.from(pcmToMulaw(pcm)));
    expect(() => pcmToMulaw(pcm, new Uint8Array(100))).toThrow(RangeError);
  });

  it('decodes frames into memory no later frame overwrites (shared slabs), and long inputs into their own', () => {
    const frames: Array<{ bytes: Uint8Array; pcm: Int16Array }> = [];
    for (let n = 0; n < 500; n++) {
      const bytes = Uint8Array.from({ length: 160 }, (_, i) => (n * 7 + i) & 0xff);
      frames.push({ bytes, pcm: mulawToPcm(bytes) });
    }
    for (const { bytes, pcm } of frames) {
      expect(pcm).toHaveLength(160);
      expect(Array.from(pcm)).toEqual(Array.from(alawmulaw.mulaw.decode(bytes), (x) => x | 0));
    }
    // 500 frames of 20 ms share a few slabs rather than 500 backing stores.
    expect(new Set(frames.map((f) => f.pcm.buffer)).size).toBeLessThan(20);
    const long = mulawToPcm(new Uint8Array(8000));
    expect(long.byteOffset).toBe(0);
    expect(long.buffer.byteLength).toBe(16000);
  });
});
