/** Words that end with a period without ending the sentence ("Mr. Smith", "Acme Inc. sells"). */
const ABBREVIATIONS = new Set([
  // titles
  'mr',
  'mrs',
  'ms',
  'mx',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'rev',
  'hon',
  'gen',
  'col',
  'capt',
  'lt',
  'sgt',
  'gov',
  'sen',
  'rep',
  'messrs',
  // companies and addresses
  'inc',
  'ltd',
  'co',
  'corp',
  'bros',
  'dept',
  'ave',
  'blvd',
  'rd',
  'mt',
  'apt',
  // months (not "may")
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  // Latin and the like
  'vs',
  'etc',
  'cf',
  'al',
  'approx',
  'est',
  'e.g',
  'i.e',
]);

/** Abbreviations only before a number ("No. 5", "Fig. 3"); otherwise a real word may end the sentence ("No."). */
const NUMBER_ABBREVIATIONS = new Set(['no', 'nos', 'nr', 'fig', 'vol', 'pp', 'ch', 'sec', 'art']);

/** Sentence ends that need no space after them: CJK full stops and marks, the Devanagari danda. */
const CLOSED_ENDS = new Set(['。', '！', '？', '｡', '।', '॥']);

/**
 * Characters that may follow the end punctuation inside the sentence: closing quotes and
 * brackets, and Markdown emphasis and code marks ("**Done.** Next").
 */
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '»', '」', '』', '）', '*', '_', '`', '~']);

/**
 * Index just past the first complete sentence in `text`, or 0 when none is complete yet.
 * Streaming-safe: it answers 0 rather than guess when the text that follows decides.
 *
 * A sentence ends:
 * - at `.`, `!`, `?` or `…` followed by whitespace (closing quotes and brackets right after the
 *   punctuation stay with the sentence, as do Markdown emphasis marks), except for a period after a known abbreviation
 *   ("Mr. Smith", "e.g. this", "Acme Inc. sells"), a single-letter initial ("J. R. Smith"),
 *   a dotted initialism ("U.S. law", "5 p.m. sharp", "Ph.D. student"), a numbered-list marker
 *   at the start of a line ("1. First"), or "No."/"Fig."… before a number ("No. 5"). A period
 *   between digits ("3.5", "$29.95/month") never ends one;
 * - at `。！？` and the Devanagari danda `।`, without a space after them;
 * - at a line break, when the line holds text (list items and headings without punctuation).
 */
export function nextSentenceEnd(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (CLOSED_ENDS.has(c)) return skipClosers(text, i + 1);
    if (c === '\n') {
      if (text.slice(0, i).trim() !== '') return i + 1;
      continue;
    }
    if (c !== '.' && c !== '!' && c !== '?' && c !== '…') continue;
    const end = skipClosers(text, i + 1);
    const next = text[end];
    if (next === undefined) return 0; // more punctuation, a decimal or a closing quote may follow
    if (!/\s/.test(next)) continue;
    if (c === '.') {
      const verdict = periodEndsSentence(text, i, end);
      if (verdict === 'wait') return 0;
      if (verdict === 'no') continue;
    }
    return end;
  }
  return 0;
}

function skipClosers(text: string, from: number): number {
  let j = from;
  while (j < text.length && CLOSERS.has(text[j]!)) j++;
  return j;
}

/** Whether the period at `i` (followed by whitespace at `after`) ends a sentence. */
function periodEndsSentence(text: string, i: number, after: number): 'yes' | 'no' | 'wait' {
  const before = text.slice(0, i);
  // The word before the period, without leading brackets, quotes or markdown emphasis.
  const token = (/(\S*)$/.exec(before)?.[1] ?? '').replace(/^[^\p{L}\p{N}]+/u, '');
  if (token === '') return 'yes';
  if (/^\d{1,3}$/.test(token) && /(?:^|\n)[ \t]*\d{1,3}$/.test(before)) return 'no'; // "1. First"
  const word = token.toLowerCase();
  if (ABBREVIATIONS.has(word)) return 'no';
  if (/^\p{L}$/u.test(word)) return 'no'; // an initial
  if (/^(?:\p{L}{1,2}\.)+\p{L}{1,2}$/u.test(word)) return 'no'; // U.S, p.m, Ph.D
  if (NUMBER_ABBREVIATIONS.has(word)) {
    const rest = text.slice(after).trimStart();
    if (rest === '') return 'wait';
    return /^\d/.test(rest) ? 'no' : 'yes';
  }
  return 'yes';
}
