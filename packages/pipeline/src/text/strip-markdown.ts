/** Options of {@link stripMarkdown}. */
export interface StripMarkdownOptions {
  /** Remove emoji (pictographs, flags, skin tones, keycap marks). Default true. */
  readonly removeEmoji?: boolean;
}

const FENCE = /^\s*(?:```|~~~)/;
const RULE = /^\s{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?\s*$/;
const HEADING = /^\s{0,3}#{1,6}[ \t]+/;
const HEADING_CLOSE = /[ \t]+#+[ \t]*$/;
const QUOTE = /^\s*(?:>[ \t]?)+/;
const BULLET = /^\s*[-*+•▪◦‣][ \t]+(?:\[[ xX]\][ \t]+)?/;
const NUMBERED = /^\s*\d{1,3}[.)][ \t]+/;

const IMAGE = /!\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)/g;
const LINK = /\[([^\]]+)\]\((?:[^()]|\([^()]*\))*\)/g;
const REFERENCE_LINK = /\[([^\]]+)\]\[[^\]]*\]/g;
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^>\s]+)>/g;
const LINE_BREAK_TAG = /<br\s*\/?>/gi;
const HTML_TAG = /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?\/?>/g;
/** Pictographs, regional-indicator flags, skin tones, and the joiners, selectors and tags that build emoji. */
const EMOJI =
  /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}]|[\u{1F3FB}-\u{1F3FF}]|\u{FE0F}|\u{200D}|\u{20E3}|[\u{E0020}-\u{E007F}]/gu;

/**
 * Turn a piece of Markdown written by an LLM into plain text a TTS can read: the words stay,
 * the syntax goes.
 *
 * Removed: `**bold**`, `*italics*`, `__bold__`, `_italics_` and `~~strike~~` markers (also
 * when unbalanced, as when a sentence split cuts a span in two; `*` between spaces or digits,
 * as in "2 * 3", and `_` inside words, as in `snake_case`, stay), backticks of inline code and
 * code-fence lines, heading `#`s, block-quote `>`s, bullet and numbered-list markers at the
 * start of a line, horizontal rules, table separator rows, simple HTML tags, and emoji (unless
 * `removeEmoji` is false). Links and images keep their text (`[text](url)` → `text`), autolinks
 * keep the address, table rows become their cells separated by commas. Sentence punctuation
 * is kept; spaces left before it are closed up.
 *
 * Works line by line, so it is safe on any slice of a stream that holds whole lines or whole
 * sentences (it runs on each `tts_speak`).
 *
 * @example stripMarkdown('**Note:** see [our site](https://x.y).') // 'Note: see our site.'
 */
export function stripMarkdown(text: string, options: StripMarkdownOptions = {}): string {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = stripLine(raw);
    if (line !== undefined) lines.push(line);
  }
  let out = lines.join('\n');
  out = out
    .replace(IMAGE, '$1')
    .replace(LINK, '$1')
    .replace(REFERENCE_LINK, '$1')
    .replace(AUTOLINK, '$1')
    .replace(LINE_BREAK_TAG, ' ')
    .replace(HTML_TAG, '')
    .replace(/`+/g, '')
    .replace(/\*\*|__|~~/g, '')
    .replace(/\*/g, (star, offset: number, s: string) =>
      keepsStar(s[offset - 1], s[offset + 1]) ? star : '',
    )
    .replace(/(^|[^\p{L}\p{N}_])_+(?=\S)/gu, '$1')
    .replace(/(?<=\S)_+(?=$|[^\p{L}\p{N}_])/gu, '');
  if (options.removeEmoji ?? true) out = out.replace(EMOJI, '');
  return out
    .split('\n')
    .map((l) =>
      l
        .replace(/[ \t]+/g, ' ')
        .replace(/ ([.,!?;:…])/g, '$1')
        .trim(),
    )
    .filter((l) => l !== '')
    .join('\n');
}

/** One line without its block syntax, or undefined when nothing of it is read aloud. */
function stripLine(raw: string): string | undefined {
  if (FENCE.test(raw) || RULE.test(raw) || TABLE_SEPARATOR.test(raw)) return undefined;
  let line = raw;
  if (HEADING.test(line)) line = line.replace(HEADING, '').replace(HEADING_CLOSE, '');
  line = line.replace(QUOTE, '');
  line = line.replace(BULLET, '').replace(NUMBERED, '');
  if (isTableRow(line)) {
    line = line
      .split('|')
      .map((cell) => cell.trim())
      .filter((cell) => cell !== '')
      .join(', ');
  }
  return line;
}

function isTableRow(line: string): boolean {
  const t = line.trim();
  return t.startsWith('|') || (t.match(/\|/g)?.length ?? 0) >= 2;
}

function keepsStar(before: string | undefined, after: string | undefined): boolean {
  const space = (c: string | undefined) => c === undefined || /\s/.test(c);
  const digit = (c: string | undefined) => c !== undefined && /\d/.test(c);
  return (
    (space(before) && space(after) && before !== undefined && after !== undefined) ||
    (digit(before) && digit(after))
  );
}
