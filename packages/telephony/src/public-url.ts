/** Options of {@link publicRequestUrl}. */
export interface PublicRequestUrlOptions {
  /**
   * The URL is a WebSocket URL: `https` becomes `wss` (and `http` becomes `ws`). Twilio signs a
   * Media Stream's upgrade request with the `wss://` URL from the TwiML.
   */
  readonly websocket?: boolean;
}

const SCHEMES: Record<string, { http: string; ws: string }> = {
  'http:': { http: 'http:', ws: 'ws:' },
  'https:': { http: 'https:', ws: 'wss:' },
  'ws:': { http: 'http:', ws: 'ws:' },
  'wss:': { http: 'https:', ws: 'wss:' },
};

/**
 * The URL a provider called, rebuilt from our configured public origin and the path and query
 * the server received. Behind a proxy or tunnel the `Host` header and scheme seen by the server
 * are not what the provider signed, so signatures must be checked against this URL.
 *
 * Nothing is re-encoded or normalised: the path and query are appended exactly as received,
 * because providers sign the exact characters they requested
 * (https://www.twilio.com/docs/usage/security#validating-requests).
 *
 * @param publicOrigin - `scheme://host[:port][/prefix]` as the provider is configured to call us,
 *   e.g. `https://voice.example.com` or `https://example.com/parley` (a path prefix the proxy
 *   strips); a trailing `/` is ignored. Scheme `http`, `https`, `ws` or `wss`.
 * @param pathAndQuery - The request target as received (Node's `req.url`, Fastify's
 *   `request.url`), starting with `/`, query string included.
 * @returns e.g. `https://voice.example.com/telephony/twilio/inbound/support-bot?x=1`, or with
 *   `{ websocket: true }`, `wss://voice.example.com/ws/twilio/support-bot`.
 * @throws TypeError when `publicOrigin` is not such an origin (or carries a query, fragment or
 *   credentials) or `pathAndQuery` does not start with `/`.
 */
export function publicRequestUrl(
  publicOrigin: string,
  pathAndQuery: string,
  options: PublicRequestUrlOptions = {},
): string {
  let origin: URL;
  try {
    origin = new URL(publicOrigin);
  } catch {
    throw new TypeError('publicOrigin is not an absolute URL');
  }
  const scheme = SCHEMES[origin.protocol];
  if (scheme === undefined)
    throw new TypeError(`publicOrigin scheme ${origin.protocol} is not http(s) or ws(s)`);
  if (
    publicOrigin.includes('?') ||
    publicOrigin.includes('#') ||
    origin.username !== '' ||
    origin.password !== ''
  ) {
    throw new TypeError('publicOrigin must not carry a query, fragment or credentials');
  }
  if (!pathAndQuery.startsWith('/')) throw new TypeError('pathAndQuery must start with /');
  // Keep the configured text as is after the scheme (host case, explicit port, prefix).
  const rest = publicOrigin.slice(origin.protocol.length).replace(/\/+$/, '');
  return `${options.websocket ? scheme.ws : scheme.http}${rest}${pathAndQuery}`;
}
