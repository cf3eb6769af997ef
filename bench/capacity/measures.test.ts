import { describe, expect, it } from 'vitest';
import { GcTally, InputLateness, mediaTimestampMs, PlaybackMeter, percentile } from './measures.ts';

describe('capacity bench measures', () => {
  it('takes percentiles by nearest rank, without reordering the input', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 90)).toBe(9);
    expect(values[0]).toBe(5);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('counts a chunk that arrives after the previous one finished playing as an underrun, with its gap', () => {
    const m = new PlaybackMeter(20);
    m.audio(0); // plays 0–20
    m.audio(5); // queued: 20–40
    m.audio(39); // on time: 40–60
    m.audio(75); // 15 ms late
    m.audio(80); // queued behind it: 95–115
    expect(m.chunks).toBe(5);
    expect(m.gapsMs).toEqual([15]);
    expect(m.playing(100)).toBe(true);
    expect(m.playing(115)).toBe(false);
  });

  it('does not count a pause between sentences or after a clear as an underrun', () => {
    const m = new PlaybackMeter(20);
    m.audio(0);
    m.mark('s1', 1); // the sentence ends; its echo is due when its audio played
    m.mark('s2@0.1', 2); // a word mark does not end a sentence
    m.audio(500); // the next sentence, after a pause
    m.audio(600); // a gap inside it
    expect(m.gapsMs).toEqual([80]);
    m.clear(605);
    m.audio(900);
    expect(m.gapsMs).toEqual([80]);
  });

  it('echoes marks once the audio before them was played, and all pending ones on clear', () => {
    const m = new PlaybackMeter(20);
    m.audio(0);
    m.audio(0);
    m.mark('a', 1); // due at 40
    expect(m.dueMarks(39)).toEqual([]);
    expect(m.dueMarks(40)).toEqual(['a']);
    m.audio(50);
    m.mark('b', 51); // due at 70
    m.clear(55);
    expect(m.dueMarks(55)).toEqual(['b']);
    expect(m.dueMarks(100)).toEqual([]);
  });

  it('finds late input frames against the best-placed frame of the stream', () => {
    const l = new InputLateness(20);
    expect(l.frame(1000, 20)).toBe(false); // offset 980
    expect(l.frame(1021, 40)).toBe(false); // 1 ms behind
    expect(l.frame(1065, 60)).toBe(true); // 25 ms behind
    expect(l.frame(1070, 100)).toBe(false); // early: the new baseline (offset 970)
    expect(l.frame(1101, 110)).toBe(true); // 21 ms behind the new baseline
    expect(l.frame(1120, 130)).toBe(false); // exactly 20 ms behind: on time
    expect({ frames: l.frames, late: l.late }).toEqual({ frames: 6, late: 2 });
  });

  it('totals garbage-collection pauses, keeps the longest and counts the major ones', () => {
    const gc = new GcTally();
    gc.add(2.5, false);
    gc.add(14, true);
    gc.add(3, false);
    expect(gc).toMatchObject({ totalMs: 19.5, maxMs: 14, count: 3, major: 1 });
  });

  it("reads a Twilio media message's timestamp without parsing it", () => {
    const msg = Buffer.from(
      '{"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound","chunk":"2","timestamp":"1234","payload":"/w=="}}',
    );
    expect(mediaTimestampMs(msg)).toBe(1234);
    expect(mediaTimestampMs(Buffer.from('{"event":"mark","mark":{"name":"x"}}'))).toBeUndefined();
    expect(mediaTimestampMs(Buffer.from('{"timestamp":"x"}'))).toBeUndefined();
  });
});
