import { describe, expect, it } from 'vitest';
import type { VirtualClock } from '../src/clock/virtual-clock.ts';
import { frame } from '../src/frames/frames.ts';
import type { ProcessorHarness } from '../src/testing/harness.ts';
import { heardPrefix } from '../src/transport/heard-text.ts';
import { type AudioSink, OutputTransport } from '../src/transport/output-transport.ts';
import { onVirtualClock } from './turn-harness.ts';

/** Records what reaches the provider; each 20 ms chunk of test audio carries its number as samples. */
class Sink implements AudioSink {
  readonly events: Array<{ kind: 'audio' | 'mark' | 'clear'; atMs: number; chunk?: number; name?: string }> =
    [];
  clock: VirtualClock | undefined;
  sendAudio(pcm: Int16Array): void {
    this.events.push({ kind: 'audio', atMs: this.now(), chunk: pcm[0]! });
  }
  sendMark(name: string): void {
    this.events.push({ kind: 'mark', atMs: this.now(), name });
  }
  clearAudio(): void {
    this.events.push({ kind: 'clear', atMs: this.now() });
  }
  chunks(): number[] {
    return this.events.filter((e) => e.kind === 'audio').map((e) => e.chunk!);
  }
  private now(): number {
    return this.clock?.now() ?? 0;
  }
}

/** `count` chunks of 20 ms at 8 kHz numbered from `first`. */
function numbered(first: number, count: number): Int16Array {
  const pcm = new Int16Array(count * 160);
  for (let i = 0; i < count; i++) pcm.fill(first + i, i * 160, (i + 1) * 160);
  return pcm;
}

function speak(h: ProcessorHarness, id: string, text: string, pcm: Int16Array): void {
  h.send(frame('tts_started', { contextId: id, text }));
  h.send(frame('output_audio', { audio: pcm, sampleRateHz: 8000, channels: 1, contextId: id }));
  h.send(frame('tts_stopped', { contextId: id }));
}

async function transport() {
  const sink = new Sink();
  const c = await onVirtualClock(new OutputTransport({ sink, leadMs: 80 }));
  sink.clock = c.clock;
  return { ...c, sink };
}

describe('OutputTransport: output_pause / output_resume', () => {
  it('sends nothing while paused and resumes, in order, from the chunk being played', async () => {
    const { h, clock, sink } = await transport();
    speak(h, 's1', 'A long sentence.', numbered(1, 50)); // 1 s
    await clock.advance(310); // chunk 16 plays (300–320 ms); 19 were sent (80 ms lead)
    expect(sink.chunks()).toEqual(range(1, 19));
    h.send(frame('output_pause'));
    expect(sink.events.at(-1)?.kind).toBe('clear'); // the provider drops what it buffered
    await clock.advance(1000);
    expect(sink.events.at(-1)?.kind).toBe('clear'); // nothing was sent while paused
    expect(h.ofType('bot_stopped_speaking')).toEqual([]); // still the bot's turn
    h.send(frame('output_resume'));
    await clock.advance(2000);
    expect(sink.chunks()).toEqual([...range(1, 19), ...range(16, 50)]);
    // The recorder gets every chunk once, in order.
    expect(h.ofType('output_audio').map((a) => a.audio[0])).toEqual(range(1, 50));
    expect(h.ofType('bot_stopped_speaking')).toHaveLength(1);
  });

  it('keeps the playback clock stopped while paused: a resume plays the rest in real time', async () => {
    const { h, clock, sink } = await transport();
    speak(h, 's1', 'Words.', numbered(1, 25)); // 500 ms
    await clock.advance(200);
    h.send(frame('output_pause'));
    await clock.advance(5000);
    h.send(frame('output_resume'));
    const resumedAt = clock.now();
    await clock.advance(1000);
    const last = sink.events.filter((e) => e.kind === 'audio').at(-1)!;
    // 300 ms of audio were left (from chunk 11); the last chunk goes out 80 ms before it plays.
    expect(last.atMs - resumedAt).toBe(300 - 80);
  });

  it('withdraws the mark of a sentence not fully played; its cleared echo is ignored, a new mark follows', async () => {
    const { h, clock, sink } = await transport();
    speak(h, 's1', 'First.', numbered(1, 5)); // 100 ms
    speak(h, 's2', 'Second sentence.', numbered(6, 20));
    await clock.advance(20); // chunk 5 sent: s1's mark goes out
    expect(sink.events.filter((e) => e.kind === 'mark').map((e) => e.name)).toEqual(['s1']);
    await clock.advance(10);
    h.send(frame('output_pause')); // chunk 2 is playing: s1 was not all played
    h.send(frame('playback_mark', { name: 's1' }), 'downstream'); // Twilio echoes cleared marks
    expect(h.ofType('spoken_text')).toEqual([]);
    await clock.advance(500);
    h.send(frame('output_resume'));
    await clock.advance(100);
    expect(sink.events.filter((e) => e.kind === 'mark').map((e) => e.name)).toEqual(['s1', 's1#2']);
    h.send(frame('playback_mark', { name: 's1#2' }));
    expect(h.ofType('spoken_text').map((t) => t.text)).toEqual(['First.']);
  });

  it('on an interruption during a pause, clears and keeps only what was played before the pause', async () => {
    const { h, clock, sink } = await transport();
    const text = 'one two three four five six seven eight nine ten';
    speak(h, 's1', text, numbered(1, 50));
    await clock.advance(500); // half played
    h.send(frame('output_pause'));
    await clock.advance(2000);
    const sent = sink.chunks().length;
    h.send(frame('interruption'));
    await clock.advance(1000);
    expect(sink.chunks()).toHaveLength(sent);
    expect(sink.events.filter((e) => e.kind === 'clear')).toHaveLength(2);
    expect(h.ofType('spoken_text')).toMatchObject([{ text: heardPrefix(text, 0.5), partial: true }]);
    expect(h.ofType('bot_stopped_speaking')).toHaveLength(1);
  });

  it('holds audio that arrives while paused before the bot spoke, and starts on resume', async () => {
    const { h, clock, sink } = await transport();
    h.send(frame('output_pause'));
    speak(h, 's1', 'Hello.', numbered(1, 10));
    await clock.advance(1000);
    expect(sink.events).toEqual([]);
    expect(h.ofType('bot_started_speaking')).toEqual([]);
    h.send(frame('output_resume'));
    await clock.advance(1000);
    expect(sink.chunks()).toEqual(range(1, 10));
    expect(h.types()).toContain('bot_started_speaking');
  });

  it('plays out the queue on end even when paused', async () => {
    const { h, clock, sink } = await transport();
    speak(h, 's1', 'Bye.', numbered(1, 10));
    await clock.advance(50);
    h.send(frame('output_pause'));
    h.send(frame('end', { reason: 'done' }));
    await clock.advance(1000);
    await h.waitFor('end');
    expect(new Set(sink.chunks())).toEqual(new Set(range(1, 10)));
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
