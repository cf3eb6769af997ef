// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const URL_WHITESPACE_OR_CONTROL = /[\u0000-\u0020\u007f]/;

/**
 * Parses an absolute URL given to an answer builder, refusing whitespace and control
 * characters (which `new URL` would silently drop or encode, so the provider would call a URL
 * other than the one written) and any scheme not in `schemes`.
 *
 * @param schemes - Allowed `URL.protocol` values, e.g. `['wss:', 'ws:']`.
 * @throws TypeError naming `what` when `value` is not such a URL.
 */
export function parseAbsoluteUrl(value: string, what: string, schemes: readonly string[]): URL {
  if (URL_WHITESPACE_OR_CONTROL.test(value))
    throw new TypeError(`${what} holds whitespace or a control character`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what} is not an absolute URL`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new TypeError(
      `${what} must be ${schemes.map((s) => `${s}//`).join(' or ')}, got ${url.protocol}//`,
    );
  }
  if (value.includes('#')) throw new TypeError(`${what} must not carry a fragment`);
  return url;
}
