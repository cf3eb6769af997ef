import { describe, expect, it } from 'vitest';
import type { VirtualClock } from '../src/clock/virtual-clock.ts';
import { frame, type WordTiming } from '../src/frames/frames.ts';
import { heardWordsPrefix } from '../src/transport/heard-text.ts';
import { type AudioSink, OutputTransport } from '../src/transport/output-transport.ts';
import { onVirtualClock } from './turn-harness.ts';

class Sink implements AudioSink {
  readonly marks: Array<{ name: string; atSample: number }> = [];
  sent = 0;
  cleared = 0;
  clock: VirtualClock | undefined;
  sendAudio(pcm: Int16Array): void {
    this.sent += pcm.length;
  }
  sendMark(name: string): void {
    this.marks.push({ name, atSample: this.sent });
  }
  clearAudio(): void {
    this.cleared++;
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

async function transport(useMarks: boolean) {
  const sink = new Sink();
  const c = await onVirtualClock(new OutputTransport({ sink, leadMs: 80, useMarks }));
  sink.clock = c.clock;
  return { ...c, sink };
}

function speakTimed(
  h: { send: (f: ReturnType<typeof frame>) => void },
  words: WordTiming[],
  wordsFirst: boolean,
) {
  h.send(frame('tts_started', { contextId: 's1', text: TEXT }));
  const audio = new Int16Array(16000).fill(500); // 2 s at 8 kHz
  if (wordsFirst) {
    h.send(
      frame('output_audio', {
        audio: new Int16Array(0),
        sampleRateHz: 8000,
        channels: 1,
        contextId: 's1',
        words,
      }),
    );
    h.send(frame('output_audio', { audio, sampleRateHz: 8000, channels: 1, contextId: 's1' }));
  } else {
    h.send(frame('output_audio', { audio, sampleRateHz: 8000, channels: 1, contextId: 's1' }));
    h.send(
      frame('output_audio', {
        audio: new Int16Array(0),
        sampleRateHz: 8000,
        channels: 1,
        contextId: 's1',
        words,
      }),
    );
  }
  h.send(frame('tts_stopped', { contextId: 's1' }));
}

describe('OutputTransport: heard text at word precision', () => {
  it('sends a mark after the chunk holding each word end, before the sentence mark', async () => {
    const { h, clock, sink } = await transport(true);
    speakTimed(h, WORDS, true);
    await clock.advance(2500);
    const names = sink.marks.map((m) => m.name);
    expect(names).toEqual([...WORDS.map((_, k) => `s1@0.${k}`), 's1']);
    // Word 0 ends at 190 ms = sample 1520: its mark follows the chunk that ends at sample 1600.
    expect(sink.marks[0]!.atSample).toBe(1600);
    expect(sink.marks[9]!.atSample).toBe(16000);
  });

  it('keeps exactly the words whose marks the provider echoed, not what the clock guesses', async () => {
    const { h, clock, sink } = await transport(true);
    speakTimed(h, WORDS, false); // timings after the audio, as some engines send them
    await clock.advance(1300); // by the clock, six words were played
    const sent = sink.marks.map((m) => m.name);
    expect(sent.length).toBeGreaterThanOrEqual(6);
    // The provider acknowledged four words only (network delay, say), one of them out of order.
    for (const k of [0, 1, 3]) h.send(frame('playback_mark', { name: `s1@0.${k}` }));
    h.send(frame('playback_mark', { name: 's1@7.5' })); // another generation: stale
    h.send(frame('interruption'));
    expect(h.ofType('spoken_text')).toMatchObject([{ text: 'Your table for four', partial: true }]);
    expect(sink.cleared).toBe(1);
  });

  it('without marks, keeps the words whose end the playback clock passed', async () => {
    const { h, clock } = await transport(false);
    speakTimed(h, WORDS, true);
    await clock.advance(1200); // word 5 ("booked,") ends at 1190 ms, word 6 at 1390
    h.send(frame('interruption'));
    expect(h.ofType('spoken_text')).toMatchObject([
      { text: 'Your table for four is booked,', partial: true },
    ]);
  });

  it('withdraws word marks a pause cleared, and sends them again after the resume', async () => {
    const { h, clock, sink } = await transport(true);
    speakTimed(h, WORDS, true);
    await clock.advance(500);
    h.send(frame('playback_mark', { name: 's1@0.0' }));
    h.send(frame('output_pause'));
    // The provider echoes the cleared marks at once (Twilio does after `clear`): all stale.
    for (const m of sink.marks) h.send(frame('playback_mark', { name: m.name }));
    h.send(frame('output_resume'));
    await clock.advance(300);
    expect(sink.marks.some((m) => m.name === 's1@1.1')).toBe(true);
    h.send(frame('interruption'));
    expect(h.ofType('spoken_text')).toMatchObject([{ text: 'Your', partial: true }]);
  });

  it('falls back to the share played for sentences without timings', async () => {
    const { h, clock } = await transport(false);
    h.send(frame('tts_started', { contextId: 's1', text: 'one two three four' }));
    h.send(
      frame('output_audio', {
        audio: new Int16Array(8000),
        sampleRateHz: 8000,
        channels: 1,
        contextId: 's1',
      }),
    );
    h.send(frame('tts_stopped', { contextId: 's1' }));
    await clock.advance(500);
    h.send(frame('interruption'));
    expect(h.ofType('spoken_text')).toMatchObject([{ text: 'one two', partial: true }]);
  });
});

describe('heardWordsPrefix', () => {
  const w = (...words: string[]) => words.map((word) => ({ word }));
  it('returns the text up to the last heard word, punctuation included', () => {
    expect(heardWordsPrefix('Hello, world. How are you?', w('Hello', 'world', 'How'), 2)).toBe(
      'Hello, world.',
    );
    expect(heardWordsPrefix('Hello, world.', w('Hello', 'world'), 0)).toBe('');
  });
  it('matches words split by the engine, and skips untimed symbols', () => {
    expect(heardWordsPrefix("I don't know — really", w('I', 'don', "'t", 'know', 'really'), 3)).toBe(
      "I don't",
    );
    expect(heardWordsPrefix("I don't know — really", w('I', 'don', "'t", 'know', 'really'), 5)).toBe(
      "I don't know — really",
    );
  });
  it('does not match a short word inside a later one', () => {
    expect(heardWordsPrefix('the cat sat', w('the', 'a'), 2)).toBe('the a');
  });
  it('returns the engine words when the text spelled them otherwise', () => {
    expect(heardWordsPrefix('It costs 25 dollars', w('It', 'costs', 'twenty', 'five'), 3)).toBe(
      'It costs twenty',
    );
  });
});
