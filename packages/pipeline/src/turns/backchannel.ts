/**
 * Short acknowledgements a caller makes while the bot speaks ("mhm", "uh-huh", "okay", "i see"):
 * they show the caller is listening and must neither stop the bot nor get a reply.
 * Lower case, words separated by single spaces (see {@link transcriptWords}).
 */
export const DEFAULT_BACKCHANNELS: readonly string[] = Object.freeze([
  'mhm',
  'mhmm',
  'mm',
  'mmm',
  'mm hmm',
  'hm',
  'hmm',
  'uh huh',
  'uh',
  'um',
  'ah',
  'oh',
  'okay',
  'ok',
  'kay',
  'yeah',
  'yes',
  'yep',
  'yup',
  'right',
  'alright',
  'all right',
  'i see',
  'sure',
  'got it',
  'cool',
  'great',
  'nice',
  'good',
  'exactly',
  'true',
  'wow',
  'thanks',
  'thank you',
]);

/**
 * The words of a transcript, normalised for matching: lower case, hyphens as spaces
 * (`Uh-huh` → `uh huh`), punctuation other than in-word apostrophes removed.
 *
 * @example transcriptWords('Uh-huh, OK.') // ['uh', 'huh', 'ok']
 */
export function transcriptWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[-‐–—]/g, ' ')
    .replace(/[^\p{L}\p{N}'’ ]+/gu, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^['’]+|['’]+$/g, ''))
    .filter(Boolean);
}

/**
 * Tells whether a transcript is only backchannels: every word belongs to one of the phrases,
 * in any number and order ("yeah yeah", "okay i see", "mm hmm right").
 */
export class BackchannelMatcher {
  private readonly phrases: readonly (readonly string[])[];

  /**
   * @param phrases Backchannel phrases (any case and punctuation; normalised with
   *   {@link transcriptWords}). Default {@link DEFAULT_BACKCHANNELS}; `[]` turns detection off.
   */
  constructor(phrases: readonly string[] = DEFAULT_BACKCHANNELS) {
    this.phrases = phrases.map(transcriptWords).filter((p) => p.length > 0);
  }

  /** True when `text` has words and all of them are backchannel phrases. False for empty text. */
  isBackchannel(text: string): boolean {
    return this.coversAll(transcriptWords(text));
  }

  /** True when `words` (normalised) is non-empty and splits entirely into backchannel phrases. */
  coversAll(words: readonly string[]): boolean {
    const n = words.length;
    if (n === 0 || this.phrases.length === 0) return false;
    // reachable[i]: words[0..i) splits into phrases.
    const reachable = new Array<boolean>(n + 1).fill(false);
    reachable[0] = true;
    for (let i = 0; i < n; i++) {
      if (!reachable[i]) continue;
      for (const p of this.phrases) {
        if (i + p.length <= n && p.every((w, k) => words[i + k] === w)) reachable[i + p.length] = true;
      }
    }
    return reachable[n]!;
  }
}
