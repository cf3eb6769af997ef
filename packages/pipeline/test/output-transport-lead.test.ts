import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../src/clock/clock.ts';
import { frame, type WordTiming } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';
import { heardWordsPrefix } from '../src/transport/heard-text.ts';
import { type AudioSink, OutputTransport } from '../src/transport/output-transport.ts';

/**
 * A virtual clock whose event loop can stall: {@link stall} moves time on without running the
 * timers that come due, which then run late, all at the stall's end (as Node's do).
 */
class StallingClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.timers.push({ id: ++this.seq, at: this.t + Math.max(0, ms), fn });
    return this.seq as unknown as TimerHandle;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    this.timers = this.timers.filter((t) => (t.id as unknown) !== handle);
  }
  /** Runs the timers due by `now + ms` in time order (late ones at the current time). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await settle();
  }
  /** The event loop is busy for `ms`: no timer runs meanwhile. */
  stall(ms: number): void {
    this.t += ms;
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The caller's phone: plays the chunks it receives back to back in real time (a chunk that
 * arrives after the previous one ended is an underrun, heard as a gap), echoes a mark when the
 * audio before it was played, and on `clear` drops what it buffered and echoes pending marks
 * (Twilio's behaviour).
 */
class EmulatedPhone implements AudioSink {
  /** Where playback of what was received ends, ms; 0 before any audio. */
  private playEndMs = 0;
  private marks: Array<{ name: string; atMs: number }> = [];
  private readonly chunks: Array<{ startMs: number; endMs: number }> = [];
  readonly underruns: number[] = [];
  /** Audio buffered (received, not yet played) when each chunk arrived, ms, the chunk included. */
  readonly bufferedMs: number[] = [];
  clearedAtMs: number | undefined;
  chunksAfterClear = 0;

  constructor(
    private readonly clock: StallingClock,
    private readonly chunkMs: number,
  ) {}

  sendAudio(pcm: Int16Array, rateHz: number): void {
    const now = this.clock.now();
    expect((pcm.length * 1000) / rateHz).toBe(this.chunkMs);
    if (this.clearedAtMs !== undefined) this.chunksAfterClear++;
    if (this.playEndMs > 0 && now > this.playEndMs) this.underruns.push(now - this.playEndMs);
    const startMs = Math.max(now, this.playEndMs);
    this.playEndMs = startMs + this.chunkMs;
    this.chunks.push({ startMs, endMs: this.playEndMs });
    this.bufferedMs.push(this.playEndMs - now);
  }
  sendMark(name: string): void {
    this.marks.push({ name, atMs: Math.max(this.clock.now(), this.playEndMs) });
  }
  clearAudio(): void {
    const now = this.clock.now();
    this.clearedAtMs = now;
    this.playEndMs = Math.min(this.playEndMs, now);
    for (const c of this.chunks) c.endMs = Math.max(c.startMs, Math.min(c.endMs, now));
    for (const m of this.marks) m.atMs = now;
  }
  /** Marks played by now, removed from the pending list. */
  echoes(): string[] {
    const now = this.clock.now();
    const due = this.marks.filter((m) => m.atMs <= now);
    this.marks = this.marks.filter((m) => m.atMs > now);
    return due.map((m) => m.name);
  }
  /** Audio the caller heard so far, ms. */
  heardMs(): number {
    const now = this.clock.now();
    return this.chunks.reduce((sum, c) => sum + Math.max(0, Math.min(c.endMs, now) - c.startMs), 0);
  }
}

const TEXT = 'Your table for four is booked, see you on Friday.';
/** Ten words, 200 ms apart: word k spans [200k, 200k + 190] ms of a 2 s sentence. */
const WORDS: WordTiming[] = [
  'Your',
  'table',
  'for',
  'four',
  'is',
  'booked',
  'see',
  'you',
  'on',
  'Friday',
].map((word, k) => ({ word, startMs: k * 200, endMs: k * 200 + 190 }));

async function call(options: { leadMs?: number; chunkMs?: number; useMarks?: boolean } = {}) {
  const clock = new StallingClock();
  const phone = new EmulatedPhone(clock, options.chunkMs ?? 20);
  const h = new ProcessorHarness(new OutputTransport({ sink: phone, ...options }));
  await h.start({}, {}, clock);
  /** Moves time on in 5 ms steps, feeding the phone's mark echoes back as they come. */
  const run = async (ms: number) => {
    for (let left = ms; left > 0; left -= 5) {
      await clock.advance(Math.min(5, left));
      for (const name of phone.echoes()) h.send(frame('playback_mark', { name }));
    }
  };
  return { clock, phone, h, run };
}

function speak(h: ProcessorHarness, id: string, ms: number, text = TEXT, words?: WordTiming[]): void {
  h.send(frame('tts_started', { contextId: id, text }));
  const audio = new Int16Array(8 * ms).fill(700);
  h.send(
    frame('output_audio', {
      audio,
      sampleRateHz: 8000,
      channels: 1,
      contextId: id,
      ...(words ? { words } : {}),
    }),
  );
  h.send(frame('tts_stopped', { contextId: id }));
}

describe('OutputTransport: a bounded lead at the provider', () => {
  it('rides out 60 ms event-loop stalls with no underrun at the caller', async () => {
    const { clock, phone, h, run } = await call();
    speak(h, 's1', 2000);
    for (let i = 0; i < 5; i++) {
      await run(237);
      clock.stall(60);
    }
    await run(1500);
    expect(phone.underruns).toEqual([]);
    expect(phone.heardMs()).toBe(2000);
    expect(h.ofType('spoken_text')).toMatchObject([{ text: TEXT, partial: false }]);
  });

  it('underruns when the lead is shorter than the stall (the test can tell)', async () => {
    const { clock, phone, h, run } = await call({ leadMs: 20 });
    speak(h, 's1', 2000);
    await run(237);
    clock.stall(60);
    await run(2000);
    expect(phone.underruns.length).toBeGreaterThan(0);
  });

  it('keeps the lead bounded after a stall or a late sentence: no burst makes up a gap', async () => {
    const { clock, phone, h, run } = await call({ leadMs: 80 });
    speak(h, 's1', 500, 'First sentence.');
    await run(200);
    clock.stall(150); // longer than the lead: one gap the caller hears
    await run(500); // the first sentence ended; the next comes 200 ms late (within the stop delay)
    speak(h, 's2', 500, 'Second sentence.');
    await run(1500);
    expect(phone.underruns).toHaveLength(2);
    // Never more than the lead plus a chunk at the provider.
    expect(Math.max(...phone.bufferedMs)).toBeLessThanOrEqual(80 + 20);
    expect(phone.heardMs()).toBe(1000);
  });

  it('clears within one chunk on barge-in and keeps exactly the acknowledged words', async () => {
    const { clock, phone, h, run } = await call();
    speak(h, 's1', 2000, TEXT, WORDS);
    await run(400);
    clock.stall(60);
    await run(650); // 1110 ms: the word marks of "Your … booked," (up to 1190 ms) are not all back
    const before = h.ofType('playback_mark').length;
    expect(before).toBe(0); // marks are consumed, not passed on
    h.send(frame('interruption'));
    await run(500);
    expect(phone.clearedAtMs).toBe(1110);
    expect(phone.chunksAfterClear).toBe(0);
    // The caller heard up to the barge-in and nothing after it.
    expect(phone.heardMs()).toBeLessThanOrEqual(1110);
    // Five words ended by 990 ms of heard audio; word 5 ends at 1190.
    const heardWords = WORDS.filter((w) => w.endMs <= phone.heardMs()).length;
    expect(h.ofType('spoken_text')).toEqual([
      expect.objectContaining({ text: heardWordsPrefix(TEXT, WORDS, heardWords), partial: true }),
    ]);
  });

  it('without marks, the playback clock follows an underrun, so the heard words stay exact', async () => {
    const { clock, phone, h, run } = await call({ useMarks: false });
    speak(h, 's1', 2000, TEXT, WORDS);
    await run(300);
    clock.stall(250); // the phone runs dry for about 150 ms
    await run(700);
    expect(phone.underruns).toHaveLength(1);
    h.send(frame('interruption'));
    await settle();
    const heardWords = WORDS.filter((w) => w.endMs <= phone.heardMs()).length;
    // About 1080 ms heard of 1250 ms elapsed: five words, where the elapsed time would say six.
    expect(heardWords).toBe(5);
    expect(h.ofType('spoken_text')).toEqual([
      expect.objectContaining({ text: heardWordsPrefix(TEXT, WORDS, heardWords), partial: true }),
    ]);
  });

  it("keeps Exotel's 200 ms chunks whole and rides out a 60 ms stall", async () => {
    const { clock, phone, h, run } = await call({ chunkMs: 200 });
    speak(h, 's1', 2000);
    await run(390);
    for (let i = 0; i < 4; i++) {
      clock.stall(60); // each delays a tick (every 200 ms) by 50 ms
      await run(340);
    }
    await run(1500);
    expect(phone.underruns).toEqual([]);
    expect(phone.heardMs()).toBe(2000);
    // Two chunks ahead (more than the 80 ms lead), plus the one just sent.
    expect(Math.max(...phone.bufferedMs)).toBeLessThanOrEqual(3 * 200);
  });
});
