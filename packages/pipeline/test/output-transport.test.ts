import { describe, expect, it } from 'vitest';
import { frame } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';
import { heardPrefix } from '../src/transport/heard-text.ts';
import { type AudioSink, OutputTransport } from '../src/transport/output-transport.ts';

class RecordingSink implements AudioSink {
  readonly events: Array<{
    kind: 'audio' | 'mark' | 'clear';
    atMs: number;
    samples?: number;
    name?: string;
  }> = [];
  private readonly t0 = performance.now();
  sendAudio(pcm: Int16Array): void {
    this.events.push({ kind: 'audio', atMs: performance.now() - this.t0, samples: pcm.length });
  }
  sendMark(name: string): void {
    this.events.push({ kind: 'mark', atMs: performance.now() - this.t0, name });
  }
  clearAudio(): void {
    this.events.push({ kind: 'clear', atMs: performance.now() - this.t0 });
  }
  audio() {
    return this.events.filter((e) => e.kind === 'audio');
  }
}

const tone = (ms: number) => new Int16Array((8000 * ms) / 1000).fill(1000);

function speak(h: ProcessorHarness, id: string, text: string, ms: number) {
  h.send(frame('tts_started', { contextId: id, text }));
  h.send(frame('output_audio', { audio: tone(ms), sampleRateHz: 8000, channels: 1, contextId: id }));
  h.send(frame('tts_stopped', { contextId: id }));
}

describe('OutputTransport', () => {
  it('sends fixed 20 ms chunks paced in real time, then a mark per sentence', async () => {
    const sink = new RecordingSink();
    const h = new ProcessorHarness(new OutputTransport({ sink, leadMs: 40 }));
    await h.start();
    speak(h, 's1', 'Hello there.', 405); // not a multiple of 20 ms: the last chunk is padded
    await h.waitFor('bot_stopped_speaking', { timeoutMs: 3000 });
    const audio = sink.audio();
    expect(audio.length).toBe(21);
    expect(audio.every((a) => a.samples === 160)).toBe(true);
    // Real-time pacing: the last chunk goes out about 420 - 40 ms after the first.
    const span = audio.at(-1)!.atMs - audio[0]!.atMs;
    expect(span).toBeGreaterThan(300);
    expect(span).toBeLessThan(520);
    expect(sink.events.at(-1)).toMatchObject({ kind: 'mark', name: 's1' });
    expect(h.types('upstream')).toEqual(['bot_started_speaking', 'bot_stopped_speaking']);
  });

  it('reports a sentence as spoken when its mark echoes, and ignores stale marks', async () => {
    const sink = new RecordingSink();
    const h = new ProcessorHarness(new OutputTransport({ sink, leadMs: 500 }));
    await h.start();
    speak(h, 's1', 'First sentence.', 100);
    speak(h, 's2', 'Second one.', 100);
    await new Promise((r) => setTimeout(r, 30));
    h.send(frame('playback_mark', { name: 's1' }));
    expect(h.ofType('spoken_text').map((f) => f.text)).toEqual(['First sentence.']);
    h.send(frame('playback_mark', { name: 's1' }));
    h.send(frame('playback_mark', { name: 'unknown' }));
    h.send(frame('playback_mark', { name: 's2' }));
    expect(h.ofType('spoken_text').map((f) => f.text)).toEqual(['First sentence.', 'Second one.']);
  });

  it('on interruption clears the provider, drops queued audio and keeps only the words played', async () => {
    const sink = new RecordingSink();
    const h = new ProcessorHarness(new OutputTransport({ sink, leadMs: 40 }));
    await h.start();
    speak(h, 's1', 'one two three four five six seven eight nine ten', 1000);
    await new Promise((r) => setTimeout(r, 500));
    h.send(frame('interruption'));
    const sentBefore = sink.audio().length;
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.audio().length).toBe(sentBefore); // nothing more was sent
    expect(sink.events.some((e) => e.kind === 'clear')).toBe(true);
    const spoken = h.ofType('spoken_text');
    expect(spoken).toHaveLength(1);
    expect(spoken[0]!.partial).toBe(true);
    const words = spoken[0]!.text.split(' ');
    expect(words.length).toBeGreaterThanOrEqual(3);
    expect(words.length).toBeLessThanOrEqual(7);
    expect(h.types()).toContain('interruption');
    // A late echo of the cleared sentence's mark changes nothing.
    h.send(frame('playback_mark', { name: 's1' }));
    expect(h.ofType('spoken_text')).toHaveLength(1);
  });

  it('lets the queued audio play out before an end frame passes', async () => {
    const sink = new RecordingSink();
    const h = new ProcessorHarness(new OutputTransport({ sink, leadMs: 40 }));
    await h.start();
    speak(h, 's1', 'Goodbye.', 300);
    h.send(frame('end', { reason: 'done' }));
    await h.waitFor('end', { timeoutMs: 3000 });
    expect(sink.audio().length).toBe(15);
    const types = h.types();
    expect(types.indexOf('end')).toBeGreaterThan(types.indexOf('bot_stopped_speaking'));
  });
});

describe('heardPrefix', () => {
  it('keeps whole words in proportion to the share played', () => {
    expect(heardPrefix('one two three four', 0)).toBe('');
    expect(heardPrefix('one two three four', 0.5)).toBe('one two');
    expect(heardPrefix('one two three four', 1)).toBe('one two three four');
  });
});
