import type { WordTiming } from '@parley/pipeline';

/**
 * Character alignment of one streamed chunk, as the SDK parses ElevenLabs'
 * `alignment` / `normalized_alignment` (three parallel arrays, times in seconds from the
 * start of the request's audio; https://elevenlabs.io/docs/api-reference/text-to-speech/stream-with-timestamps).
 */
export interface CharacterAlignment {
  readonly characters: readonly string[];
  readonly characterStartTimesSeconds: readonly number[];
  readonly characterEndTimesSeconds: readonly number[];
}

/**
 * Turns the character alignment of a streamed synthesis into word timings, chunk by chunk.
 * A word is the run of characters between whitespace; it may start in one chunk and end in a
 * later one, so the open word is carried over until whitespace or {@link flush} ends it. Times
 * become ms from the utterance's first sample (start of the word's first character, end of
 * its last).
 */
export class WordAligner {
  private word = '';
  private startMs = 0;
  private endMs = 0;

  /** The words that `alignment` completes, in spoken order (often none, or the chunk's last word is still open). */
  add(alignment: CharacterAlignment): WordTiming[] {
    const { characters, characterStartTimesSeconds: starts, characterEndTimesSeconds: ends } = alignment;
    const words: WordTiming[] = [];
    const n = Math.min(characters.length, starts.length, ends.length);
    for (let i = 0; i < n; i++) {
      const c = characters[i] ?? '';
      if (/^\s*$/.test(c)) {
        this.close(words);
        continue;
      }
      if (!this.word) this.startMs = toMs(starts[i]);
      this.word += c;
      this.endMs = toMs(ends[i]);
    }
    return words;
  }

  /** The word still open at the end of the synthesis, if any (as a 0- or 1-element list). */
  flush(): WordTiming[] {
    const words: WordTiming[] = [];
    this.close(words);
    return words;
  }

  private close(into: WordTiming[]): void {
    if (!this.word) return;
    into.push({ word: this.word, startMs: this.startMs, endMs: Math.max(this.startMs, this.endMs) });
    this.word = '';
  }
}

/** Seconds to ms, rounded to the µs (drops the float noise of `0.6 * 1000`). */
function toMs(seconds: number | undefined): number {
  return Math.round((seconds ?? 0) * 1e6) / 1000;
}
