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
});
