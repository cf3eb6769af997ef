import { decodeBase64Strict } from '../base64.ts';
import { SignatureError } from '../errors.ts';
import { constantTimeEqual, singleHeaderValue } from '../request-auth.ts';

/** An Exotel WebSocket upgrade to check against the Basic-auth credentials in the applet URL. */
export interface ExotelBasicAuthCheck {
  /** The API key configured in the stream URL (`wss://<key>:<token>@…`), the Basic user name. */
  readonly apiKey: string;
  /** The API token configured in the stream URL, the Basic password. */
  readonly apiToken: string;
  /**
   * The upgrade request's `Authorization` header as Node gives it: `undefined` when absent; an
   * array only counts when it holds exactly one value.
   */
  readonly authorization: string | readonly string[] | undefined;
}

const BASIC = /^basic +([A-Za-z0-9+/=_-]+) *$/i;

/**
 * Whether an Exotel WebSocket upgrade carries the configured Basic credentials:
 * `Authorization: Basic base64(apiKey:apiToken)`, which Exotel sends when the Voicebot applet's
 * URL embeds them as `wss://<apiKey>:<apiToken>@host/path`. Exotel signs nothing, so these
 * credentials (or IP allow-listing) are what authenticates the stream. The comparison takes
 * the same time wherever the credentials differ.
 *
 * Source: https://developer.exotel.com/docs/agentstream/stream-voicebot-applet ("Authentication").
 *
 * @returns `true` when the header holds exactly these credentials; `false` when it is missing,
 *   not `Basic`, not base64, or other credentials.
 * @throws TypeError when `apiKey` or `apiToken` is empty (anyone could match empty credentials).
 */
export function validateExotelBasicAuth(check: ExotelBasicAuthCheck): boolean {
  const { apiKey, apiToken } = check;
  if (apiKey === '' || apiToken === '')
    throw new TypeError('Exotel API key or token is empty: cannot check Basic auth');
  const header = singleHeaderValue(check.authorization);
  const token = header === undefined ? undefined : BASIC.exec(header)?.[1];
  const decoded = token === undefined ? undefined : decodeBase64Strict(token);
  // Compare even when the header is unusable, so its shape does not show in the timing.
  const equal = constantTimeEqual(decoded?.toString('utf8') ?? '', `${apiKey}:${apiToken}`);
  return decoded !== undefined && equal;
}

/**
 * Like {@link validateExotelBasicAuth}, but throws on failure, for an upgrade hook that
 * answers 401/403.
 *
 * @param url - The upgrade's URL, for the error (log it; it does not decide the result).
 * @throws {@link SignatureError} with `reason` `missing` (no `Authorization` header) or
 *   `mismatch`.
 * @throws TypeError when `apiKey` or `apiToken` is empty.
 */
export function assertExotelBasicAuth(check: ExotelBasicAuthCheck, url: string): void {
  if (validateExotelBasicAuth(check)) return;
  const missing = singleHeaderValue(check.authorization) === undefined;
  throw new SignatureError('exotel', missing ? 'missing' : 'mismatch', url);
}
