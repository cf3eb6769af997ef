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
