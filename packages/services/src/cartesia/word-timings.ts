import type { WordTiming } from '@parley/pipeline';

/** Cartesia's `word_timestamps`: parallel arrays, times in seconds. */
export interface CartesiaWordTimestamps {
  readonly words: readonly string[];
  readonly start: readonly number[];
  readonly end: readonly number[];
}

/**
 * Turns a `timestamps` message's `word_timestamps` into word timings of one sentence.
 *
 * Cartesia times words from the start of the context's audio (a context's audio is one
 * timeline across its continuations: https://docs.cartesia.ai/use-the-api/tts-websocket/contexts),
 * while a sentence's timings count from its own first sample; `sentenceStartMs` is where the
 * sentence begins on the context's timeline. Times are clamped to ≥ 0; empty words are dropped.
 *
 * @param timestamps Seconds from the context's first sample.
 * @param sentenceStartMs Audio of the context before this sentence, ms.
 * @returns Words in spoken order, ms from the sentence's first sample.
 */
export function sentenceWordTimings(
  timestamps: CartesiaWordTimestamps,
  sentenceStartMs: number,
): WordTiming[] {
  const timings: WordTiming[] = [];
  const count = Math.min(timestamps.words.length, timestamps.start.length, timestamps.end.length);
  for (let i = 0; i < count; i++) {
    const word = timestamps.words[i]!.trim();
    if (!word) continue;
    const startMs = Math.max(0, timestamps.start[i]! * 1000 - sentenceStartMs);
    const endMs = Math.max(startMs, timestamps.end[i]! * 1000 - sentenceStartMs);
    timings.push({ word, startMs, endMs });
  }
  return timings;
}
