/**
 * A cheap guard against deeply nested JSON, run before `JSON.parse`: V8 parses a 64 KB string
 * of nested arrays in about 10 ms (the same size flat takes 0.05 ms), so a client could spend
 * our CPU with small messages. Scanning the structure costs microseconds and stops at the
 * first bracket too deep.
 */

/**
 * Whether `text` nests arrays and objects more than `maxDepth` levels deep (`{}` and `[]` are
 * one level; `{"a":[1]}` is two). Brackets inside strings do not count. Does not check that
 * `text` is JSON: malformed text is left to `JSON.parse` (an unterminated string ends the scan).
 * Runs in time linear in the characters outside strings; string contents are skipped with
 * `indexOf`.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) return false;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Index of the quote that ends the string opened at `open`, or -1 if it is not closed. */
function closingQuote(text: string, open: number): number {
  let i = open;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0) return -1;
    // Escaped only by an odd run of backslashes (`\\"` ends the string).
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}
