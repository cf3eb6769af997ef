import { describe, expect, it } from 'vitest';
import { BackchannelMatcher, transcriptWords } from '../src/turns/backchannel.ts';
import { AdaptiveEndpointing } from '../src/turns/endpointing.ts';

describe('AdaptiveEndpointing', () => {
  it('starts at the minimum delay', () => {
    expect(new AdaptiveEndpointing().delaySecs).toBe(0.5);
  });

  it('waits a margin beyond the caller’s typical pause, clamped to [min, max]', () => {
    // smoothing 1: the typical pause is the latest one
    const e = new AdaptiveEndpointing({ minDelaySecs: 0.5, maxDelaySecs: 3, marginSecs: 0.25, smoothing: 1 });
    e.recordPause(0.1);
    expect(e.delaySecs).toBe(0.5); // 0.35 → the minimum
    e.recordPause(1.2);
    expect(e.delaySecs).toBeCloseTo(1.45);
    e.recordPause(2.9);
    expect(e.delaySecs).toBe(3); // 3.15 → the maximum
  });

  it('averages pauses from a prior at the minimum, so one odd pause moves it only part way', () => {
    const e = new AdaptiveEndpointing(); // 0.5–3 s, margin 0.25, smoothing 0.3
    expect(e.typicalPauseSecs).toBe(0.25);
    e.recordPause(1.5);
    expect(e.delaySecs).toBeCloseTo(0.3 * 1.5 + 0.7 * 0.25 + 0.25); // 0.875
    for (let i = 0; i < 20; i++) e.recordPause(1.5);
    expect(e.delaySecs).toBeCloseTo(1.75, 2); // converges on 1.5 + 0.25
    expect(e.pausesLearned).toBe(21);
  });

  it('ignores pauses longer than the maximum, and everything when not adaptive', () => {
    const e = new AdaptiveEndpointing({ maxDelaySecs: 2 });
    e.recordPause(2.5);
    expect(e.pausesLearned).toBe(0);
    const fixed = new AdaptiveEndpointing({ adaptive: false, minDelaySecs: 0.8 });
    fixed.recordPause(1.5);
    expect(fixed.delaySecs).toBe(0.8);
  });

  it('rejects a maximum below the minimum', () => {
    expect(() => new AdaptiveEndpointing({ minDelaySecs: 2, maxDelaySecs: 1 })).toThrow(RangeError);
  });
});

describe('BackchannelMatcher', () => {
  const m = new BackchannelMatcher();

  it('normalises transcripts into words', () => {
    expect(transcriptWords('Uh-huh, OK.')).toEqual(['uh', 'huh', 'ok']);
    expect(transcriptWords("  I'm   here! ")).toEqual(["i'm", 'here']);
  });

  it('recognises backchannels alone or strung together, in any case and punctuation', () => {
    for (const t of [
      'mhm',
      'Mm-hmm.',
      'Uh-huh',
      'okay',
      'Yeah, yeah.',
      'I see',
      'okay, I see, right',
      'Thank you.',
    ]) {
      expect(m.isBackchannel(t), t).toBe(true);
    }
  });

  it('does not take real words or empty text for a backchannel', () => {
    for (const t of ['', 'no', 'stop', 'yeah but wait', 'I see a problem', 'okay so what about Tuesday']) {
      expect(m.isBackchannel(t), t).toBe(false);
    }
  });

  it('uses the given phrases; none turns detection off', () => {
    expect(new BackchannelMatcher(['d’accord', 'oui']).isBackchannel('Oui, oui, d’accord')).toBe(true);
    expect(new BackchannelMatcher([]).isBackchannel('mhm')).toBe(false);
  });
});
