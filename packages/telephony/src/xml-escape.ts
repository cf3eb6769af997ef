/**
 * Writing XML answers by hand (Vobiz): escaping, and refusing characters XML cannot carry
 * (https://www.w3.org/TR/xml/#charsets, https://www.w3.org/TR/xml/#syntax); the refusal is also
 * used on values given to twilio-node's TwiML builder.
 */

/** Characters outside XML 1.0's `Char` production. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NON_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Refuses a value holding a character XML cannot carry (e.g. U+0000, a lone surrogate).
 *
 * @throws TypeError naming `what` when `value` holds such a character.
 */
export function assertXmlChars(value: string, what: string): void {
  if (NON_XML_CHAR.test(value)) throw new TypeError(`${what} holds a character XML cannot carry`);
}

/**
 * `value` escaped for XML text or a double-quoted attribute value: `& < > " '` as entities.
 *
 * @throws TypeError when `value` holds a character XML cannot carry (e.g. U+0000); `what`
 *   names the value in the message.
 */
export function escapeXml(value: string, what: string): string {
  assertXmlChars(value, what);
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
