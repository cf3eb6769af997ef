/**
 * The words of `text` a listener heard when `share` (0..1) of its audio was played:
 * words are taken in proportion to their character length, and a word counts as heard
 * only when its whole span was played.
 */
export function heardPrefix(text: string, share: number): string {
  if (share >= 1) return text;
  if (share <= 0) return '';
  const words = text.split(/\s+/).filter(Boolean);
  const total = words.reduce((n, w) => n + w.length + 1, 0);
  const budget = share * total;
  let used = 0;
  const heard: string[] = [];
  for (const w of words) {
    used += w.length + 1;
    if (used > budget + 0.5) break;
    heard.push(w);
  }
  return heard.join(' ');
}

/** Lower-case letters and digits only: how a timed word is matched against the text. */
function bare(word: string): string {
  return word.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * The part of `text` a listener heard when its first `count` timed `words` were played: `text`
 * up to the end of the last of them (with the punctuation attached to it). Words are matched
 * in order, ignoring case and punctuation; when the engine's words cannot be found in the text
 * (it spelled a number out, say), the heard words themselves are returned, joined by spaces.
 */
export function heardWordsPrefix(
  text: string,
  words: readonly { readonly word: string }[],
  count: number,
): string {
  const heard = words.slice(0, Math.max(0, count));
  if (heard.length === 0) return '';
  const tokens = [...text.matchAll(/\S+/g)].map((m) => ({ bare: bare(m[0]), end: m.index + m[0].length }));
  let at = 0; // token being matched
  let used = 0; // characters of its bare form matched already
  let end = 0;
  for (const { word } of heard) {
    const target = bare(word);
    if (!target) continue;
    let found = false;
    // A few tokens may be skipped: untimed ones such as a dash or a symbol.
    for (let k = at; k < tokens.length && k <= at + 3 && !found; k++) {
      const offset = k === at ? used : 0;
      const token = tokens[k]!;
      if (!token.bare.startsWith(target, offset)) continue;
      // Several timed pieces may share a token ("don't" timed as "don" and "'t").
      used = offset + target.length;
      at = used >= token.bare.length ? k + 1 : k;
      if (at > k) used = 0;
      end = token.end;
      found = true;
    }
    if (!found) return heard.map((w) => w.word).join(' ');
  }
  return text.slice(0, end);
}
