import { describe, expect, it } from 'vitest';
import { frame, ProcessorHarness, type TTSAudioChunk, TTSService } from '../src/index.ts';

/** Yields 1 s of a 440 Hz tone at 16 kHz per sentence, in 100 ms chunks. */
class ToneTTS extends TTSService {
  readonly sampleRateHz = 16000;
  protected override async *synthesize(): AsyncIterable<Int16Array> {
    for (let c = 0; c < 10; c++) {
      yield Int16Array.from({ length: 1600 }, (_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 440 * (c * 1600 + i)) / 16000)),
      );
    }
  }
}

describe('TTSService', () => {
  it('frames each sentence with tts_started/stopped and resamples to the output rate', async () => {
    const h = new ProcessorHarness(new ToneTTS());
    await h.start({ outputSampleRateHz: 8000 });
    h.send(frame('tts_speak', { text: 'Hello there.' }));
    await h.waitFor('tts_stopped');
    const started = h.ofType('tts_started')[0]!;
    expect(started.text).toBe('Hello there.');
    const audio = h.ofType('output_audio');
    expect(audio.every((a) => a.sampleRateHz === 8000 && a.contextId === started.contextId)).toBe(true);
    const samples = audio.reduce((n, a) => n + a.audio.length, 0);
    expect(samples).toBeGreaterThanOrEqual(7990);
    expect(samples).toBeLessThanOrEqual(8010);
    expect(h.ofType('metrics').map((m) => m.name)).toEqual(['characters', 'ttfb']);
  });

  it('passes word timings on with the audio, and timings without audio before tts_stopped', async () => {
    class TimedTTS extends TTSService {
      get sampleRateHz() {
        return this.outputSampleRateHz; // synthesizes at the call's rate: nothing to resample
      }
      protected override async *synthesize(): AsyncIterable<TTSAudioChunk> {
        yield { audio: new Int16Array(0), words: [{ word: 'Hello', startMs: 0, endMs: 300 }] };
        yield { audio: new Int16Array(4000) };
        yield { audio: new Int16Array(0), words: [{ word: 'there', startMs: 350, endMs: 600 }] };
      }
    }
    const h = new ProcessorHarness(new TimedTTS());
    await h.start({ outputSampleRateHz: 8000 });
    h.send(frame('tts_speak', { text: 'Hello there.' }));
    await h.waitFor('tts_stopped');
    const audio = h.ofType('output_audio');
    expect(audio.map((a) => [a.audio.length, a.words?.map((w) => w.word)])).toEqual([
      [4000, ['Hello']],
      [0, ['there']],
    ]);
    expect(audio[0]!.sampleRateHz).toBe(8000);
    expect(h.types().at(-1)).toBe('tts_stopped');
  });
});
