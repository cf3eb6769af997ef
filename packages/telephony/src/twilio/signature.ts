import twilio from 'twilio';
import { SignatureError } from '../errors.ts';
import { singleHeaderValue } from '../request-auth.ts';

/** A request to check against its `X-Twilio-Signature` header. */
export interface TwilioSignatureCheck {
  /** The account's auth token (the HMAC key). */
  readonly authToken: string;
  /**
   * The `X-Twilio-Signature` header as Node gives it: `undefined` when absent; an array only
   * counts when it holds exactly one value.
   */
  readonly signature: string | readonly string[] | undefined;
  /**
   * The exact URL Twilio requested, scheme, host, port, path and query included: for the voice
   * webhook `https://…`, for a Media Stream upgrade the `wss://…` URL from the TwiML. Behind a
   * proxy build it with {@link publicRequestUrl}, never from the `Host` header.
   */
  readonly url: string;
  /**
   * The form-encoded POST body's fields (repeated keys as arrays). Omit (or `{}`) for GET
   * requests and WebSocket upgrades: their data is in the URL.
   */
  readonly params?: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * Whether a request carries a valid `X-Twilio-Signature`:
 * `base64(HMAC-SHA1(authToken, url + each POST field name+value, sorted by name))`.
 * Delegates to twilio-node's `validateRequest` (constant-time compare; also tries the URL with
 * and without the default port, and with the legacy query encoding).
 *
 * Sources: https://www.twilio.com/docs/usage/security#validating-requests; the `wss://` URL for
 * Media Stream upgrades per https://github.com/twilio-labs/twilio-aspnet/issues/162.
 *
 * @returns `true` when valid; `false` when the signature is missing, does not match, or the URL
 *   cannot be parsed.
 * @throws TypeError when `authToken` is empty (with an empty key anyone could sign requests).
 */
export function validateTwilioSignature(check: TwilioSignatureCheck): boolean {
  const { authToken, url, params = {} } = check;
  if (authToken === '') throw new TypeError('Twilio auth token is empty: cannot validate signatures');
  const signature = singleHeaderValue(check.signature);
  if (signature === undefined) return false;
  try {
    return twilio.validateRequest(authToken, signature, url, params);
  } catch {
    return false; // validateRequest throws on a URL `new URL()` rejects: such a URL was not signed.
  }
}

/**
 * Like {@link validateTwilioSignature}, but throws on failure, for a request hook that answers
 * 403.
 *
 * @throws {@link SignatureError} with `reason` `missing` (no header) or `mismatch`.
 * @throws TypeError when `authToken` is empty.
 */
export function assertTwilioSignature(check: TwilioSignatureCheck): void {
  if (validateTwilioSignature(check)) return;
  const missing = singleHeaderValue(check.signature) === undefined;
  throw new SignatureError('twilio', missing ? 'missing' : 'mismatch', check.url);
}
